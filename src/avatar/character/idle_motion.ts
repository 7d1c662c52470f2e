// What the character does when nobody is talking, and while it talks: breathes, sways a little and
// blinks at irregular intervals. Deterministic (a seeded generator), so the same run draws the same
// frames.
import type { EyeState } from './manifest.ts';

export interface IdleSettings {
  breathSeconds: number;
  swaySeconds: number;
  blinkEverySeconds: [number, number];
}

export interface IdleState {
  /** 0..breathLevels-1: how far the chest has risen. */
  breath: number;
  /** 0..swayLevels-1: the head's sideways position, middle = centred. */
  sway: number;
  eyes: EyeState;
}

/** A blink: the lids pass half-closed, stay shut, and open again (in milliseconds). */
const BLINK: { state: EyeState; ms: number }[] = [
  { state: 'half', ms: 40 },
  { state: 'closed', ms: 70 },
  { state: 'half', ms: 40 },
];
const SEED = 0x5eed;

export class IdleMotion {
  #random = mulberry32(SEED);
  #nextBlink: number;
  readonly #blinkFrames: EyeState[];

  constructor(
    readonly settings: IdleSettings,
    readonly fps: number,
    readonly breathLevels: number,
    readonly swayLevels: number,
  ) {
    this.#blinkFrames = BLINK.flatMap(({ state, ms }) =>
      Array<EyeState>(Math.max(1, Math.round((ms * fps) / 1000))).fill(state),
    );
    this.#nextBlink = this.#interval();
  }

  /** The pose for frame `index` (frames advance by one per call in normal use). */
  at(index: number): IdleState {
    const t = index / this.fps;
    const breath = (1 - Math.cos((2 * Math.PI * t) / this.settings.breathSeconds)) / 2;
    const sway = (1 + Math.sin((2 * Math.PI * t) / this.settings.swaySeconds)) / 2;
    while (index >= this.#nextBlink + this.#blinkFrames.length) this.#nextBlink += this.#interval();
    const eyes = index >= this.#nextBlink ? (this.#blinkFrames[index - this.#nextBlink] as EyeState) : 'open';
    return {
      breath: Math.round(breath * (this.breathLevels - 1)),
      sway: Math.round(sway * (this.swayLevels - 1)),
      eyes,
    };
  }

  #interval(): number {
    const [min, max] = this.settings.blinkEverySeconds;
    return Math.round((min + (max - min) * this.#random()) * this.fps);
  }
}

/** A small, fast, seedable generator (Tommy Ettinger's Mulberry32). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
