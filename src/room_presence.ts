// One avatar can serve several people in a room (invite links). The conversation follows whoever is
// still there, and the job ends when the last person leaves, so no job process is left behind.

import type { log, voice } from '@livekit/agents';
import { ParticipantKind, type RemoteParticipant, type Room, RoomEvent } from '@livekit/rtc-node';

/** The participant kinds RoomIO links as a user; agents, egress and ingress are not people. */
const HUMAN_KINDS = new Set([ParticipantKind.STANDARD, ParticipantKind.SIP, ParticipantKind.CONNECTOR]);

export const isHuman = (p: RemoteParticipant): boolean => HUMAN_KINDS.has(p.kind);

export function endWhenHumansLeave(
  room: Room,
  session: voice.AgentSession,
  end: (reason: string) => void,
  logger: ReturnType<typeof log>,
): void {
  const humans = () => [...room.remoteParticipants.values()].filter(isHuman);

  const onLeft = (left: RemoteParticipant) => {
    if (!isHuman(left)) return;
    const next = humans().find((p) => p.identity !== left.identity);
    if (!next) {
      logger.info({ participant: left.identity }, 'last participant left; ending the job');
      room.off(RoomEvent.ParticipantDisconnected, onLeft);
      // Shut the job down rather than only closing the session: a session closed mid-speech can
      // wait on playout that nobody is left to receive, and the job process must not linger.
      end('last participant left');
      return;
    }
    // RoomIO stays linked to the first person who joined; hand the conversation to someone present.
    const roomIO = session._roomIO;
    if (roomIO && !roomIO.linkedParticipant) {
      logger.info({ participant: next.identity }, 'conversation moves to the next participant');
      roomIO.setParticipant(next.identity);
    }
  };
  room.on(RoomEvent.ParticipantDisconnected, onLeft);
}
