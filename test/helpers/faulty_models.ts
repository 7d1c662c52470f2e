// Fault injection for the model stages: wrappers around a real stt.STT, llm.LLM or tts.TTS that pass
// everything through until told to fail (an HTTP 500 as the providers' plugins raise it) or to hang
// (never answer, until the caller gives up and aborts).
import {
  type APIConnectOptions,
  APIStatusError,
  type AudioBuffer,
  DEFAULT_API_CONNECT_OPTIONS,
  llm,
  stt,
  tts,
} from '@livekit/agents';

export type FaultMode = 'ok' | 'fail' | 'hang';

/** What a wrapper does with the next calls; `faults` counts the calls it failed or held. */
export class FaultSwitch {
  mode: FaultMode = 'ok';
  faults = 0;
  /** Resolves at the next call that meets a fault. */
  #waiters: (() => void)[] = [];

  nextFault(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Runs the fault, if one is set: throws, or waits until `signal` aborts and then throws. */
  async apply(stage: string, signal: AbortSignal | undefined): Promise<void> {
    const mode = this.mode;
    if (mode === 'ok') return;
    this.faults++;
    for (const wake of this.#waiters.splice(0)) wake();
    if (mode === 'hang') await untilAborted(signal);
    throw new APIStatusError({ message: `injected ${stage} ${mode}`, options: { statusCode: 500 } });
  }
}

function untilAborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    signal?.addEventListener('abort', () => resolve(), { once: true });
  });
}

export class FaultySTT extends stt.STT {
  readonly label: string;

  constructor(
    readonly inner: stt.STT,
    readonly fault = new FaultSwitch(),
  ) {
    super(inner.capabilities);
    this.label = `faulty(${inner.label})`;
  }

  protected async _recognize(buffer: AudioBuffer, abortSignal?: AbortSignal): Promise<stt.SpeechEvent> {
    await this.fault.apply('STT', abortSignal);
    return this.inner.recognize(buffer, abortSignal);
  }

  stream(): stt.SpeechStream {
    throw new Error('FaultySTT recognizes whole utterances');
  }
}

export class FaultyLLM extends llm.LLM {
  constructor(
    readonly inner: llm.LLM,
    readonly fault = new FaultSwitch(),
  ) {
    super();
  }

  label(): string {
    return `faulty(${this.inner.label()})`;
  }

  chat(options: Parameters<llm.LLM['chat']>[0]): llm.LLMStream {
    if (this.fault.mode === 'ok') return this.inner.chat(options);
    return new FaultyLLMStream(this, options.chatCtx, options.connOptions ?? DEFAULT_API_CONNECT_OPTIONS);
  }
}

class FaultyLLMStream extends llm.LLMStream {
  readonly #fault: FaultSwitch;

  constructor(owner: FaultyLLM, chatCtx: llm.ChatContext, connOptions: APIConnectOptions) {
    super(owner, { chatCtx, connOptions });
    this.#fault = owner.fault;
  }

  protected async run(): Promise<void> {
    await this.#fault.apply('LLM', this.abortController.signal);
  }
}

/** For TTSs that synthesize whole texts (the ones the agent uses). */
export class FaultyTTS extends tts.TTS {
  readonly label: string;

  constructor(
    readonly inner: tts.TTS,
    readonly fault = new FaultSwitch(),
  ) {
    super(inner.sampleRate, inner.numChannels, inner.capabilities);
    this.label = `faulty(${inner.label})`;
  }

  synthesize(text: string, connOptions?: APIConnectOptions, abortSignal?: AbortSignal): tts.ChunkedStream {
    if (this.fault.mode === 'ok') return this.inner.synthesize(text, connOptions, abortSignal);
    return new FaultyChunkedStream(this, text, connOptions, abortSignal);
  }

  stream(): tts.SynthesizeStream {
    throw new Error('FaultyTTS synthesizes whole texts');
  }
}

class FaultyChunkedStream extends tts.ChunkedStream {
  label = 'faulty.ChunkedStream';
  readonly #fault: FaultSwitch;

  constructor(owner: FaultyTTS, text: string, connOptions?: APIConnectOptions, abortSignal?: AbortSignal) {
    super(text, owner, connOptions, abortSignal);
    this.#fault = owner.fault;
  }

  protected async run(): Promise<void> {
    try {
      await this.#fault.apply('TTS', this.abortSignal);
    } finally {
      this.queue.close();
    }
  }
}
