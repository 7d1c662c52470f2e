// What a frame of speech sounds like, in the few numbers that tell mouth shapes apart: loudness, how
// much of it is hiss (fricatives), how low it sits (nasals, closures), and the first two formants.
import { EnvelopeEvaluator, envelopePeaks, lpcCoefficients } from './lpc.ts';

export interface FrameFeatures {
  /** Level in dB relative to int16 full scale. */
  levelDb: number;
  /** Share of the energy above about 4 kHz: high for S, SH, F, TH. */
  highBand: number;
  /** Normalised lag-1 autocorrelation of the band below 4 kHz: near 1 when low frequencies dominate. */
  lowness: number;
  /** Zero crossings per millisecond. */
  zeroCrossings: number;
  /** First and second formant (Hz); NaN where the envelope shows none. */
  f1: number;
  f2: number;
}

/** Formants live below 4 kHz: analyse at 8 kHz. */
const ANALYSIS_RATE = 8000;
/** Two poles per formant for four formants, plus two for the glottal and radiation slope. */
const LPC_ORDER = 10;
const ENVELOPE_BINS = 129;
const LOWPASS_TAPS = 31;
const PRE_EMPHASIS = 0.94;
const SILENT_DB = -120;
const F1_MIN_HZ = 200;
const F1_MAX_HZ = 1100;
const F2_MIN_GAP_HZ = 250;
const F2_MAX_HZ = 3200;
/** Crossings by signals this close to zero are noise, not hiss. */
const ZERO_CROSSING_DEADBAND = 64;

export class FeatureExtractor {
  readonly factor: number;
  readonly analysisRate: number;
  readonly #taps: Float64Array;
  readonly #envelope = new EnvelopeEvaluator(LPC_ORDER, ENVELOPE_BINS);
  readonly #envelopeDb = new Float64Array(ENVELOPE_BINS);
  #low = new Float64Array(0);
  #emphasised = new Float64Array(0);

  constructor(readonly sampleRate: number) {
    this.factor = Math.max(1, Math.round(sampleRate / ANALYSIS_RATE));
    this.analysisRate = sampleRate / this.factor;
    this.#taps = lowpassTaps((0.45 * this.analysisRate) / sampleRate, LOWPASS_TAPS);
  }

  extract(samples: Int16Array): FrameFeatures {
    const n = samples.length;
    let energy = 0;
    let crossings = 0;
    let previousSign = 0;
    for (let i = 0; i < n; i++) {
      const s = samples[i] as number;
      energy += s * s;
      if (Math.abs(s) > ZERO_CROSSING_DEADBAND) {
        const sign = s > 0 ? 1 : -1;
        if (previousSign !== 0 && sign !== previousSign) crossings++;
        previousSign = sign;
      }
    }
    const levelDb = energy > 0 ? 10 * Math.log10(energy / n / 32768 ** 2) : SILENT_DB;
    const zeroCrossings = crossings / ((n / this.sampleRate) * 1000);

    const low = this.#decimate(samples);
    let lowEnergy = 0;
    let lag1 = 0;
    for (let i = 0; i < low.length; i++) {
      const v = low[i] as number;
      lowEnergy += v * v;
      if (i > 0) lag1 += v * (low[i - 1] as number);
    }
    // The decimated signal holds every factor-th sample: scale its energy back to a per-sample mean.
    const meanLow = low.length ? lowEnergy / low.length : 0;
    const meanAll = energy / n;
    const highBand = meanAll > 0 ? Math.min(1, Math.max(0, 1 - meanLow / meanAll)) : 0;
    const lowness = lowEnergy > 0 ? lag1 / lowEnergy : 0;

    const { f1, f2 } = this.#formants(low);
    return { levelDb, highBand, lowness, zeroCrossings, f1, f2 };
  }

  /** Low-pass to the analysis band and keep every `factor`-th sample (only where the filter fits). */
  #decimate(samples: Int16Array): Float64Array {
    const taps = this.#taps;
    const count = Math.max(0, Math.floor((samples.length - taps.length) / this.factor) + 1);
    if (this.#low.length !== count) this.#low = new Float64Array(count);
    for (let o = 0; o < count; o++) {
      const start = o * this.factor;
      let acc = 0;
      for (let t = 0; t < taps.length; t++) acc += (taps[t] as number) * (samples[start + t] as number);
      this.#low[o] = acc;
    }
    return this.#low;
  }

  #formants(low: Float64Array): { f1: number; f2: number } {
    const n = low.length;
    if (this.#emphasised.length !== n) this.#emphasised = new Float64Array(n);
    const x = this.#emphasised;
    for (let i = 0; i < n; i++) {
      const hamming = 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / Math.max(1, n - 1));
      x[i] = ((low[i] as number) - PRE_EMPHASIS * (i > 0 ? (low[i - 1] as number) : 0)) * hamming;
    }
    const a = lpcCoefficients(x, LPC_ORDER);
    if (!a) return { f1: Number.NaN, f2: Number.NaN };
    const peaks = envelopePeaks(this.#envelope.evaluate(a, this.#envelopeDb), this.analysisRate / 2);
    const f1 = peaks.find((f) => f >= F1_MIN_HZ && f <= F1_MAX_HZ) ?? Number.NaN;
    const f2 = Number.isNaN(f1)
      ? Number.NaN
      : (peaks.find((f) => f >= f1 + F2_MIN_GAP_HZ && f <= F2_MAX_HZ) ?? Number.NaN);
    return { f1, f2 };
  }
}

/** Windowed-sinc low-pass with cutoff `fc` (fraction of the input rate) and unity gain at DC. */
function lowpassTaps(fc: number, count: number): Float64Array {
  const taps = new Float64Array(count);
  const mid = (count - 1) / 2;
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const x = i - mid;
    const sinc = x === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * x) / (Math.PI * x);
    const window = 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (count - 1));
    taps[i] = sinc * window;
    sum += taps[i] as number;
  }
  for (let i = 0; i < count; i++) taps[i] = (taps[i] as number) / sum;
  return taps;
}
