// An avatar rendered by an avatar worker (`npm run avatar-worker`) in its own participant, possibly on
// another machine: the agent dispatches it into the room and streams its speech to it.
import { getJobContext, type log, type voice } from '@livekit/agents';
import type { Room } from '@livekit/rtc-node';
import { AgentDispatchClient } from 'livekit-server-sdk';
import { avatarDispatchMetadata, avatarIdentityFor } from '../avatar/remote/dispatch.ts';
import type { LiveKitConfig } from '../config.ts';
import { DataStreamAudioOutput } from './data_stream_audio_output.ts';

export interface RemoteAvatarOptions {
  livekit: LiveKitConfig;
  /** The avatar worker's agent name. */
  workerName: string;
  joinTimeoutMs: number;
}

export class RemoteAvatarSession {
  output: DataStreamAudioOutput | undefined;

  constructor(
    readonly options: RemoteAvatarOptions,
    readonly logger: ReturnType<typeof log>,
  ) {}

  /** Dispatches the avatar into the (connected) room and routes the session's speech to it. */
  async start(session: voice.AgentSession, room: Room): Promise<void> {
    if (session._started) throw new Error('RemoteAvatarSession.start must run before session.start()');
    const me = room.localParticipant;
    if (!me || !room.name) throw new Error('RemoteAvatarSession.start needs a connected room');
    const { url, apiKey, apiSecret } = this.options.livekit;
    await new AgentDispatchClient(url, apiKey, apiSecret).createDispatch(room.name, this.options.workerName, {
      metadata: avatarDispatchMetadata(me.identity),
    });
    this.logger.info({ avatarWorker: this.options.workerName }, 'avatar worker dispatched');
    const output = new DataStreamAudioOutput({
      room,
      avatarIdentity: avatarIdentityFor(me.identity),
      joinTimeoutMs: this.options.joinTimeoutMs,
      logger: this.logger,
    });
    this.output = output;
    session.output.audio = output;
    getJobContext(false)?.addShutdownCallback(async () => output.close());
  }
}
