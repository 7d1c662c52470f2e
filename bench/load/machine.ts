// What the kernel says about the machine and the processes under load (/proc): CPU over a window for
// named groups of processes and for the whole machine, and memory as RSS and PSS.
import { readFileSync } from 'node:fs';
import { usage } from '../processes.ts';

/** CPU time per pid, in seconds, at one moment. */
type CpuSnapshot = Map<number, number>;

export function cpuSnapshot(pids: number[]): CpuSnapshot {
  return new Map(
    pids.flatMap((pid) => {
      const u = usage(pid);
      return u ? [[pid, u.cpuSeconds] as const] : [];
    }),
  );
}

/**
 * CPU used between two snapshots, as % of one core over `seconds`. A process that started in between
 * counts from its start; one that ended in between is lost (its last interval is not readable).
 */
export function cpuPercent(before: CpuSnapshot, after: CpuSnapshot, seconds: number): number {
  let used = 0;
  for (const [pid, cpu] of after) used += cpu - (before.get(pid) ?? 0);
  return (used / seconds) * 100;
}

/** Busy and total jiffies of the whole machine (all cores), from /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((s, x) => s + x, 0);
  // idle + iowait
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/** The whole machine's CPU over a window, as % of one core (200 % = both cores of a 2-core machine busy). */
export class MachineCpu {
  #start = machineTicks();
  percent(cores: number): number {
    const now = machineTicks();
    const busy = now.busy - this.#start.busy;
    const total = now.total - this.#start.total;
    return total === 0 ? 0 : (busy / total) * cores * 100;
  }
}

/**
 * Proportional set size in MB: private pages plus each shared page divided among the processes that map
 * it. Sums of RSS count the node binary and shared libraries once per process; sums of PSS do not.
 */
export function pssMB(pid: number): number | undefined {
  try {
    const match = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').match(/^Pss:\s+(\d+) kB/m);
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined; // the process ended between listing and reading
  }
}

export interface Memory {
  rssMB: number;
  pssMB: number;
}

export function memoryOf(pids: number[]): Memory {
  let rss = 0;
  let pss = 0;
  for (const pid of pids) {
    rss += usage(pid)?.rssMB ?? 0;
    pss += pssMB(pid) ?? 0;
  }
  return { rssMB: rss, pssMB: pss };
}
