// Shapes as an animator would time them: each held for a couple of frames so the mouth does not
// flicker, an in-between where the jaw would otherwise jump, and straight to rest when the sound stops.
import { JAW_OPENING, type Viseme } from './visemes.ts';

/** Frames a shape stays up before another may replace it (about 67 ms at 30 fps). */
export const MIN_HOLD_FRAMES = 2;
/** A change of jaw opening larger than this gets one in-between frame. */
const BIG_JUMP = 0.55;

/** Rhubarb's tweens: C between closed and wide, E between wide and puckered. */
function inBetween(from: Viseme, to: Viseme): Viseme {
  return (from === 'D' && to === 'F') || (from === 'F' && to === 'D') ? 'E' : 'C';
}

export class VisemeSmoother {
  #shown: Viseme = 'X';
  #held = MIN_HOLD_FRAMES;

  /** The shape to show for a frame whose sound says `target`. */
  next(target: Viseme): Viseme {
    let shape = target;
    if (target !== 'X' && target !== this.#shown) {
      // Rest is not a shape to hold: speech may start from it at once.
      if (this.#held < MIN_HOLD_FRAMES && this.#shown !== 'X') shape = this.#shown;
      else if (Math.abs(JAW_OPENING[target] - JAW_OPENING[this.#shown]) > BIG_JUMP) {
        const tween = inBetween(this.#shown, target);
        // One frame of in-between, and only when it is a shape of its own.
        if (tween !== this.#shown) shape = tween;
      }
    }
    // An in-between is a passing shape: it does not have to be held.
    this.#held = shape === this.#shown ? this.#held + 1 : shape === target ? 1 : MIN_HOLD_FRAMES;
    this.#shown = shape;
    return shape;
  }

  reset(): void {
    this.#shown = 'X';
    this.#held = MIN_HOLD_FRAMES;
  }
}
