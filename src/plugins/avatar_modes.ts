// AVATAR picks who draws the face; each choice ends the same way: the session's speech goes to an
// avatar output set before session.start(), so transcripts stay in step with the face.
import type { log, voice } from '@livekit/agents';
import type { Room } from '@livekit/rtc-node';
import type { Renderer } from '../avatar/renderer.ts';
import type { RendererFactory } from '../avatar/renderers/prepare.ts';
import type { Config } from '../config.ts';
import { errorText } from '../error_text.ts';
import type { AvatarMetricsSource } from '../observability/session_metrics.ts';
import { CloudAvatarError, startCloudAvatar } from './cloud_avatar.ts';
import { LocalAvatarSession } from './local_avatar.ts';
import { RemoteAvatarSession } from './remote_avatar.ts';

export interface StartedAvatar {
  /** The avatar's latency for the utterance it played last, where the agent can see it. */
  latencyMs(): number | undefined;
  /** The avatar's periodic summaries, where this process renders it. */
  metrics?: AvatarMetricsSource;
}

/** Starts the configured avatar in the connected room; undefined when the agent speaks without one. */
export async function startAvatar(
  config: Config,
  session: voice.AgentSession,
  room: Room,
  makeRenderer: () => Promise<RendererFactory>,
  logger: ReturnType<typeof log>,
): Promise<StartedAvatar | undefined> {
  const unknown = { latencyMs: () => undefined };
  switch (config.avatarMode) {
    case 'off':
      return undefined;
    case 'local': {
      let renderer: Renderer;
      try {
        renderer = (await makeRenderer())();
      } catch (err) {
        // No face, but the conversation goes on: RoomIO publishes the voice instead.
        logger.error(`avatar renderer could not be prepared (${errorText(err)}); speaking without a face`);
        return undefined;
      }
      const avatar = new LocalAvatarSession(renderer, config.avatar, logger);
      await avatar.start(session, room);
      return { latencyMs: () => avatar.runner?.snapshot().playbackLatencyMs, metrics: avatar };
    }
    case 'remote': {
      const { livekit, avatarWorker } = config;
      const options = { livekit, workerName: avatarWorker.name, joinTimeoutMs: avatarWorker.joinTimeoutMs };
      await new RemoteAvatarSession(options, logger).start(session, room);
      return unknown;
    }
    default: {
      const cloud = config.cloudAvatar;
      if (!cloud) throw new Error(`AVATAR=${config.avatarMode} has no provider settings`);
      try {
        await startCloudAvatar(cloud, config.livekit, config.avatarWorker.joinTimeoutMs, session, room, logger);
      } catch (err) {
        if (!(err instanceof CloudAvatarError)) throw err;
        // A provider outage should not silence the agent: it talks on without a face.
        logger.error(`${err.message}; speaking without a face`);
        return undefined;
      }
      return unknown;
    }
  }
}
