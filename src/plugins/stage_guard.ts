// What happens when a model stage (STT, LLM, TTS) fails or hangs: every wait is bounded, a quick
// failure gets one more try, and then the agent says a short line instead of leaving the user in
// silence, logs one line naming the stage, and goes on listening. The guards in guarded_*.ts apply it.
//
// agents 1.9 alone does not: a non-streaming STT has no timeout and a failed one is only logged (the
// user hears nothing); an unrecoverable STT error closes the session at once, a fourth LLM or TTS
// error in a row too; the OpenAI plugin's TTS and STT requests wait up to the SDK's 10 minutes, and a
// chat stream that stalls after its headers waits forever.
import type { log } from '@livekit/agents';

export type Stage = 'STT' | 'LLM' | 'TTS';
export type Logger = ReturnType<typeof log>;

/** How long a recognition may take: a base plus a share of the speech's own length. */
export interface SttLimits {
  baseMs: number;
  perSpeechSecondMs: number;
}

/** How long a streamed result may take: to its first chunk, and between two chunks. */
export interface StreamLimits {
  firstMs: number;
  idleMs: number;
}

export interface StageLimits {
  stt: SttLimits;
  llm: StreamLimits;
  tts: StreamLimits;
}

/**
 * A cloud model answers in about a second (Whisper API for a short utterance, a chat model's first
 * token, OpenAI TTS for one sentence, which it returns whole). Several times that is a hang.
 */
export const CLOUD_LIMITS: StageLimits = {
  stt: { baseMs: 4000, perSpeechSecondMs: 250 },
  llm: { firstMs: 8000, idleMs: 5000 },
  tts: { firstMs: 6000, idleMs: 5000 },
};

/**
 * The offline engines share two cores with everything else: Whisper decodes at up to 0.43 × real time
 * on one thread, the local LLM's prefill of a long history takes seconds, Flite a few hundred ms.
 */
export const OFFLINE_LIMITS: StageLimits = {
  stt: { baseMs: 8000, perSpeechSecondMs: 1000 },
  llm: { firstMs: 30_000, idleMs: 10_000 },
  tts: { firstMs: 10_000, idleMs: 5000 },
};

/** A quick failure (an HTTP 500, a refused connection) is tried this many times in all; a hang once. */
export const ATTEMPTS = 2;
export const RETRY_DELAY_MS = 250;

/** The stage took longer than its limit. Not retried: the user has already waited. */
export class StageTimeout extends Error {
  override name = 'StageTimeout';
}

/** `promise`, or a StageTimeout after `ms`. The loser's later outcome is ignored (race handles it). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StageTimeout(`no ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One line for the log: the error's message, with an HTTP status where there is one. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const status = (err as { statusCode?: unknown; status?: unknown }).statusCode ?? (err as { status?: unknown }).status;
  return typeof status === 'number' && !err.message.includes(String(status)) ? `${status} ${err.message}` : err.message;
}

/**
 * agents 1.9 reports a model stream's failure only as an `error` event on its model (shared by every
 * stream of that model) and, for a TTS ChunkedStream, as an unhandled rejection. This takes over the
 * stream's task before it starts (both classes start it on a later tick) to keep the stream's own error.
 */
export function captureFailure(stream: object): { error?: Error } {
  const outcome: { error?: Error } = {};
  const task = stream as { mainTask: () => Promise<unknown> };
  const run = task.mainTask.bind(stream);
  task.mainTask = async () => {
    try {
      await run();
    } catch (err) {
      outcome.error = err instanceof Error ? err : new Error(String(err));
    }
  };
  return outcome;
}

/** An AbortController that also aborts when `parent` does (the session interrupting the stage). */
export function childController(parent: AbortSignal | undefined): AbortController {
  const controller = new AbortController();
  if (parent?.aborted) controller.abort();
  else parent?.addEventListener('abort', () => controller.abort(), { once: true });
  return controller;
}

/** The one log line of a fault: which stage, why, and what the user hears instead. */
export function reportFault(logger: Logger, stage: Stage, err: unknown, instead: string): void {
  const reason = describeError(err);
  logger.error({ stage, error: reason }, `${stage} failed (${reason}); the agent says "${instead}"`);
}

type FaultType = 'stt_error' | 'llm_error' | 'tts_error';

interface ErrorEmitter<E> {
  listenerCount(event: 'error'): number;
  emit(event: 'error', error: E): boolean;
}

/**
 * Tells the session (agents listens for `error` on its models) that `type` failed, marked recoverable:
 * the guard has handled it and the session goes on. Nobody listening (a model used alone) is fine.
 */
export function emitFault<E>(model: ErrorEmitter<E>, type: FaultType, label: string, err: unknown): void {
  const error = err instanceof Error ? err : new Error(String(err));
  if (model.listenerCount('error') === 0) return;
  try {
    model.emit('error', { type, timestamp: Date.now(), label, error, recoverable: true } as E);
  } catch {
    // agents' STT StreamAdapter re-emits its STT's errors on itself, where nobody listens, so Node throws
    // there; the session's own listener, registered first, has already had the event.
  }
}

/**
 * A guarded model's own errors are the guard's to handle (it keeps each stream's error itself). Node
 * throws on an `error` event nobody listens to, so the guard listens, and ignores them.
 */
export function quietErrors(model: { on(event: 'error', listener: () => void): unknown }): void {
  model.on('error', () => {});
}
