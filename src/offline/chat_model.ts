// A small instruct model (any GGUF) run on the CPU by llama.cpp through node-llama-cpp's prebuilt addon.
import {
  type ChatHistoryItem,
  getLlama,
  type Llama,
  LlamaChat,
  type LlamaContext,
  type LlamaModel,
} from 'node-llama-cpp';
import { errorText } from '../error_text.ts';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Room for a system prompt and a dozen spoken exchanges; the model drops the oldest turns beyond it. */
export const CONTEXT_TOKENS = 2048;
/** A spoken reply is one to three sentences; this caps a model that rambles. */
export const MAX_REPLY_TOKENS = 80;
/** Focused but not repetitive: small models loop without a repeat penalty and wander when too hot. */
const SAMPLING = {
  temperature: 0.5,
  topK: 40,
  topP: 0.9,
  minP: 0.05,
  repeatPenalty: { penalty: 1.1, lastTokens: 64 },
} as const;
/**
 * One thread: the cores are shared with recognition, the avatar's video encoder and other rooms, and
 * llama.cpp's threads spin-wait for each other, so two threads on a busy 2-core machine measured
 * 2–8 tokens/s against 8–14 (0.5B) or 74–77 (135M) with one.
 */
const THREADS = 1;

export class ChatModelError extends Error {
  override name = 'ChatModelError';
}

export class ChatModel {
  readonly path: string;
  readonly #llama: Llama;
  readonly #model: LlamaModel;
  #context: LlamaContext | undefined;
  #chat: LlamaChat | undefined;
  /** One reply at a time: they share one sequence of the context (and its cached prompt prefix). */
  #busy: Promise<unknown> = Promise.resolve();

  private constructor(path: string, llama: Llama, model: LlamaModel) {
    this.path = path;
    this.#llama = llama;
    this.#model = model;
  }

  static async load(path: string): Promise<ChatModel> {
    // `build: 'never'`: only the prebuilt CPU binaries from npm; nothing compiles or downloads at run time.
    const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
    try {
      return new ChatModel(path, llama, await llama.loadModel({ modelPath: path }));
    } catch (err) {
      await llama.dispose();
      throw new ChatModelError(`cannot load ${path}: ${errorText(err)}`);
    }
  }

  /** Streams the assistant's next message after `messages`. Stops early, without an error, on `signal`. */
  async *reply(messages: ChatMessage[], signal?: AbortSignal): AsyncGenerator<string> {
    const chunks: string[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    const generation = this.#exclusive(async () => {
      const chat = await this.#session();
      try {
        await chat.generateResponse(toHistory(messages), {
          ...SAMPLING,
          maxTokens: MAX_REPLY_TOKENS,
          signal,
          stopOnAbortSignal: true,
          onTextChunk: (text) => {
            chunks.push(text);
            wake?.();
          },
        });
      } catch (err) {
        // A failed evaluation may leave the context unusable: the next reply starts a fresh one.
        this.#reset();
        throw err;
      }
    }).finally(() => {
      done = true;
      wake?.();
    });
    while (!done || chunks.length > 0) {
      if (chunks.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      if (chunks.length > 0) yield chunks.splice(0).join('');
    }
    await generation;
  }

  /** Tokens `text` takes in this model's vocabulary. */
  countTokens(text: string): number {
    return this.#model.tokenize(text).length;
  }

  /** Evaluates `prefix` (e.g. the system prompt) now, so the first reply starts from its cached state. */
  async warmUp(prefix: ChatMessage[]): Promise<void> {
    await this.#exclusive(async () => {
      const chat = await this.#session();
      await chat.generateResponse(toHistory(prefix), { maxTokens: 1 });
    });
  }

  async close(): Promise<void> {
    this.#reset();
    await this.#llama.dispose();
  }

  async #session(): Promise<LlamaChat> {
    if (this.#chat && !this.#chat.disposed) return this.#chat;
    this.#context = await this.#model.createContext({ contextSize: CONTEXT_TOKENS, threads: THREADS });
    this.#chat = new LlamaChat({ contextSequence: this.#context.getSequence() });
    return this.#chat;
  }

  #reset(): void {
    this.#chat?.dispose();
    void this.#context?.dispose();
    this.#chat = undefined;
    this.#context = undefined;
  }

  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#busy.then(task, task);
    this.#busy = run.catch(() => {});
    return run;
  }
}

function toHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((m) =>
    m.role === 'system'
      ? { type: 'system', text: m.content }
      : m.role === 'user'
        ? { type: 'user', text: m.content }
        : { type: 'model', response: [m.content] },
  );
  // An open model turn at the end is what LlamaChat continues.
  history.push({ type: 'model', response: [] });
  return history;
}
