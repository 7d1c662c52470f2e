// What the workers report to Prometheus. Every job process fills its own copy; the worker's /metrics
// sums them (aggregating registry), so names and aggregators here decide what the worker-wide figure means.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Turn stages as TurnTimings names them (src/turn_timings.ts), in seconds. */
export const TURN_STAGES = [
  'endOfSpeech',
  'stt',
  'llmFirstToken',
  'ttsFirstAudio',
  'avatarFirstFrame',
  'total',
] as const;
export type TurnStage = (typeof TURN_STAGES)[number];

/** Seconds: from the fast end of a cached reply to a slow cloud turn. */
const LATENCY_BUCKETS = [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 8, 13];
/** Frames per second per sampling interval: the goal is the configured rate (30). */
const FPS_BUCKETS = [5, 10, 15, 20, 24, 27, 28, 29, 30, 31];
/** Seconds the picture trails its sound: one frame at 30 fps is 0.033. */
const OFFSET_BUCKETS = [0, 0.005, 0.01, 0.02, 0.033, 0.05, 0.1, 0.2, 0.5];

export type ErrorKind = 'stt' | 'llm' | 'tts' | 'renderer' | 'avatar' | 'other';

export interface MetricSet {
  registry: Registry;
  activeSessions: Gauge;
  avatarFps: Histogram;
  avatarFrames: Counter;
  avatarDroppedFrames: Counter;
  avatarOffset: Histogram;
  turnLatency: Histogram<'stage'>;
  errors: Counter<'kind'>;
}

export function createMetricSet(): MetricSet {
  const registry = new Registry();
  // Process CPU and memory, event-loop lag and GC, per process; the worker sums CPU and memory.
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    activeSessions: new Gauge({
      name: 'avatar_agent_active_sessions',
      help: 'Conversations running now',
      registers,
    }),
    avatarFps: new Histogram({
      name: 'avatar_video_fps',
      help: 'Avatar video frame rate, one sample per session per metrics interval',
      buckets: FPS_BUCKETS,
      registers,
    }),
    avatarFrames: new Counter({ name: 'avatar_video_frames_total', help: 'Avatar video frames sent', registers }),
    avatarDroppedFrames: new Counter({
      name: 'avatar_video_frames_dropped_total',
      help: 'Late avatar speech frames skipped rather than sent in a burst',
      registers,
    }),
    avatarOffset: new Histogram({
      name: 'avatar_av_offset_seconds',
      help: 'How late speech frames go out after their audio starts to play (publisher-side estimate)',
      buckets: OFFSET_BUCKETS,
      registers,
    }),
    turnLatency: new Histogram({
      name: 'agent_turn_latency_seconds',
      help: 'Per-turn latency by stage (endOfSpeech, stt, llmFirstToken, ttsFirstAudio, avatarFirstFrame, total)',
      labelNames: ['stage'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    errors: new Counter({
      name: 'agent_errors_total',
      help: 'Errors by kind (stt, llm, tts, renderer, avatar, other)',
      labelNames: ['kind'],
      registers,
    }),
  };
}
