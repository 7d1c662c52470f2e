// One avatar can serve several people in a room (invite links). The conversation follows whoever is
// still there, and the job ends when the last person leaves, so no job process is left behind.

import type { log, voice } from '@livekit/agents';
import { ParticipantKind, type RemoteParticipant, type Room, RoomEvent } from '@livekit/rtc-node';

/** The participant kinds RoomIO links as a user; agents, egress and ingress are not people. */
const HUMAN_KINDS = new Set([ParticipantKind.STANDARD, ParticipantKind.SIP, ParticipantKind.CONNECTOR]);

export const isHuman = (p: RemoteParticipant): boolean => HUMAN_KINDS.has(p.kind);

/**
 * Follows the conversation: `onPerson` hears whom the agent talks to (the first person in the room,
 * then whoever the conversation moves to), and `end` is called when the last person has left.
 */
export function followPeople(
  room: Room,
  session: voice.AgentSession,
  logger: ReturnType<typeof log>,
  handlers: { end: (reason: string) => void; onPerson: (identity: string) => void },
): void {
  const humans = () => [...room.remoteParticipants.values()].filter(isHuman);
  let person: string | undefined;
  const talkTo = (identity: string) => {
    person = identity;
    handlers.onPerson(identity);
  };

  const onJoined = (joined: RemoteParticipant) => {
    if (person === undefined && isHuman(joined)) talkTo(joined.identity);
  };
  const onLeft = (left: RemoteParticipant) => {
    if (!isHuman(left)) return;
    const next = humans().find((p) => p.identity !== left.identity);
    if (!next) {
      logger.info({ participant: left.identity }, 'last participant left; ending the job');
      room.off(RoomEvent.ParticipantConnected, onJoined);
      room.off(RoomEvent.ParticipantDisconnected, onLeft);
      // Shut the job down rather than only closing the session: a session closed mid-speech can
      // wait on playout that nobody is left to receive, and the job process must not linger.
      handlers.end('last participant left');
      return;
    }
    // RoomIO stays linked to the first person who joined; hand the conversation to someone present.
    const roomIO = session._roomIO;
    if (roomIO && !roomIO.linkedParticipant) {
      logger.info({ participant: next.identity }, 'conversation moves to the next participant');
      roomIO.setParticipant(next.identity);
      talkTo(next.identity);
    }
  };
  room.on(RoomEvent.ParticipantConnected, onJoined);
  room.on(RoomEvent.ParticipantDisconnected, onLeft);
  const first = humans()[0];
  if (first) talkTo(first.identity);
}
