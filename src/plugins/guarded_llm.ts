// The LLM with bounded waits: a reply that fails (after one retry when nothing was said yet), never
// starts or stalls midway ends with a short apology instead, so the agent always answers something
// and the session, which never sees an unrecoverable error, goes on listening.
import { type APIConnectOptions, DEFAULT_API_CONNECT_OPTIONS, llm, shortuuid } from '@livekit/agents';
import { LLM_APOLOGY } from './offline_llm.ts';
import {
  ATTEMPTS,
  captureFailure,
  delay,
  emitFault,
  type Logger,
  quietErrors,
  RETRY_DELAY_MS,
  reportFault,
  StageTimeout,
  type StreamLimits,
  within,
} from './stage_guard.ts';

type ChatOptions = Parameters<llm.LLM['chat']>[0];

export class GuardedLLM extends llm.LLM {
  constructor(
    readonly inner: llm.LLM,
    readonly limits: StreamLimits,
    readonly logger: Logger,
  ) {
    super();
    quietErrors(inner);
  }

  label(): string {
    return this.inner.label();
  }

  override get model(): string {
    return this.inner.model;
  }

  override get provider(): string {
    return this.inner.provider;
  }

  override prewarm(): void {
    this.inner.prewarm();
  }

  override async aclose(): Promise<void> {
    await this.inner.aclose();
    await super.aclose();
  }

  chat(options: ChatOptions): llm.LLMStream {
    return new GuardedLLMStream(this, options);
  }
}

class GuardedLLMStream extends llm.LLMStream {
  readonly #owner: GuardedLLM;
  readonly #options: ChatOptions;

  constructor(owner: GuardedLLM, options: ChatOptions) {
    const connOptions = options.connOptions ?? DEFAULT_API_CONNECT_OPTIONS;
    super(owner, { chatCtx: options.chatCtx, toolCtx: options.toolCtx, connOptions });
    this.#owner = owner;
    this.#options = options;
  }

  protected async run(): Promise<void> {
    const { inner, limits, logger } = this.#owner;
    // The guard times and retries; the model's own retries would only add to the user's wait.
    const connOptions: APIConnectOptions = { maxRetry: 0, timeoutMs: limits.firstMs, retryIntervalMs: 0 };
    const signal = this.abortController.signal;
    let said = false;
    let failure: unknown;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const stream = inner.chat({ ...this.#options, connOptions });
      const outcome = captureFailure(stream);
      const stop = () => stream.close();
      signal.addEventListener('abort', stop, { once: true });
      try {
        for (;;) {
          const next = await within(stream.next(), said ? limits.idleMs : limits.firstMs, 'LLM output');
          if (next.done || signal.aborted) break;
          const { content, toolCalls } = next.value.delta ?? {};
          if (content || toolCalls?.length) said = true;
          this.queue.put(next.value);
        }
        if (signal.aborted) return;
        if (outcome.error) throw outcome.error;
        if (!said) throw new Error('the reply was empty');
        return;
      } catch (err) {
        stream.close();
        if (signal.aborted) return;
        failure = err;
        // Words already on their way to the user cannot be taken back by a retry.
        if (said || err instanceof StageTimeout || attempt === ATTEMPTS) break;
        logger.debug({ stage: 'LLM', error: String(err) }, 'LLM failed; trying once more');
        await delay(RETRY_DELAY_MS);
      } finally {
        signal.removeEventListener('abort', stop);
      }
    }
    if (signal.aborted) return;
    reportFault(logger, 'LLM', failure, LLM_APOLOGY);
    emitFault(this.#owner, 'llm_error', this.#owner.label(), failure);
    this.queue.put({ id: shortuuid(), delta: { role: 'assistant', content: said ? ` ${LLM_APOLOGY}` : LLM_APOLOGY } });
  }
}
