// Counts a worker's log lines of a few kinds as they arrive, and which process last spoke for each room.
// The test helper's waits search the whole log on every chunk, which is fine for a test; a load run
// writes tens of MB of debug log, and a search per chunk would take this process's event loop (and with
// it the subscribers' arrival times).
import type { RunningWorker } from '../../test/helpers/worker.ts';

/** Every line a job logs names its room and carries its pid (agents' JSON logs). */
const ROOM_LINE = /"pid":(\d+),.*"room":"([^"]+)"/;

export class WorkerLines<K extends string> {
  readonly #counts = new Map<K, number>();
  readonly #waiters = new Set<() => void>();
  /** Room → the pid of its job process, as of its latest line: a job relaunched elsewhere moves. */
  readonly roomPids = new Map<string, number>();

  constructor(
    worker: RunningWorker,
    readonly patterns: Record<K, RegExp>,
  ) {
    // What came before this watch began, read in the same tick as it starts listening: nothing is missed.
    for (const [kind, pattern] of Object.entries(patterns) as [K, RegExp][])
      this.#counts.set(kind, worker.lines(pattern).length);
    const noteRoom = (line: string) => {
      const room = line.match(ROOM_LINE);
      // The worker's own lines about a room (its job requests) are not the job's.
      if (room && Number(room[1]) !== worker.process.pid) this.roomPids.set(room[2] as string, Number(room[1]));
    };
    for (const line of worker.lines(ROOM_LINE)) noteRoom(line);
    // One reader per stream: a line may be split across chunks, never across streams.
    const reader = () => {
      let partial = '';
      return (chunk: Buffer) => {
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          for (const [kind, pattern] of Object.entries(patterns) as [K, RegExp][])
            if (pattern.test(line)) this.#counts.set(kind, this.count(kind) + 1);
          noteRoom(line);
        }
        for (const waiter of [...this.#waiters]) waiter();
      };
    };
    worker.process.stdout?.on('data', reader());
    worker.process.stderr?.on('data', reader());
  }

  count(kind: K): number {
    return this.#counts.get(kind) ?? 0;
  }

  /** Resolves once `count` lines of `kind` have arrived since the worker started. */
  waitFor(kind: K, count: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.count(kind) < count) return;
        finish();
        resolve();
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${this.count(kind)} of ${count} "${kind}" lines within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }
}
