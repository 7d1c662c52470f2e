// How often one person may ask something of the agent (a typed message, "Say this"): a sliding
// window per sender. Going over is reported once per window, so a flood costs the agent neither
// replies nor log lines; a stuck key or a script cannot keep the avatar talking or fill the log.

export interface Rate {
  requests: number;
  windowMs: number;
}

/** Senders remembered before those quiet for a whole window are forgotten: memory stays bounded. */
const SWEEP_ABOVE_SENDERS = 1000;

/** `refused` is the first refusal of the sender's window (log it); `quiet` the ones after it. */
export type RateDecision = 'allowed' | 'refused' | 'quiet';

export class SenderRate {
  readonly #recent = new Map<string, number[]>();
  /** When each sender's current run of refusals was logged. */
  readonly #reported = new Map<string, number>();

  constructor(
    readonly rate: Rate,
    private readonly now: () => number = Date.now,
  ) {}

  take(sender: string): RateDecision {
    const t = this.now();
    if (this.#recent.size > SWEEP_ABOVE_SENDERS) this.#sweep(t);
    const times = (this.#recent.get(sender) ?? []).filter((at) => t - at < this.rate.windowMs);
    if (times.length < this.rate.requests) {
      times.push(t);
      this.#recent.set(sender, times);
      return 'allowed';
    }
    this.#recent.set(sender, times);
    const reported = this.#reported.get(sender);
    if (reported !== undefined && t - reported < this.rate.windowMs) return 'quiet';
    this.#reported.set(sender, t);
    return 'refused';
  }

  #sweep(t: number): void {
    for (const [sender, times] of this.#recent) {
      if (times.every((at) => t - at >= this.rate.windowMs)) this.#recent.delete(sender);
    }
    for (const [sender, at] of this.#reported) if (t - at >= this.rate.windowMs) this.#reported.delete(sender);
  }

  /** The limit in words, for refusals: "at most 5 every 10 s". */
  describe(): string {
    return `at most ${this.rate.requests} every ${this.rate.windowMs / 1000} s`;
  }
}
