// Feeds one job's events into its process's metric set: the edge between agents' session events, the
// avatar runner's summaries and Prometheus.
import { voice } from '@livekit/agents';
import type { AvatarMetrics } from '../avatar/metrics.ts';
import type { TurnTimings } from '../turn_timings.ts';
import { flushJobMetrics } from './job_metrics.ts';
import type { ErrorKind, MetricSet, TurnStage } from './metric_set.ts';

const MS_PER_SECOND = 1000;

const ERROR_KINDS: Record<string, ErrorKind> = {
  stt_error: 'stt',
  llm_error: 'llm',
  realtime_model_error: 'llm',
  tts_error: 'tts',
};

/** Counts one active session until the returned function runs (once, however often it is called). */
export function countActive(metrics: MetricSet): () => void {
  metrics.activeSessions.inc();
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    metrics.activeSessions.dec();
  };
}

/** Counts the conversation as active until the returned function runs, and its errors by kind. */
export function recordSession(session: voice.AgentSession, metrics: MetricSet): () => void {
  session.on(voice.AgentSessionEventTypes.Error, ({ error }) => {
    const type = (error as { type?: string } | undefined)?.type ?? '';
    metrics.errors.inc({ kind: ERROR_KINDS[type] ?? 'other' });
  });
  return countActive(metrics);
}

export function recordTurn(metrics: MetricSet, timings: TurnTimings): void {
  const stages: Record<TurnStage, number | undefined> = {
    endOfSpeech: timings.endOfSpeechMs,
    stt: timings.sttMs,
    llmFirstToken: timings.llmFirstTokenMs,
    ttsFirstAudio: timings.ttsFirstAudioMs,
    avatarFirstFrame: timings.avatarFirstFrameMs,
    total: timings.totalMs,
  };
  for (const [stage, ms] of Object.entries(stages)) {
    if (ms !== undefined) metrics.turnLatency.observe({ stage }, ms / MS_PER_SECOND);
  }
}

/** What an avatar runner reports every metrics interval. */
export interface AvatarMetricsSource {
  on(event: 'metrics', listener: (metrics: AvatarMetrics) => void): unknown;
}

/**
 * The runner's summaries are running totals: count what changed since the last one. Each is pushed to
 * the worker at once: the last comes as the runner closes, moments before the job process exits.
 */
export function recordAvatar(metrics: MetricSet, source: AvatarMetricsSource): void {
  let last: AvatarMetrics | undefined;
  source.on('metrics', (now) => {
    metrics.avatarFps.observe(now.fps);
    metrics.avatarFrames.inc(now.framesSent - (last?.framesSent ?? 0));
    metrics.avatarDroppedFrames.inc(now.droppedFrames - (last?.droppedFrames ?? 0));
    const rendererErrors = now.rendererErrors - (last?.rendererErrors ?? 0);
    if (rendererErrors > 0) metrics.errors.inc({ kind: 'renderer' }, rendererErrors);
    if (now.avOffsetMs !== undefined) metrics.avatarOffset.observe(now.avOffsetMs / MS_PER_SECOND);
    last = now;
    void flushJobMetrics();
  });
}
