// An avatar rendered in the job process, published by the agent participant itself. Same shape as
// agents' AvatarSession (`start(session, room)`), but it must start before `session.start()`: the
// audio output has to be in place then, or agents turns transcript sync off.
import { EventEmitter } from 'node:events';
import { getJobContext, type log, type voice } from '@livekit/agents';
import type { Room } from '@livekit/rtc-node';
import { AvatarRunner } from '../avatar/avatar_runner.ts';
import type { AvatarMetrics } from '../avatar/metrics.ts';
import type { AvatarOptions } from '../avatar/options.ts';
import type { Renderer } from '../avatar/renderer.ts';
import { AvatarAudioOutput } from './avatar_audio_output.ts';

/** Agent participant attribute with the avatar's latest metrics summary (JSON), for frontends. */
export const AVATAR_STATS_ATTRIBUTE = 'avatar.stats';

export class LocalAvatarSession extends EventEmitter<{ metrics: [AvatarMetrics] }> {
  runner: AvatarRunner | undefined;

  constructor(
    readonly renderer: Renderer,
    readonly options: AvatarOptions,
    readonly logger: ReturnType<typeof log>,
  ) {
    super();
  }

  /** Publishes the avatar's tracks into the (connected) room and routes the session's speech to it. */
  async start(session: voice.AgentSession, room: Room): Promise<void> {
    if (session._started) throw new Error('LocalAvatarSession.start must run before session.start()');
    const runner = new AvatarRunner(room, this.renderer, this.options, this.logger);
    this.runner = runner;
    session.output.audio = new AvatarAudioOutput(runner);
    // Shutdown callbacks run after the room has disconnected: stop rendering and free the sources.
    getJobContext(false)?.addShutdownCallback(() => runner.close());
    runner.on('metrics', (metrics) => {
      this.logger.info({ avatar: metrics }, 'avatar metrics');
      this.emit('metrics', metrics);
      room.localParticipant
        ?.setAttributes({ [AVATAR_STATS_ATTRIBUTE]: JSON.stringify(metrics) })
        .catch((err: unknown) => this.logger.debug({ err }, 'could not publish avatar metrics'));
    });
    await runner.start();
  }
}
