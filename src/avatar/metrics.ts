// Counters for how the avatar is doing: frame rate, late frames dropped, queue depths and latencies.
import type { Clock } from './av_synchronizer.ts';

export interface AvatarMetrics {
  /** Video frames per second over the last interval. */
  fps: number;
  framesSent: number;
  idleFrames: number;
  /** Late speech frames skipped (never sent in a burst). */
  droppedFrames: number;
  rendererErrors: number;
  /** From the runner's start to its first video frame. */
  firstFrameMs: number | undefined;
  /** From the first audio of the last utterance handed to the avatar to its first frame on air. */
  playbackLatencyMs: number | undefined;
  /**
   * How late speech frames went out after their audio began to play, averaged over the interval: the
   * publisher's estimate of the A/V offset (the listener adds its own jitter buffers). None when silent.
   */
  avOffsetMs: number | undefined;
  audioQueuedMs: number;
  pendingFrames: number;
  inputBufferedMs: number;
}

export class MetricsCollector {
  #startedAt: number;
  #framesSent = 0;
  #idleFrames = 0;
  #dropped = 0;
  #rendererErrors = 0;
  #firstFrameMs: number | undefined;
  #playbackLatencyMs: number | undefined;
  #windowStart: number;
  #windowFrames = 0;
  #fps = 0;
  #windowLateMs = 0;
  #windowSpeechFrames = 0;

  constructor(readonly clock: Clock) {
    this.#startedAt = clock.now();
    this.#windowStart = this.#startedAt;
  }

  frameSent(idle: boolean): void {
    this.#firstFrameMs ??= this.clock.now() - this.#startedAt;
    this.#framesSent++;
    this.#windowFrames++;
    if (idle) this.#idleFrames++;
  }

  dropped(count: number): void {
    this.#dropped += count;
  }

  rendererFailed(): void {
    this.#rendererErrors++;
  }

  speechFrameShown(lateMs: number): void {
    this.#windowLateMs += Math.max(0, lateMs);
    this.#windowSpeechFrames++;
  }

  playbackStarted(latencyMs: number): void {
    this.#playbackLatencyMs = latencyMs;
  }

  snapshot(queues: Pick<AvatarMetrics, 'audioQueuedMs' | 'pendingFrames' | 'inputBufferedMs'>): AvatarMetrics {
    const now = this.clock.now();
    if (now > this.#windowStart) this.#fps = (this.#windowFrames * 1000) / (now - this.#windowStart);
    const avOffsetMs =
      this.#windowSpeechFrames > 0 ? Math.round((this.#windowLateMs / this.#windowSpeechFrames) * 10) / 10 : undefined;
    this.#windowStart = now;
    this.#windowFrames = 0;
    this.#windowLateMs = 0;
    this.#windowSpeechFrames = 0;
    return {
      fps: Math.round(this.#fps * 10) / 10,
      framesSent: this.#framesSent,
      idleFrames: this.#idleFrames,
      droppedFrames: this.#dropped,
      rendererErrors: this.#rendererErrors,
      firstFrameMs: this.#firstFrameMs,
      playbackLatencyMs: this.#playbackLatencyMs,
      avOffsetMs,
      ...queues,
    };
  }
}
