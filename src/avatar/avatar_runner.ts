// Owns the published avatar: one AudioSource and one VideoSource on the agent participant, audio as
// MICROPHONE and video as CAMERA so browsers lip-sync them as one stream. Two loops share the work:
// the feeder hands audio to the AudioSource as fast as its queue takes it, and the video loop shows
// each frame when its audio reaches the listener (AvSynchronizer), idle frames in between.
import { EventEmitter } from 'node:events';
import {
  AudioFrame,
  AudioSource,
  LocalAudioTrack,
  LocalVideoTrack,
  type Room,
  TrackPublishOptions,
  TrackSource,
  VideoCodec,
  VideoSource,
} from '@livekit/rtc-node';
import { errorText } from '../error_text.ts';
import { AvSynchronizer, type Clock, systemClock } from './av_synchronizer.ts';
import { FrameChunker } from './frame_chunker.ts';
import { type AvatarMetrics, MetricsCollector } from './metrics.ts';
import { type AvatarOptions, frameMs, samplesPerFrame } from './options.ts';
import type { Renderer } from './renderer.ts';

export const AUDIO_TRACK_NAME = 'avatar_audio';
export const VIDEO_TRACK_NAME = 'avatar_video';
/** AudioSource queue (a multiple of 10 ms, or rtc-node aborts): deep enough to ride out timer jitter. */
const AUDIO_QUEUE_MS = 100;
/** How far ahead of playout `pushAudio` accepts audio before it makes the producer wait. */
const INPUT_AHEAD_MS = 400;
/** A renderer slower than this for one frame is treated as stalled. */
const RENDER_STALL_MS = 1000;
const METRICS_INTERVAL_MS = 5000;
/** The native AudioSource hands audio to WebRTC in chunks of this length. */
const AUDIO_PUMP_MS = 10;
/** Opus packet length libwebrtc sends (20 ms ptime; Chromium counts ~50 packets/s from this agent). */
const OPUS_PACKET_MS = 20;
/**
 * How much later than its playout the audio is stamped on the wire. libwebrtc gives voice frames no
 * capture time, so its sender reports map an audio packet's first sample to the moment the packet is
 * sent: once the packet is full, one pump chunk after that sample left the queue. Video is stamped
 * when captured. Browsers lip-sync on those stamps, so a frame shown exactly with its audio reaches
 * them this much ahead of the sound; the synchronizer shows frames this much later to match.
 */
const AUDIO_STAMP_LAG_MS = OPUS_PACKET_MS - AUDIO_PUMP_MS;

export interface PlaybackFinished {
  segment: number;
  /** Seconds of this segment's audio that reached the listener. */
  position: number;
  interrupted: boolean;
}

export interface AvatarRunnerEvents {
  playbackStarted: [segment: number, at: number];
  playbackFinished: [event: PlaybackFinished];
  metrics: [metrics: AvatarMetrics];
  rendererError: [error: Error];
}

interface Logger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

class Segment {
  pushedSamples = 0;
  playedSamples = 0;
  ended = false;
  started = false;
  finished = false;
  constructor(
    readonly id: number,
    readonly firstPushAt: number,
  ) {}
}

/** One frame of a segment's audio, or the segment's end: from the input queue to the synchronizer. */
type Item =
  | { kind: 'chunk'; segment: Segment; audio: Int16Array; realSamples: number }
  | { kind: 'end'; segment: Segment };

