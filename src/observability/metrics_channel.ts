// How job processes hand their metrics to the worker process that forked them: newline-delimited JSON
// snapshots over a Unix socket the worker names in the environment its job processes inherit. agents
// owns the IPC channel of the fork, so this is a second, private one.
import type { MetricObjectWithValues, MetricValue } from 'prom-client';

/** Set by the worker process before it forks job processes; absent in a process nobody collects from. */
export const METRICS_SOCKET_VARIABLE = 'AVATAR_AGENT_METRICS_SOCKET';

export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

export function encodeSnapshot(snapshot: MetricsSnapshot): string {
  return `${JSON.stringify(snapshot)}\n`;
}

/** Splits a byte stream into snapshots; a line that is not one is skipped (it came from a bug, not a user). */
export function snapshotReader(onSnapshot: (snapshot: MetricsSnapshot) => void): (chunk: Buffer) => void {
  let pending = '';
  return (chunk) => {
    pending += chunk.toString('utf8');
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      try {
        const parsed: unknown = JSON.parse(line);
        if (Array.isArray(parsed)) onSnapshot(parsed as MetricsSnapshot);
      } catch {
        // skipped: see above
      }
      newline = pending.indexOf('\n');
    }
  };
}
