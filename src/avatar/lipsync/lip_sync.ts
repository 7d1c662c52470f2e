// Audio to mouth shapes in real time: one shape per video frame, from that frame's samples plus the
// next frame's (look-ahead the runner has anyway, since it buffers speech ahead of playout).
import { classify } from './classifier.ts';
import { FeatureExtractor, type FrameFeatures } from './features.ts';
import { VisemeSmoother } from './smoother.ts';
import type { Viseme } from './visemes.ts';

/** Where the voice's peak level starts, and how fast it forgets a loud moment (dB per frame). */
const INITIAL_PEAK_DB = -20;
const PEAK_DECAY_DB = 0.05;
const PEAK_FLOOR_DB = -60;

export class LipSync {
  readonly #features: FeatureExtractor;
  readonly #smoother = new VisemeSmoother();
  #peakDb = INITIAL_PEAK_DB;
  #lastSilent = true;
  /** The look-ahead frame's features from the previous call: it is this call's frame. */
  #ahead: { samples: Int16Array; features: FrameFeatures } | undefined;

  constructor(readonly sampleRate: number) {
    this.#features = new FeatureExtractor(sampleRate);
  }

  /** The shape for `audio` (undefined while idle), knowing the `next` frame's audio when there is one. */
  next(audio: Int16Array | undefined, next?: Int16Array): Viseme {
    if (!audio) {
      this.#ahead = undefined;
      this.#lastSilent = true;
      return this.#smoother.next('X');
    }
    const features = this.#ahead?.samples === audio ? this.#ahead.features : this.#features.extract(audio);
    const nextFeatures = next ? this.#features.extract(next) : undefined;
    this.#ahead = next && nextFeatures ? { samples: next, features: nextFeatures } : undefined;
    this.#peakDb = Math.max(features.levelDb, this.#peakDb - PEAK_DECAY_DB, PEAK_FLOOR_DB);
    const target = classify(features, { peakDb: this.#peakDb, next: nextFeatures, afterSilence: this.#lastSilent });
    this.#lastSilent = target === 'X';
    return this.#smoother.next(target);
  }

  reset(): void {
    this.#smoother.reset();
    this.#ahead = undefined;
    this.#lastSilent = true;
  }
}
