// Fixed one-minute windows per client plus one for everybody. Memory stays bounded: expired windows
// are swept when the table grows, and beyond MAX_TRACKED_CLIENTS new clients share the global budget.

export const WINDOW_MS = 60_000;
const MAX_TRACKED_CLIENTS = 10_000;

interface Window {
  start: number;
  count: number;
}

export interface RateDecision {
  allowed: boolean;
  /** Seconds until the window that refused this request ends. */
  retryAfterSeconds: number;
}

export class RateLimiter {
  readonly #clients = new Map<string, Window>();
  #all: Window = { start: 0, count: 0 };

  constructor(
    private readonly perClient: number,
    private readonly total: number,
    private readonly now: () => number = Date.now,
  ) {}

  take(client: string): RateDecision {
    const t = this.now();
    if (t - this.#all.start >= WINDOW_MS) this.#all = { start: t, count: 0 };
    let mine = this.#clients.get(client);
    if (!mine || t - mine.start >= WINDOW_MS) {
      if (!mine && this.#clients.size >= MAX_TRACKED_CLIENTS) this.#sweep(t);
      mine = { start: t, count: 0 };
      if (this.#clients.size < MAX_TRACKED_CLIENTS) this.#clients.set(client, mine);
    }
    const refuse = (w: Window) => ({ allowed: false, retryAfterSeconds: Math.ceil((w.start + WINDOW_MS - t) / 1000) });
    if (mine.count >= this.perClient) return refuse(mine);
    if (this.#all.count >= this.total) return refuse(this.#all);
    mine.count++;
    this.#all.count++;
    return { allowed: true, retryAfterSeconds: 0 };
  }

  get trackedClients(): number {
    return this.#clients.size;
  }

  #sweep(t: number): void {
    for (const [key, w] of this.#clients) if (t - w.start >= WINDOW_MS) this.#clients.delete(key);
  }
}
