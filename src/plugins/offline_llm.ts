// The LLM on the worker's CPU: a local GGUF model through agents' `llm.LLM` interface.
import { type APIConnectOptions, DEFAULT_API_CONNECT_OPTIONS, llm, log, shortuuid } from '@livekit/agents';
import { errorText } from '../error_text.ts';
import type { ChatMessage } from '../offline/chat_model.ts';

/** What the plugin needs of an engine: ChatModel, or anything that streams a reply the same way. */
export interface ChatEngine {
  readonly path: string;
  reply(messages: ChatMessage[], signal?: AbortSignal): AsyncIterable<string>;
}

/** The oldest turns beyond this are left out: a small model's window is short and prefill costs time. */
export const MAX_HISTORY_MESSAGES = 24;
/**
 * Turns are dropped this many at a time, so the prompt's start stays the same for several turns and
 * llama.cpp reuses its cached evaluation instead of reading the whole history again each turn.
 */
const DROP_BLOCK = 8;
/** Said instead of a reply when the engine fails; it starts afresh on the next turn. */
export const LLM_APOLOGY = 'Sorry, I lost my train of thought. Could you say that again?';

export class OfflineLLM extends llm.LLM {
  readonly engine: ChatEngine;

  constructor(engine: ChatEngine) {
    super();
    this.engine = engine;
  }

  label(): string {
    return 'offline.LLM';
  }

  override get model(): string {
    return this.engine.path;
  }

  override get provider(): string {
    return 'local';
  }

  chat({ chatCtx, connOptions }: { chatCtx: llm.ChatContext; connOptions?: APIConnectOptions }): llm.LLMStream {
    return new OfflineLLMStream(this, { chatCtx, connOptions: connOptions ?? DEFAULT_API_CONNECT_OPTIONS });
  }
}

/** The chat as plain messages: text only (tools and images are beyond a small local model). */
export function toMessages(chatCtx: llm.ChatContext): ChatMessage[] {
  const messages: ChatMessage[] = [];
  for (const item of chatCtx.items) {
    if (!(item instanceof llm.ChatMessage)) continue;
    const content = item.textContent?.trim();
    if (!content) continue;
    const role = item.role === 'developer' ? 'system' : item.role;
    messages.push({ role, content });
  }
  const system = messages.filter((m) => m.role === 'system');
  const turns = messages.filter((m) => m.role !== 'system');
  const excess = turns.length - MAX_HISTORY_MESSAGES;
  const dropped = excess > 0 ? Math.ceil(excess / DROP_BLOCK) * DROP_BLOCK : 0;
  return [...system, ...turns.slice(dropped)];
}

class OfflineLLMStream extends llm.LLMStream {
  readonly #engine: ChatEngine;

  constructor(owner: OfflineLLM, opts: { chatCtx: llm.ChatContext; connOptions: APIConnectOptions }) {
    super(owner, opts);
    this.#engine = owner.engine;
  }

  protected async run(): Promise<void> {
    const id = shortuuid();
    let said = false;
    const say = (content: string) => {
      said = true;
      this.queue.put({ id, delta: { role: 'assistant', content } });
    };
    const signal = this.abortController.signal;
    try {
      for await (const text of this.#engine.reply(toMessages(this.chatCtx), signal)) say(text);
    } catch (err) {
      if (signal.aborted) return;
      log().error(`offline LLM failed (${errorText(err)}); apologising and going on`);
      say(said ? ` ${LLM_APOLOGY}` : LLM_APOLOGY);
    }
  }
}
