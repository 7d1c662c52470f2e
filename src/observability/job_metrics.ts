// The job-process side: one metric set per process, pushed to the worker every few seconds and once
// more when the job ends, so the last turn of a conversation is counted before the process exits.
import { connect, type Socket } from 'node:net';
import { createMetricSet, type MetricSet } from './metric_set.ts';
import { encodeSnapshot, METRICS_SOCKET_VARIABLE } from './metrics_channel.ts';

/** Prometheus scrapes every 15 s or so; a push every 2 s keeps the worker's view fresher than that. */
const PUSH_INTERVAL_MS = 2000;

let current: { metrics: MetricSet; flush: () => Promise<void> } | undefined;

/** This process's metrics; starts pushing them to the worker on first use. */
export function jobMetrics(): MetricSet {
  current ??= startPushing(createMetricSet(), process.env[METRICS_SOCKET_VARIABLE]);
  return current.metrics;
}

/** Sends the latest figures now (the job is ending). */
export function flushJobMetrics(): Promise<void> {
  return current?.flush() ?? Promise.resolve();
}

function startPushing(metrics: MetricSet, socketPath: string | undefined) {
  if (!socketPath) return { metrics, flush: async () => {} };
  let socket: Socket | undefined = connect(socketPath);
  // A worker that has gone away only costs us the reports; the conversation goes on.
  socket.on('error', () => {
    socket?.destroy();
    socket = undefined;
  });
  socket.unref();
  const flush = async () => {
    if (!socket || socket.destroyed) return;
    const line = encodeSnapshot(await metrics.registry.getMetricsAsJSON());
    await new Promise<void>((resolve) => socket?.write(line, () => resolve()) ?? resolve());
  };
  const timer = setInterval(() => void flush(), PUSH_INTERVAL_MS);
  timer.unref();
  return { metrics, flush };
}
