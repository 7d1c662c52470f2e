// Memory of a set of processes over a long run, process by process, and how much it grew. A process
// that starts or ends during the run (a warm-up that failed and was replaced) would move a plain sum by
// hundreds of MB either way, so growth is read over the processes that lived through the whole run, and
// the others are counted.
import { usage } from '../processes.ts';
import { pssMB } from './machine.ts';

interface Sample {
  at: number;
  /** Per pid: RSS and PSS, MB. */
  byPid: Map<number, { rss: number; pss: number }>;
}

export interface Growth {
  /** Mean of the last `edgeMs` − mean of the first, summed over the processes that lived throughout, MB. */
  rssMB: number;
  pssMB: number;
  /** Least-squares slope of their summed RSS over the run, times its length, MB. */
  rssSlopeMB: number;
  /** Their summed RSS over the first window, MB. */
  firstRssMB: number;
  /** Processes counted, and those that came or went during the run (not counted). */
  processes: number;
  changed: number;
}

/** Least-squares slope of y over x. */
export function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxy = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

export class MemoryTrend {
  readonly #samples: Sample[] = [];

  sample(pids: number[], at: number): void {
    const byPid = new Map<number, { rss: number; pss: number }>();
    for (const pid of pids) {
      const rss = usage(pid)?.rssMB;
      const pss = pssMB(pid);
      if (rss !== undefined && pss !== undefined) byPid.set(pid, { rss, pss });
    }
    this.#samples.push({ at, byPid });
  }

  growth(start: number, end: number, edgeMs: number): Growth {
    const samples = this.#samples;
    const everywhere = [...(samples[0]?.byPid.keys() ?? [])].filter((pid) => samples.every((s) => s.byPid.has(pid)));
    const seen = new Set(samples.flatMap((s) => [...s.byPid.keys()]));
    const total = (s: Sample, key: 'rss' | 'pss') =>
      everywhere.reduce((sum, pid) => sum + (s.byPid.get(pid)?.[key] ?? 0), 0);
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const first = samples.filter((s) => s.at <= start + edgeMs);
    const last = samples.filter((s) => s.at >= end - edgeMs);
    const edge = (window: Sample[], key: 'rss' | 'pss') => mean(window.map((s) => total(s, key)));
    const minutes = (end - start) / 60_000;
    return {
      rssMB: edge(last, 'rss') - edge(first, 'rss'),
      pssMB: edge(last, 'pss') - edge(first, 'pss'),
      rssSlopeMB: slope(samples.map((s) => ({ x: (s.at - start) / 60_000, y: total(s, 'rss') }))) * minutes,
      firstRssMB: edge(first, 'rss'),
      processes: everywhere.length,
      changed: seen.size - everywhere.length,
    };
  }
}
