// The agent's speech goes to the avatar instead of a plain audio track. Playback is reported from
// what the avatar actually put on air: started at a segment's first frame, finished exactly once
// per segment with the position the listener heard.
import { voice } from '@livekit/agents';
import type { AudioFrame } from '@livekit/rtc-node';
import type { AvatarRunner } from '../avatar/avatar_runner.ts';

export class AvatarAudioOutput extends voice.AudioOutput {
  constructor(readonly runner: AvatarRunner) {
    // Pause needs a way to hold audio already on air; interruption clears instead.
    super(runner.options.sampleRate, undefined, { pause: false });
    runner.on('playbackStarted', (_segment, at) => this.onPlaybackStarted(at));
    runner.on('playbackFinished', ({ position, interrupted }) =>
      this.onPlaybackFinished({ playbackPosition: position, interrupted }),
    );
  }

  override async captureFrame(frame: AudioFrame): Promise<void> {
    await super.captureFrame(frame);
    await this.runner.pushAudio(frame);
  }

  override flush(): void {
    super.flush();
    this.runner.endSegment();
  }

  clearBuffer(): void {
    this.runner.clear();
  }
}
