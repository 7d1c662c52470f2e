// Mouth shapes from audio alone: every shape reachable, silence rests at once, smoothing, determinism.
import { dispose } from '@livekit/rtc-node';
import { afterAll, describe, expect, test } from 'vitest';
import { LipSync } from '../src/avatar/lipsync/lip_sync.ts';
import { visemeForPhoneme } from '../src/avatar/lipsync/phonemes.ts';
import { MIN_HOLD_FRAMES, VisemeSmoother } from '../src/avatar/lipsync/smoother.ts';
import { VISEMES, type Viseme } from '../src/avatar/lipsync/visemes.ts';
import { resample, synthesize } from './helpers/speech.ts';
import { concat, FRAME, frames, hiss, RATE, silence, vowel } from './helpers/synthetic_voice.ts';

/** Shapes for `audio`, frame by frame, with the one-frame look-ahead the runner provides. */
function shapes(audio: Int16Array, lipSync = new LipSync(RATE)): Viseme[] {
  const chunks = frames(audio);
  return chunks.map((chunk, i) => lipSync.next(chunk, chunks[i + 1]));
}

/** A talker's normal loudness first, so the sound under test is judged against it. */
const speaking = () => vowel([560, 1700, 2500], 4);

const STIMULI: Record<Viseme, () => Int16Array> = {
  // Lips shut just before a release: a short closure, then a loud onset.
  A: () => concat(speaking(), silence(2), vowel([750, 1200, 2500], 1)),
  // Strong hiss (S).
  B: () => concat(speaking(), hiss(6, 6000, true)),
  // EH / AE.
  C: () => concat(silence(1), vowel([560, 1700, 2500], 6)),
  // AA: high F1.
  D: () => concat(speaking(), vowel([750, 1200, 2500], 6)),
  // AO: mid F1, low F2.
  E: () => concat(speaking(), vowel([520, 1000, 2400], 6)),
  // UW / OW: low F1, low F2.
  F: () => concat(speaking(), vowel([380, 900, 2300], 6)),
  // Weak, flat hiss (F, V).
  G: () => concat(speaking(), hiss(6, 400, false)),
  // L: between the rounded and the open back vowels.
  H: () => concat(speaking(), vowel([440, 1100, 2600], 6)),
  X: () => concat(speaking(), silence(3)),
};

afterAll(async () => {
  await dispose();
});

describe('lip sync', () => {
  test.each(VISEMES)('shape %s is reachable from suitable audio', (shape) => {
    const audio = STIMULI[shape]();
    // The closure is judged on the frame before the release; everything else at its end.
    const out = shapes(audio);
    const at = shape === 'A' ? out.length - 2 : out.length - 1;
    expect(out[at]).toBe(shape);
  });

  test('silence brings the mouth to rest within one frame, whatever it was doing', () => {
    for (const sound of [vowel([750, 1200, 2500], 6), hiss(6, 6000, true), vowel([380, 900, 2300], 6)]) {
      const out = shapes(concat(sound, silence(4)));
      const firstSilent = sound.length / FRAME;
      expect(out.slice(firstSilent)).toEqual(['X', 'X', 'X', 'X']);
      expect(out[firstSilent - 1]).not.toBe('X');
    }
  });

  test('no audio (idle) is rest, and reset returns to rest at once', () => {
    const lipSync = new LipSync(RATE);
    shapes(vowel([750, 1200, 2500], 6), lipSync);
    lipSync.reset();
    expect(lipSync.next(undefined)).toBe('X');
  });

  test('the same audio gives the same shapes, run after run', async () => {
    const speech = await synthesize('Bright lights flashed as the parade moved through town.', 'slt');
    const resampled = resample(speech, RATE);
    const first = shapes(resampled);
    expect(shapes(resampled)).toEqual(first);
    // Real speech moves through many shapes, not one or two.
    expect(new Set(first).size).toBeGreaterThanOrEqual(6);
  });
});

describe('smoothing', () => {
  test(`a shape is held for ${MIN_HOLD_FRAMES} frames before the next replaces it`, () => {
    const s = new VisemeSmoother();
    expect([s.next('C'), s.next('E'), s.next('E')]).toEqual(['C', 'C', 'E']);
  });

  test('a big jaw jump passes through an in-between for one frame', () => {
    const s = new VisemeSmoother();
    expect([s.next('A'), s.next('A'), s.next('D'), s.next('D')]).toEqual(['A', 'A', 'C', 'D']);
  });

  test('silence overrides the hold', () => {
    const s = new VisemeSmoother();
    expect([s.next('C'), s.next('X')]).toEqual(['C', 'X']);
  });
});

describe('phoneme map', () => {
  test('covers the shapes, and H borrows the next sound', () => {
    expect(visemeForPhoneme('m')).toBe('A');
    expect(visemeForPhoneme('aa')).toBe('D');
    expect(visemeForPhoneme('f')).toBe('G');
    expect(visemeForPhoneme('l')).toBe('H');
    expect(visemeForPhoneme('hh', 'uw')).toBe('F');
    expect(() => visemeForPhoneme('qq')).toThrow(/qq/);
  });
});
