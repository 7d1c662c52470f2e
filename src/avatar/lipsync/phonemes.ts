// Phonemes to mouth shapes. Used to score the audio-driven shapes against a TTS engine's own phoneme
// timings, and ready for TTS engines that report phonemes. Phones are ARPAbet as CMU Flite and
// Festival print them (lower case, no stress digits); `pau` is a pause.
import type { Viseme } from './visemes.ts';

export const PHONEME_VISEMES: Readonly<Record<string, Viseme>> = {
  pau: 'X',
  // Lips together.
  p: 'A',
  b: 'A',
  m: 'A',
  // Teeth together or nearly: most consonants and the tight EE.
  t: 'B',
  d: 'B',
  n: 'B',
  s: 'B',
  z: 'B',
  k: 'B',
  g: 'B',
  ng: 'B',
  y: 'B',
  ch: 'B',
  jh: 'B',
  sh: 'B',
  zh: 'B',
  th: 'B',
  dh: 'B',
  iy: 'B',
  // Open.
  eh: 'C',
  ae: 'C',
  ah: 'C',
  ax: 'C',
  ih: 'C',
  ey: 'C',
  // Wide open.
  aa: 'D',
  ay: 'D',
  aw: 'D',
  // Slightly rounded.
  ao: 'E',
  er: 'E',
  r: 'E',
  oy: 'E',
  uh: 'E',
  // Puckered.
  uw: 'F',
  ow: 'F',
  w: 'F',
  // Teeth on lip.
  f: 'G',
  v: 'G',
  // Tongue up.
  l: 'H',
  el: 'H',
};

/** H shapes the mouth for the sound that follows it: it takes that sound's shape. */
const TAKES_NEXT_SHAPE = new Set(['hh']);

/** The shape for `phone`; `next` is the phone after it (for sounds that borrow the next shape). */
export function visemeForPhoneme(phone: string, next?: string): Viseme {
  if (TAKES_NEXT_SHAPE.has(phone)) return next && next in PHONEME_VISEMES ? visemeForPhoneme(next) : 'C';
  const viseme = PHONEME_VISEMES[phone];
  if (!viseme) throw new RangeError(`no mouth shape for phoneme "${phone}"`);
  return viseme;
}
