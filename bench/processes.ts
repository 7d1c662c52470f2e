// The worker's processes as the kernel sees them (/proc): which belong to it, their CPU time and memory.
import { readdirSync, readFileSync } from 'node:fs';
import type { RunningWorker } from '../test/helpers/worker.ts';

const CLOCK_TICKS = 100;
const PAGE_KB = 4;

/** Processes of a worker: its own process group (the worker, warm processes and job processes). */
export function groupPids(worker: RunningWorker): number[] {
  const pgid = worker.process.pid as number;
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((d) => {
      try {
        const fields = readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
        return Number(fields[2]) === pgid ? [Number(d)] : [];
      } catch {
        return [];
      }
    });
}

export interface Usage {
  pid: number;
  cpuSeconds: number;
  rssMB: number;
}

export function usage(pid: number): Usage | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return {
      pid,
      cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS,
      rssMB: (Number(fields[21]) * PAGE_KB) / 1024,
    };
  } catch {
    return undefined; // the process ended between listing and reading
  }
}

export function groupUsage(worker: RunningWorker): { cpuSeconds: number; processes: Usage[] } {
  const processes = groupPids(worker).flatMap((pid) => usage(pid) ?? []);
  return { cpuSeconds: processes.reduce((sum, p) => sum + p.cpuSeconds, 0), processes };
}

/**
 * The job process of a room: the pid its own log lines carry (every line of a job names its room),
 * checked to be a member of the worker's process group other than the worker itself.
 */
export async function jobProcess(worker: RunningWorker, room: string): Promise<number> {
  const line = await worker.waitForLog(new RegExp(`"room":"${room}"`));
  const { pid } = JSON.parse(line) as { pid: number };
  if (pid === worker.process.pid || !groupPids(worker).includes(pid))
    throw new Error(`room ${room} logged from pid ${pid}, which is not one of the worker's job processes`);
  return pid;
}

/** Every process below `pid` (its children, theirs, …). */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const dir of readdirSync('/proc')) {
    if (!/^\d+$/.test(dir)) continue;
    try {
      const fields = readFileSync(`/proc/${dir}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      parents.set(Number(dir), Number(fields[1]));
    } catch {
      // The process ended while we read.
    }
  }
  const out: number[] = [];
  const visit = (parent: number) => {
    for (const [child, p] of parents) {
      if (p !== parent) continue;
      out.push(child);
      visit(child);
    }
  };
  visit(pid);
  return out;
}
