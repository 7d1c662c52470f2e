// Linear prediction: the vocal tract as an all-pole filter fitted to a frame. The peaks of its
// spectral envelope are the formants, which tell how open (F1) and how spread or rounded (F2) the
// mouth is, without finding polynomial roots.

/** Prediction coefficients a[1..order] (a[0] = 1) by Levinson-Durbin; undefined for silent input. */
export function lpcCoefficients(signal: Float64Array, order: number): Float64Array | undefined {
  const r = new Float64Array(order + 1);
  for (let lag = 0; lag <= order; lag++) {
    let sum = 0;
    for (let i = lag; i < signal.length; i++) sum += (signal[i] as number) * (signal[i - lag] as number);
    r[lag] = sum;
  }
  if ((r[0] as number) <= 0) return undefined;
  // A little lag windowing keeps the recursion stable on near-periodic voiced frames.
  r[0] = (r[0] as number) * (1 + 1e-9);
  const a = new Float64Array(order + 1);
  const previous = new Float64Array(order + 1);
  a[0] = 1;
  let error = r[0] as number;
  for (let i = 1; i <= order; i++) {
    let acc = r[i] as number;
    for (let j = 1; j < i; j++) acc += (a[j] as number) * (r[i - j] as number);
    const k = -acc / error;
    previous.set(a);
    for (let j = 1; j < i; j++) a[j] = (previous[j] as number) + k * (previous[i - j] as number);
    a[i] = k;
    error *= 1 - k * k;
    if (error <= 0) return undefined;
  }
  return a;
}

/** Evaluates the all-pole envelope (dB, up to a constant) at `bins` frequencies from 0 to Nyquist. */
export class EnvelopeEvaluator {
  readonly #cos: Float64Array;
  readonly #sin: Float64Array;

  constructor(
    readonly order: number,
    readonly bins: number,
  ) {
    this.#cos = new Float64Array(bins * (order + 1));
    this.#sin = new Float64Array(bins * (order + 1));
    for (let k = 0; k < bins; k++) {
      const w = (Math.PI * k) / (bins - 1);
      for (let i = 0; i <= order; i++) {
        this.#cos[k * (order + 1) + i] = Math.cos(w * i);
        this.#sin[k * (order + 1) + i] = Math.sin(w * i);
      }
    }
  }

  evaluate(a: Float64Array, out: Float64Array): Float64Array {
    const n = this.order + 1;
    for (let k = 0; k < this.bins; k++) {
      let re = 0;
      let im = 0;
      for (let i = 0; i < n; i++) {
        re += (a[i] as number) * (this.#cos[k * n + i] as number);
        im -= (a[i] as number) * (this.#sin[k * n + i] as number);
      }
      out[k] = -10 * Math.log10(re * re + im * im + 1e-12);
    }
    return out;
  }
}

/** Frequencies (Hz) of the envelope's local maxima, lowest first, refined by parabolic interpolation. */
export function envelopePeaks(envelopeDb: Float64Array, nyquistHz: number): number[] {
  const peaks: number[] = [];
  const step = nyquistHz / (envelopeDb.length - 1);
  for (let k = 1; k < envelopeDb.length - 1; k++) {
    const left = envelopeDb[k - 1] as number;
    const mid = envelopeDb[k] as number;
    const right = envelopeDb[k + 1] as number;
    if (mid > left && mid >= right) {
      const curvature = left - 2 * mid + right;
      const shift = curvature === 0 ? 0 : (0.5 * (left - right)) / curvature;
      peaks.push((k + shift) * step);
    }
  }
  return peaks;
}
