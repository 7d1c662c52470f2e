// When each video frame goes out. The clock is the audio actually played: a frame's picture is due
// when its audio leaves the AudioSource queue for the listener, not when the audio was handed over,
// so the queue depth never turns into video running ahead of the sound. Late frames are dropped,
// never sent in a burst, and between utterances idle frames keep the video flowing.

export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
}

export const systemClock: Clock = { now: () => performance.now() };

/** A speech frame due within this much of now counts as due: timers fire a little late, never early. */
const DUE_SLACK_MS = 1;

interface Entry<T> {
  deadline: number;
  item: T;
  /** Markers (segment ends) are bookkeeping, not pictures. */
  visible: boolean;
}

export interface Tick<T> {
  /** Every entry now due, in order: the runner does its bookkeeping for each. */
  due: T[];
  /** The speech frame to show: the last visible due one; earlier visible ones were late. */
  show: T | undefined;
  /** Late speech frames skipped in favour of `show`. */
  dropped: number;
  /** When `show` was due (its audio's playout plus the video lag). */
  showDue: number | undefined;
  /** No speech is due but a frame interval has passed: show an idle frame. */
  idle: boolean;
}

export class AvSynchronizer<T> {
  #pending: Entry<T>[] = [];
  /** The slot of the last frame shown: its deadline, or the idle slot it filled (not when the timer fired,
   * so timer lateness does not accumulate into a lower frame rate). */
  #lastSlot: number | undefined;

  /**
   * @param videoLagMs How much later than its audio's playout a frame is shown: the difference between
   *   when audio is stamped on the wire and when it leaves the queue (see the runner).
   */
  constructor(
    readonly frameMs: number,
    readonly clock: Clock = systemClock,
    readonly videoLagMs = 0,
  ) {}

  /**
   * The audio for `item` has just been captured and `queuedMs` of audio, it included, now waits in the
   * AudioSource: its picture is due when that audio starts to play (plus the video lag).
   */
  audioCaptured(item: T, queuedMs: number): number {
    const deadline = this.clock.now() + Math.max(0, queuedMs - this.frameMs) + this.videoLagMs;
    this.#pending.push({ deadline, item, visible: true });
    return deadline;
  }

  /** A marker due when everything scheduled so far has played (one frame after the last frame's start). */
  afterLast(item: T): number {
    const last = this.#pending.at(-1)?.deadline;
    const deadline = last === undefined ? this.clock.now() : last + this.frameMs;
    this.#pending.push({ deadline, item, visible: false });
    return deadline;
  }

  /** When the next tick has something to do. */
  nextDue(): number {
    const idleAt = this.#idleSlot(this.clock.now());
    const next = this.#pending[0];
    // Speech due by about the next idle slot takes that slot; idle frames fill only real gaps.
    return next && next.deadline <= idleAt + this.frameMs / 2 ? next.deadline : idleAt;
  }

  tick(): Tick<T> {
    const now = this.clock.now();
    let count = 0;
    while (count < this.#pending.length && (this.#pending[count] as Entry<T>).deadline <= now + DUE_SLACK_MS) count++;
    const due = this.#pending.splice(0, count);
    const visible = due.filter((e) => e.visible);
    const show = visible.at(-1)?.item;
    const idleAt = this.#idleSlot(now);
    const idle = show === undefined && now + DUE_SLACK_MS >= idleAt && !this.#speechImminent(now);
    const shownSlot = visible.at(-1)?.deadline;
    if (shownSlot !== undefined) this.#lastSlot = shownSlot;
    else if (idle) this.#lastSlot = idleAt;
    return { due: due.map((e) => e.item), show, dropped: Math.max(0, visible.length - 1), idle, showDue: shownSlot };
  }

  /** Drops everything not yet shown (interruption) and returns it. */
  clear(): T[] {
    return this.#pending.splice(0).map((e) => e.item);
  }

  /** The next speech frame still to show (look-ahead for the renderer). */
  peek(): T | undefined {
    return this.#pending.find((e) => e.visible)?.item;
  }

  get pendingFrames(): number {
    return this.#pending.filter((e) => e.visible).length;
  }

  /** The next idle slot: one frame after the last, or now when the video has fallen a frame behind. */
  #idleSlot(now: number): number {
    if (this.#lastSlot === undefined) return now;
    const slot = this.#lastSlot + this.frameMs;
    return slot < now - this.frameMs ? now : slot;
  }

  #speechImminent(now: number): boolean {
    const next = this.#pending.find((e) => e.visible);
    return next !== undefined && next.deadline <= now + this.frameMs / 2;
  }
}
