// Benchmark results: `bench/results/<suite>.json` plus a table on stdout.
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

export interface Metric {
  value: number | null;
  unit: string;
  /** The target, as text (e.g. "<= 10"), or "report" when there is none. */
  goal: string;
}

export type Metrics = Record<string, Metric>;

export const RESULTS_DIR = join(import.meta.dirname, 'results');

export async function writeReport(suite: string, metrics: Metrics): Promise<string> {
  const report = {
    suite,
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpu: cpus()[0]?.model ?? 'unknown',
      memoryGB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    },
    metrics,
  };
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${suite}.json`);
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

export function printTable(suite: string, metrics: Metrics): void {
  const rows = Object.entries(metrics).map(([name, m]) => [
    name,
    m.value === null ? 'n/a' : String(m.value),
    m.unit,
    m.goal,
  ]);
  const header = ['metric', 'value', 'unit', 'goal'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  console.log(`\n${suite}`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}
