// Sounds made to order for lip-sync tests: vowels from a pulse train through formant resonators,
// hiss from filtered noise, silence. Seeded, so every run hears the same thing.

export const RATE = 24_000;
export const FRAME = 800; // one 30 fps frame at 24 kHz
const PITCH_HZ = 120;
const BANDWIDTH_HZ = 90;
const GLOTTAL_ROLLOFF_HZ = 150;

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

function toInt16(signal: Float64Array, peak: number): Int16Array {
  let max = 0;
  for (const v of signal) max = Math.max(max, Math.abs(v));
  const out = new Int16Array(signal.length);
  for (let i = 0; i < signal.length; i++) out[i] = Math.round(((signal[i] as number) / (max || 1)) * peak);
  return out;
}

/** Second-order resonator at `hz`, applied in place. */
function resonate(signal: Float64Array, hz: number): void {
  const r = Math.exp((-Math.PI * BANDWIDTH_HZ) / RATE);
  const c = 2 * r * Math.cos((2 * Math.PI * hz) / RATE);
  let y1 = 0;
  let y2 = 0;
  for (let i = 0; i < signal.length; i++) {
    const y = (1 - r) * (signal[i] as number) + c * y1 - r * r * y2;
    y2 = y1;
    y1 = y;
    signal[i] = y;
  }
}

/** A voiced sound with the given formants (Hz), `frames` frames long, peaking at `peak`. */
export function vowel(formants: number[], frames: number, peak = 12_000): Int16Array {
  const signal = new Float64Array(frames * FRAME);
  const period = Math.round(RATE / PITCH_HZ);
  for (let i = 0; i < signal.length; i += period) signal[i] = 1;
  // The glottis rolls off highs at about 12 dB per octave: two gentle low-passes.
  for (let pass = 0; pass < 2; pass++) {
    const a = Math.exp((-2 * Math.PI * GLOTTAL_ROLLOFF_HZ) / RATE);
    let y = 0;
    for (let i = 0; i < signal.length; i++) {
      y = (1 - a) * (signal[i] as number) + a * y;
      signal[i] = y;
    }
  }
  for (const f of formants) resonate(signal, f);
  return toInt16(signal, peak);
}

/** Noise; `highPass` keeps mostly what is above a few kHz (S-like), otherwise flat (F-like). */
export function hiss(frames: number, peak: number, highPass: boolean, seed = 7): Int16Array {
  const next = random(seed);
  const signal = new Float64Array(frames * FRAME);
  let previous = 0;
  for (let i = 0; i < signal.length; i++) {
    const v = next();
    signal[i] = highPass ? v - previous : v;
    previous = v;
  }
  return toInt16(signal, peak);
}

export const silence = (frames: number) => new Int16Array(frames * FRAME);

export function frames(audio: Int16Array): Int16Array[] {
  const out: Int16Array[] = [];
  for (let i = 0; i + FRAME <= audio.length; i += FRAME) out.push(audio.slice(i, i + FRAME));
  return out;
}

export function concat(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
