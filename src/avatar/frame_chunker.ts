// Turns audio of any rate, channel count and frame size into chunks of exactly one video frame's
// samples (mono, the avatar's rate), so every video frame has its own slice of audio.
import { type AudioFrame, AudioResampler } from '@livekit/rtc-node';

export class FrameChunker {
  #pending = new Int16Array(0);
  #resampler: AudioResampler | undefined;

  constructor(
    readonly sampleRate: number,
    readonly samplesPerFrame: number,
  ) {}

  /** Whole chunks now available from `frame`; a remainder waits for more audio or `flush`. */
  push(frame: AudioFrame): Int16Array[] {
    return this.#append(this.#resample(frame).map(toMono));
  }

  /** The rest of a segment: any resampler tail, then a last chunk padded with silence. */
  flush(): { chunks: Int16Array[]; paddedSamples: number } {
    const chunks = this.#append((this.#resampler?.flush() ?? []).map(toMono));
    const rest = this.#pending.length;
    this.#closeResampler();
    if (rest === 0) return { chunks, paddedSamples: 0 };
    const last = new Int16Array(this.samplesPerFrame);
    last.set(this.#pending);
    this.#pending = new Int16Array(0);
    return { chunks: [...chunks, last], paddedSamples: this.samplesPerFrame - rest };
  }

  /** Drop everything buffered (interruption). */
  reset(): void {
    this.#pending = new Int16Array(0);
    this.#closeResampler();
  }

  #resample(frame: AudioFrame): AudioFrame[] {
    if (frame.sampleRate === this.sampleRate) return [frame];
    const r = this.#resampler;
    if (!r || r.inputRate !== frame.sampleRate || r.channels !== frame.channels) {
      this.#closeResampler();
      this.#resampler = new AudioResampler(frame.sampleRate, this.sampleRate, frame.channels);
    }
    return (this.#resampler as AudioResampler).push(frame);
  }

  #append(pieces: Int16Array[]): Int16Array[] {
    const total = this.#pending.length + pieces.reduce((n, p) => n + p.length, 0);
    if (total === this.#pending.length) return [];
    const all = new Int16Array(total);
    all.set(this.#pending);
    let at = this.#pending.length;
    for (const p of pieces) {
      all.set(p, at);
      at += p.length;
    }
    const whole = Math.floor(total / this.samplesPerFrame);
    const chunks: Int16Array[] = [];
    for (let i = 0; i < whole; i++) {
      // slice, not subarray: frames built on these must start at byte offset 0 (rtc-node ignores it).
      chunks.push(all.slice(i * this.samplesPerFrame, (i + 1) * this.samplesPerFrame));
    }
    this.#pending = all.slice(whole * this.samplesPerFrame);
    return chunks;
  }

  #closeResampler(): void {
    this.#resampler?.close();
    this.#resampler = undefined;
  }
}

function toMono(frame: AudioFrame): Int16Array {
  const { channels, samplesPerChannel, data } = frame;
  if (channels === 1) return data.length === samplesPerChannel ? data : data.slice(0, samplesPerChannel);
  const mono = new Int16Array(samplesPerChannel);
  for (let i = 0; i < samplesPerChannel; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += data[i * channels + c] as number;
    mono[i] = Math.round(sum / channels);
  }
  return mono;
}
