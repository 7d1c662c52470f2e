// The worker process's /metrics: its own figures plus every job process's latest snapshot, summed by
// prom-client's aggregating registry. Counters of processes that have exited are kept, so totals
// (turns, errors, frames, CPU seconds) never go backwards when a conversation's process ends.
import { rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createSocketServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AggregatorRegistry } from 'prom-client';
import { createMetricSet } from './metric_set.ts';
import { METRICS_SOCKET_VARIABLE, type MetricsSnapshot, snapshotReader } from './metrics_channel.ts';

export const METRICS_PATH = '/metrics';

/** Counters and histograms only grow: what an exited process counted still belongs in the totals. */
const CUMULATIVE = new Set(['counter', 'histogram']);

export interface WorkerMetrics {
  /** Where job processes send their snapshots (also set in the environment they inherit). */
  socketPath: string;
  /** The port /metrics listens on. */
  port: number;
  text(): Promise<string>;
  close(): Promise<void>;
}

/** Starts collecting from job processes and serving /metrics on `port` (0 picks a free one). */
export async function serveWorkerMetrics(port: number, host = '0.0.0.0'): Promise<WorkerMetrics> {
  // The worker's own process, and every metric at zero before the first job reports.
  const own = createMetricSet().registry;
  const live = new Map<Socket, MetricsSnapshot>();
  // Exited processes' cumulative figures: folded into one snapshot in the background (prom-client reads
  // values asynchronously), and counted from `exited` until the fold lands, so no scrape misses them.
  let retired: MetricsSnapshot = [];
  const exited: MetricsSnapshot[] = [];
  let folding = Promise.resolve();
  const retire = (last: MetricsSnapshot) => {
    exited.push(last.filter((m) => CUMULATIVE.has(String(m.type))));
    folding = folding.then(async () => {
      const batch = exited.slice();
      const folded = await AggregatorRegistry.aggregate([retired, ...batch]).getMetricsAsJSON();
      retired = folded;
      exited.splice(0, batch.length);
    });
  };

  const socketPath = join(tmpdir(), `livekit-avatar-metrics-${process.pid}.sock`);
  rmSync(socketPath, { force: true });
  const collector = createSocketServer((socket) => {
    socket.on(
      'data',
      snapshotReader((snapshot) => live.set(socket, snapshot)),
    );
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      const last = live.get(socket);
      live.delete(socket);
      if (last) retire(last);
    });
  });
  await new Promise<void>((resolve, reject) => {
    collector.once('error', reject);
    collector.listen(socketPath, () => resolve());
  });
  collector.unref();
  process.env[METRICS_SOCKET_VARIABLE] = socketPath;

  const text = async () => {
    const all = [await own.getMetricsAsJSON(), retired, ...exited, ...live.values()];
    return AggregatorRegistry.aggregate(all).metrics();
  };

  const http = createHttpServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== METRICS_PATH) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`not found; metrics are at ${METRICS_PATH}\n`);
      return;
    }
    text().then(
      (body) => res.writeHead(200, { 'Content-Type': own.contentType }).end(body),
      (err: unknown) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`metrics failed: ${String(err)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => resolve());
  });
  http.unref();

  return {
    socketPath,
    port: (http.address() as { port: number }).port,
    text,
    close: async () => {
      await Promise.all([
        new Promise((resolve) => http.close(resolve)),
        new Promise((resolve) => collector.close(resolve)),
      ]);
      rmSync(socketPath, { force: true });
    },
  };
}
