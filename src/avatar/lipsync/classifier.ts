// One frame's sound to one mouth shape, by rules a phonetician would recognise: silence rests, hiss
// shows teeth, low murmurs close the lips, and vowels open the jaw with F1 and round or spread the
// lips with F2. Thresholds were set against Flite's phoneme timings (bench/renderer.ts scores them).
import type { FrameFeatures } from './features.ts';
import type { Viseme } from './visemes.ts';

/** Below this level nothing is speech, however quiet the voice. */
const SILENCE_FLOOR_DB = -50;
/** Speech sits within this range of the voice's recent peak; anything quieter is a pause. */
const SILENCE_BELOW_PEAK_DB = 38;
/** Sound after silence opens the mouth only if it, or the frame after it, comes this close to the peak. */
const ONSET_WITHIN_PEAK_DB = 25;
/** A jump this large into the next frame is a release after a closure: the lips were shut. */
const RELEASE_RISE_DB = 15;
const RELEASE_WITHIN_PEAK_DB = 30;
/** Hiss: many zero crossings or most energy above 4 kHz. */
const HISS_ZERO_CROSSINGS_PER_MS = 3.5;
const HISS_HIGH_BAND = 0.5;
const NOISY_ZERO_CROSSINGS_PER_MS = 1.8;
/** Weak, flat hiss is F or V (lip and teeth), strong hiss is S or SH (teeth together). */
const WEAK_HISS_DB = -37;
const WEAK_NOISE_DB = -41;
const FLAT_HISS_LOWNESS = 0.7;
/** A first formant this low is a nasal murmur, a voiced closure or a close vowel. */
const CLOSED_F1_HZ = 330;
/** ...and with a low second formant and some loss of level, lips are closed (M, B). */
const LIPS_CLOSED_F2_HZ = 1550;
const MURMUR_BELOW_PEAK_DB = 8;
/** Well below the vowels' level but voiced: a consonant with the teeth nearly together. */
const CONSONANT_BELOW_PEAK_DB = 14;
const WIDE_F1_HZ = 590;
const ROUNDED_F2_HZ = 1250;
const PUCKERED_F1_HZ = 430;
const LIQUID_F1_HZ = 470;
const BACK_F2_HZ = 1450;
const BACK_OPEN_F1_HZ = 480;
const SPREAD_F2_HZ = 1950;
const SPREAD_CLOSE_F1_HZ = 420;

export interface Context {
  /** The voice's recent peak level (dB): loudness is judged relative to it. */
  peakDb: number;
  /** The following frame, when it is already known. */
  next?: FrameFeatures;
  /** Whether the frame before was silent. */
  afterSilence: boolean;
}

export function isSilent(f: FrameFeatures, peakDb: number): boolean {
  return f.levelDb < Math.max(SILENCE_FLOOR_DB, peakDb - SILENCE_BELOW_PEAK_DB);
}

export function classify(f: FrameFeatures, { peakDb, next, afterSilence }: Context): Viseme {
  const belowPeak = peakDb - f.levelDb;
  // One frame of sound between silences, or faint noise after one, is a click or a breath.
  const faint = (x: FrameFeatures | undefined) => !x || peakDb - x.levelDb > ONSET_WITHIN_PEAK_DB;
  const noise = afterSilence && ((next !== undefined && isSilent(next, peakDb)) || (faint(f) && faint(next)));
  if (isSilent(f, peakDb) || noise) {
    const release =
      next && next.levelDb - f.levelDb > RELEASE_RISE_DB && peakDb - next.levelDb < RELEASE_WITHIN_PEAK_DB;
    return release ? 'A' : 'X';
  }
  if (f.zeroCrossings >= HISS_ZERO_CROSSINGS_PER_MS || f.highBand >= HISS_HIGH_BAND) {
    return f.levelDb < WEAK_HISS_DB && f.lowness < FLAT_HISS_LOWNESS ? 'G' : 'B';
  }
  if (Number.isNaN(f.f1) || f.f1 <= CLOSED_F1_HZ) {
    return f.f2 <= LIPS_CLOSED_F2_HZ && belowPeak > MURMUR_BELOW_PEAK_DB ? 'A' : 'B';
  }
  if (f.zeroCrossings > NOISY_ZERO_CROSSINGS_PER_MS) return f.levelDb < WEAK_NOISE_DB ? 'G' : 'B';
  if (belowPeak > CONSONANT_BELOW_PEAK_DB) return 'B';
  if (f.f1 >= WIDE_F1_HZ) return 'D';
  if (Number.isNaN(f.f2)) return 'C';
  if (f.f2 < ROUNDED_F2_HZ) {
    if (f.f1 < PUCKERED_F1_HZ) return 'F';
    return f.f1 < LIQUID_F1_HZ ? 'H' : 'E';
  }
  if (f.f2 < BACK_F2_HZ) return f.f1 < BACK_OPEN_F1_HZ ? 'E' : 'C';
  return f.f2 >= SPREAD_F2_HZ && f.f1 < SPREAD_CLOSE_F1_HZ ? 'B' : 'C';
}