export class AvatarRunner extends EventEmitter<AvatarRunnerEvents> {
  readonly samplesPerFrame: number;
  /** Input samples beyond which `pushAudio` makes the producer wait. */
  readonly #inputLimit: number;
  readonly metrics: MetricsCollector;
  #audioSource: AudioSource;
  #videoSource: VideoSource;
  #chunker: FrameChunker;
  #sync: AvSynchronizer<Item>;
  #clock: Clock;
  #input: Item[] = [];
  #inputSamples = 0;
  #segments: Segment[] = [];
  #nextSegmentId = 1;
  #generation = 0;
  #closed = false;
  #wakeFeeder: (() => void) | undefined;
  #wakeVideo: (() => void) | undefined;
  #videoSleepUntil = Number.POSITIVE_INFINITY;
  #pushWaiters: (() => void)[] = [];
  #frameIndex = 0;
  #rendererFailed = false;
  /** Failed and not drawn a frame since: repeated failures are counted, not logged again. */
  #rendererBroken = false;
  #loops: Promise<void>[] = [];
  #metricsTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly room: Room,
    readonly renderer: Renderer,
    readonly options: AvatarOptions,
    readonly logger?: Logger,
    clock: Clock = systemClock,
  ) {
    super();
    this.samplesPerFrame = samplesPerFrame(options);
    this.#inputLimit = (INPUT_AHEAD_MS * options.sampleRate) / 1000;
    this.#clock = clock;
    this.#audioSource = new AudioSource(options.sampleRate, 1, AUDIO_QUEUE_MS);
    this.#videoSource = new VideoSource(options.width, options.height);
    this.#chunker = new FrameChunker(options.sampleRate, this.samplesPerFrame);
    this.#sync = new AvSynchronizer(frameMs(options), clock, AUDIO_STAMP_LAG_MS);
    this.metrics = new MetricsCollector(clock);
  }

  /** Publishes both tracks and starts the video flowing (idle until the first audio). */
  async start(): Promise<void> {
    const participant = this.room.localParticipant;
    if (!participant) throw new Error('the room must be connected before the avatar starts');
    const audioTrack = LocalAudioTrack.createAudioTrack(AUDIO_TRACK_NAME, this.#audioSource);
    const videoTrack = LocalVideoTrack.createVideoTrack(VIDEO_TRACK_NAME, this.#videoSource);
    this.#loops.push(this.#videoLoop(), this.#feederLoop());
    await participant.publishTrack(audioTrack, new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE }));
    await participant.publishTrack(
      videoTrack,
      new TrackPublishOptions({
        source: TrackSource.SOURCE_CAMERA,
        videoCodec: VideoCodec.VP8,
        simulcast: true,
        videoEncoding: { maxBitrate: BigInt(this.options.maxBitrate), maxFramerate: this.options.fps },
      }),
    );
    this.#metricsTimer = setInterval(() => this.emit('metrics', this.snapshot()), METRICS_INTERVAL_MS);
    this.#metricsTimer.unref();
  }

  /** Queues speech audio (any rate, channels, frame size). Resolves when the producer may send more. */
  async pushAudio(frame: AudioFrame): Promise<void> {
    if (this.#closed) return;
    const segment = this.#openSegment();
    for (const audio of this.#chunker.push(frame))
      this.#enqueue({ kind: 'chunk', segment, audio, realSamples: audio.length });
    if (this.#inputSamples > this.#inputLimit) await new Promise<void>((resolve) => this.#pushWaiters.push(resolve));
  }

  /** The current utterance is complete: it finishes once its last audio has played. */
  endSegment(): void {
    const segment = this.#segments.at(-1);
    if (!segment || segment.ended) return;
    segment.ended = true;
    const { chunks, paddedSamples } = this.#chunker.flush();
    chunks.forEach((audio, i) => {
      const realSamples = i === chunks.length - 1 ? audio.length - paddedSamples : audio.length;
      this.#enqueue({ kind: 'chunk', segment, audio, realSamples });
    });
    this.#enqueue({ kind: 'end', segment });
  }

  /** Interruption: queued audio and video are dropped now, the mouth goes to rest, and every
   * unfinished segment reports how much of it was heard. */
  clear(): void {
    // A session that closes after the runner (job shutdown runs both) still clears: its sources are gone.
    if (this.#closed) return;
    const interrupted = this.#dropAll();
    if (interrupted > 0) this.logger?.info({ clearedAt: Date.now() }, 'avatar interrupted');
  }

  /** Drops all queued media and finishes unfinished segments as interrupted; returns how many. */
  #dropAll(): number {
    this.#generation++;
    this.#input = [];
    this.#inputSamples = 0;
    this.#chunker.reset();
    this.#audioSource.clearQueue();
    this.#sync.clear();
    try {
      this.renderer.reset();
    } catch (err) {
      this.#rendererFault(err);
    }
    this.#releasePushWaiters();
    const interrupted = this.#segments.splice(0);
    for (const segment of interrupted) this.#finish(segment, true);
    this.#wakeVideo?.();
    return interrupted.length;
  }

  /** A summary of how the avatar is doing, for logs, metrics events and the frontend. */
  snapshot(): AvatarMetrics {
    return this.metrics.snapshot({
      audioQueuedMs: this.#audioSource.queuedDuration,
      pendingFrames: this.#sync.pendingFrames,
      inputBufferedMs: (this.#inputSamples * 1000) / this.options.sampleRate,
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#dropAll();
    this.#closed = true;
    clearInterval(this.#metricsTimer);
    this.#wakeFeeder?.();
    this.#wakeVideo?.();
    await Promise.all(this.#loops);
    // The last interval's figures, which the periodic summary would otherwise never report.
    this.emit('metrics', this.snapshot());
    try {
      await this.renderer.close?.();
    } catch (err) {
      this.logger?.error({ error: errorText(err) }, 'avatar renderer failed to close');
    }
    await this.#audioSource.close();
    await this.#videoSource.close();
  }

  #openSegment(): Segment {
    const open = this.#segments.at(-1);
    if (open && !open.ended) return open;
    const segment = new Segment(this.#nextSegmentId++, this.#clock.now());
    this.#segments.push(segment);
    return segment;
  }

  #enqueue(input: Item): void {
    this.#input.push(input);
    if (input.kind === 'chunk') {
      this.#inputSamples += input.audio.length;
      input.segment.pushedSamples += input.realSamples;
    }
    this.#wakeFeeder?.();
  }

  #releasePushWaiters(): void {
    for (const resolve of this.#pushWaiters.splice(0)) resolve();
  }

  async #feederLoop(): Promise<void> {
    while (!this.#closed) {
      const next = this.#input.shift();
      if (!next) {
        await new Promise<void>((resolve) => {
          this.#wakeFeeder = resolve;
        });
        continue;
      }
      if (next.kind === 'end') {
        this.#sync.afterLast(next);
        continue;
      }
      this.#inputSamples -= next.audio.length;
      if (this.#inputSamples <= this.#inputLimit) this.#releasePushWaiters();
      const generation = this.#generation;
      // One capture at a time: rtc-node fails concurrent captures on one source.
      await this.#audioSource.captureFrame(new AudioFrame(next.audio, this.options.sampleRate, 1, next.audio.length));
      if (generation !== this.#generation) {
        // Cleared while this frame was on its way in: it must not be heard either.
        this.#audioSource.clearQueue();
        continue;
      }
      const deadline = this.#sync.audioCaptured(next, this.#audioSource.queuedDuration);
      if (deadline < this.#videoSleepUntil) this.#wakeVideo?.();
    }
  }

  async #videoLoop(): Promise<void> {
    while (!this.#closed) {
      const wakeAt = this.#sync.nextDue();
      const delay = wakeAt - this.#clock.now();
      if (delay > 0) {
        this.#videoSleepUntil = wakeAt;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.#wakeVideo = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#videoSleepUntil = Number.POSITIVE_INFINITY;
        continue;
      }
      await this.#showTick();
    }
  }

  async #showTick(): Promise<void> {
    const tick = this.#sync.tick();
    this.metrics.dropped(tick.dropped);
    const starting = new Set<Segment>();
    for (const item of tick.due) {
      const { segment } = item;
      if (segment.finished) continue;
      if (item.kind === 'end') {
        this.#segments = this.#segments.filter((s) => s !== segment);
        this.#finish(segment, false);
      } else {
        segment.playedSamples += item.realSamples;
        if (!segment.started) starting.add(segment);
      }
    }
    if (starting.size > 0) this.#rendererFailed = false; // a new utterance gives the renderer another try
    if (tick.show?.kind === 'chunk') {
      const next = this.#sync.peek();
      await this.#draw(tick.show.audio, next?.kind === 'chunk' ? next.audio : undefined);
      if (tick.showDue !== undefined) this.metrics.speechFrameShown(this.#clock.now() - tick.showDue);
    } else if (tick.idle) await this.#draw(undefined);
    for (const segment of starting) {
      // A clear while the frame was drawn has already finished it: a late "started" would be taken
      // for the next segment's start.
      if (segment.finished) continue;
      segment.started = true;
      this.metrics.playbackStarted(this.#clock.now() - segment.firstPushAt);
      this.emit('playbackStarted', segment.id, Date.now());
    }
  }

  async #draw(audio: Int16Array | undefined, next?: Int16Array): Promise<void> {
    if (this.#rendererFailed) return;
    const index = this.#frameIndex++;
    try {
      const rendered = this.renderer.render({ audio, next, index });
      const frame = rendered instanceof Promise ? await withStallLimit(rendered) : rendered;
      this.#videoSource.captureFrame(frame);
      this.metrics.frameSent(audio === undefined);
      if (this.#rendererBroken) {
        this.#rendererBroken = false;
        this.logger?.info({}, 'avatar renderer recovered; video resumes');
      }
    } catch (err) {
      this.#rendererFault(err);
    }
  }

  /** The picture stops (audio plays on) until the next utterance tries again; one log line per outage. */
  #rendererFault(err: unknown): void {
    this.#rendererFailed = true;
    const error = err instanceof Error ? err : new Error(String(err));
    this.metrics.rendererFailed();
    if (!this.#rendererBroken) {
      this.#rendererBroken = true;
      this.logger?.error(
        { error: error.message },
        'avatar renderer failed; audio continues, video resumes on the next utterance it draws',
      );
    }
    this.emit('rendererError', error);
  }

  #finish(segment: Segment, interrupted: boolean): void {
    if (segment.finished) return;
    segment.finished = true;
    const samples = interrupted ? segment.playedSamples : segment.pushedSamples;
    const position = Math.min(samples, segment.pushedSamples) / this.options.sampleRate;
    this.emit('playbackFinished', { segment: segment.id, position, interrupted });
  }
}

function withStallLimit<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`renderer stalled for over ${RENDER_STALL_MS} ms`)), RENDER_STALL_MS);
  });
  return Promise.race([promise, stalled]).finally(() => clearTimeout(timer));
}
