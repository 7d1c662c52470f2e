// The worker's /metrics over real sockets: job processes' snapshots are summed, and what an exited
// process counted stays in the totals while its gauges leave with it.

import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { createMetricSet, type MetricSet } from '../src/observability/metric_set.ts';
import { encodeSnapshot } from '../src/observability/metrics_channel.ts';
import { serveWorkerMetrics, type WorkerMetrics } from '../src/observability/worker_metrics.ts';
import { sample, scrape } from './helpers/prometheus.ts';

let served: WorkerMetrics | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await served?.close();
  served = undefined;
});

async function jobProcess(
  socketPath: string,
): Promise<{ metrics: MetricSet; push: () => Promise<void>; exit: () => Promise<void> }> {
  const metrics = createMetricSet();
  const socket = connect(socketPath);
  sockets.push(socket);
  await once(socket, 'connect');
  return {
    metrics,
    push: async () => {
      socket.write(encodeSnapshot(await metrics.registry.getMetricsAsJSON()));
    },
    exit: async () => {
      socket.end();
      await once(socket, 'close');
    },
  };
}

describe('worker metrics', () => {
  test('sums job processes; an exited one keeps its counts but not its gauges', async () => {
    served = await serveWorkerMetrics(0, '127.0.0.1');
    const url = `http://127.0.0.1:${served.port}/metrics`;
    const before = await scrape(url);
    expect(sample(before, 'avatar_agent_active_sessions')).toBe(0);

    const a = await jobProcess(served.socketPath);
    const b = await jobProcess(served.socketPath);
    for (const job of [a, b]) {
      job.metrics.activeSessions.inc();
      job.metrics.avatarFrames.inc(300);
      job.metrics.turnLatency.observe({ stage: 'total' }, 0.8);
    }
    a.metrics.errors.inc({ kind: 'tts' });
    await Promise.all([a.push(), b.push()]);
    await expect.poll(async () => sample(await scrape(url), 'avatar_agent_active_sessions'), { timeout: 5000 }).toBe(2);
    const both = await scrape(url);
    expect(sample(both, 'avatar_video_frames_total')).toBe(600);
    expect(sample(both, 'agent_turn_latency_seconds_count{stage="total"}')).toBe(2);
    expect(sample(both, 'agent_turn_latency_seconds_bucket{le="1",stage="total"}')).toBe(2);
    expect(sample(both, 'agent_errors_total{kind="tts"}')).toBe(1);

    await a.exit();
    await expect.poll(async () => sample(await scrape(url), 'avatar_agent_active_sessions'), { timeout: 5000 }).toBe(1);
    const after = await scrape(url);
    expect(sample(after, 'avatar_video_frames_total')).toBe(600);
    expect(sample(after, 'agent_errors_total{kind="tts"}')).toBe(1);
    expect(sample(after, 'agent_turn_latency_seconds_count{stage="total"}')).toBe(2);
    // CPU seconds are counters too: the exited process's stay in the sum.
    expect(sample(after, 'process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  test('a line that is not a snapshot is skipped and the next one counts', async () => {
    served = await serveWorkerMetrics(0, '127.0.0.1');
    const url = `http://127.0.0.1:${served.port}/metrics`;
    const job = await jobProcess(served.socketPath);
    job.metrics.activeSessions.inc();
    (sockets.at(-1) as Socket).write('not json\n{"also":"not a snapshot"}\n');
    await job.push();
    await expect.poll(async () => sample(await scrape(url), 'avatar_agent_active_sessions'), { timeout: 5000 }).toBe(1);
  });

  test('only GET /metrics is served', async () => {
    served = await serveWorkerMetrics(0, '127.0.0.1');
    const res = await fetch(`http://127.0.0.1:${served.port}/other`);
    expect(res.status).toBe(404);
    expect(await res.text()).toMatch(/metrics are at \/metrics/);
  });
});
