// Records what a subscriber receives from the avatar: the audio envelope and the mouth read back from
// each video frame (MouthBlockRenderer), both stamped with their arrival time (epoch ms, sub-ms).
import {
  AudioStream,
  type RemoteParticipant,
  type RemoteTrack,
  type Room,
  RoomEvent,
  TrackKind,
  type VideoFrame,
  VideoStream,
} from '@livekit/rtc-node';
import { readMouthOpenness } from '../../src/avatar/renderers/mouth_block.ts';

const AUDIO_RATE = 24_000;
/** Audio is read in 10 ms frames: the envelope's resolution. */
const AUDIO_FRAME_MS = 10;

export const epochNow = () => performance.timeOrigin + performance.now();

export interface AudioSample {
  at: number;
  rms: number;
}

export interface VideoSample {
  at: number;
  openness: number;
  width: number;
  height: number;
}

export class AvRecorder {
  audio: AudioSample[] = [];
  video: VideoSample[] = [];
  #streams: (AudioStream | VideoStream)[] = [];
  readonly #onVideo: ((s: VideoSample) => void)[] = [];
  readonly #onAudio: ((s: AudioSample) => void)[] = [];

  /** `readMouth` turns a received frame into mouth openness (0..1): the measuring renderer's by default. */
  constructor(
    room: Room,
    from: RemoteParticipant,
    readonly readMouth: (frame: VideoFrame) => number = readMouthOpenness,
  ) {
    const attach = (track: RemoteTrack, owner: RemoteParticipant) => {
      if (owner.identity !== from.identity) return;
      if (track.kind === TrackKind.KIND_AUDIO) {
        const stream = new AudioStream(track, { sampleRate: AUDIO_RATE, numChannels: 1, frameSizeMs: AUDIO_FRAME_MS });
        this.#streams.push(stream);
        void this.#readAudio(stream);
      } else if (track.kind === TrackKind.KIND_VIDEO) {
        const stream = new VideoStream(track);
        this.#streams.push(stream);
        void this.#readVideo(stream);
      }
    };
    room.on(RoomEvent.TrackSubscribed, (track, _pub, owner) => attach(track, owner));
    for (const pub of from.trackPublications.values()) if (pub.track) attach(pub.track, from);
  }

  async #readAudio(stream: AudioStream): Promise<void> {
    for await (const frame of stream) {
      let sum = 0;
      for (const s of frame.data) sum += s * s;
      const sample = { at: epochNow(), rms: Math.sqrt(sum / frame.data.length) };
      this.audio.push(sample);
      for (const waiter of [...this.#onAudio]) waiter(sample);
    }
  }

  async #readVideo(stream: VideoStream): Promise<void> {
    for await (const { frame } of stream) {
      const sample = {
        at: epochNow(),
        openness: this.readMouth(frame as VideoFrame),
        width: frame.width,
        height: frame.height,
      };
      this.video.push(sample);
      for (const waiter of [...this.#onVideo]) waiter(sample);
    }
  }

  /** Resolves once `count` video frames have arrived. */
  async waitForFrames(count: number, timeoutMs = 20_000): Promise<void> {
    if (this.video.length >= count) return;
    await waitFor(
      this.#onVideo,
      () => this.video.length >= count,
      timeoutMs,
      () => `only ${this.video.length} of ${count} video frames arrived`,
    );
  }

  /** Resolves with the first audio sample (already received or to come) that passes `match`. */
  async waitForAudio(match: (s: AudioSample) => boolean, timeoutMs = 20_000): Promise<AudioSample> {
    const seen = this.audio.find(match);
    if (seen) return seen;
    return waitFor(
      this.#onAudio,
      (s) => (match(s) ? s : undefined),
      timeoutMs,
      () => 'no matching audio arrived',
    );
  }

  /** Resolves once the audio after `after` has stayed below `soundRms` for `quietMs`. */
  async waitForQuiet(after: number, soundRms: number, quietMs: number, timeoutMs = 20_000): Promise<void> {
    let quietSince: number | undefined;
    await this.waitForAudio((s) => {
      if (s.at <= after) return false;
      quietSince = s.rms > soundRms ? undefined : (quietSince ?? s.at);
      return quietSince !== undefined && s.at - quietSince >= quietMs;
    }, timeoutMs);
  }

  async close(): Promise<void> {
    await Promise.all(this.#streams.map((s) => s.cancel().catch(() => {})));
  }
}

/** Registers a listener until `done` returns a value for a new sample (or times out). */
function waitFor<S, R>(
  listeners: ((s: S) => void)[],
  done: (s: S) => R | undefined | false,
  timeoutMs: number,
  describe: () => string,
): Promise<R> {
  return new Promise((resolve, reject) => {
    const listener = (s: S) => {
      const result = done(s);
      if (result === undefined || result === false) return;
      finish();
      resolve(result);
    };
    const finish = () => {
      clearTimeout(timer);
      listeners.splice(listeners.indexOf(listener), 1);
    };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(describe()));
    }, timeoutMs);
    listeners.push(listener);
  });
}
