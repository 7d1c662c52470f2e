// Text to speech with bounded waits and a voice that cannot fail: the reply is spoken sentence by
// sentence (as agents' StreamAdapter does for a TTS that takes whole texts); when the TTS fails (after
// one retry when nothing of the sentence was heard yet) or hangs, the rest of the reply is dropped and
// a short apology, made once per process with Flite, is played instead, with its own transcript.
import { type APIConnectOptions, shortuuid, tokenize, tts, USERDATA_TIMED_TRANSCRIPT, voice } from '@livekit/agents';
import { AudioFrame } from '@livekit/rtc-node';
import type { Speech } from '../offline/flite.ts';
import { resampleMono } from '../offline/resample.ts';
import { TTS_APOLOGY } from './offline_tts.ts';
import {
  ATTEMPTS,
  captureFailure,
  childController,
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

const FRAME_MS = 100;
/** Without a recorded apology (Flite failed too), its transcript still reaches the user, over this much silence. */
const SILENT_APOLOGY_MS = 2500;

/** The spoken apology at `sampleRate`, or silence to carry its transcript. */
function apologyPcm(speech: Speech | undefined, sampleRate: number): Int16Array {
  return speech
    ? resampleMono(speech.pcm, speech.sampleRate, sampleRate)
    : new Int16Array((sampleRate * SILENT_APOLOGY_MS) / 1000);
}

/** Fresh frames (each stream marks its own), each starting at byte 0. */
function toFrames(pcm: Int16Array, sampleRate: number): AudioFrame[] {
  const step = (sampleRate * FRAME_MS) / 1000;
  const frames: AudioFrame[] = [];
  for (let at = 0; at < pcm.length; at += step) {
    const data = pcm.slice(at, at + step);
    frames.push(new AudioFrame(data, sampleRate, 1, data.length));
  }
  return frames;
}

export class GuardedTTS extends tts.TTS {
  readonly label: string;
  readonly #recordApology: () => Promise<Speech | undefined>;
  #apology: Promise<Int16Array> | undefined;

  /** `primary` takes whole texts; `recordApology` gives TTS_APOLOGY spoken (by Flite), or undefined. */
  constructor(
    readonly primary: tts.TTS,
    recordApology: () => Promise<Speech | undefined>,
    readonly limits: StreamLimits,
    readonly logger: Logger,
  ) {
    super(primary.sampleRate, primary.numChannels, { streaming: true, alignedTranscript: true });
    if (primary.capabilities.streaming || primary.numChannels !== 1) {
      throw new Error('GuardedTTS guards mono TTSs that synthesize whole texts');
    }
    this.label = primary.label;
    quietErrors(primary);
    this.#recordApology = recordApology;
  }

  override get model(): string {
    return this.primary.model;
  }

  override get provider(): string {
    return this.primary.provider;
  }

  async apologyFrames(): Promise<AudioFrame[]> {
    this.#apology ??= this.#recordApology()
      .catch(() => undefined)
      .then((speech) => apologyPcm(speech, this.sampleRate));
    return toFrames(await this.#apology, this.sampleRate);
  }

  /** Unguarded: agents' voice pipeline only streams (see `capabilities`); this is for direct callers. */
  synthesize(text: string, connOptions?: APIConnectOptions, abortSignal?: AbortSignal): tts.ChunkedStream {
    return this.primary.synthesize(text, connOptions, abortSignal);
  }

  stream(options?: { connOptions?: APIConnectOptions }): tts.SynthesizeStream {
    return new GuardedSynthesizeStream(this, options?.connOptions);
  }

  override async close(): Promise<void> {
    await this.primary.close();
  }
}

interface Request {
  controller: AbortController;
  stream: tts.ChunkedStream;
  outcome: { error?: Error };
}

class GuardedSynthesizeStream extends tts.SynthesizeStream {
  label = 'GuardedSynthesizeStream';
  readonly #owner: GuardedTTS;
  #failed = false;
  /** Seconds of audio emitted so far: where the next sentence's transcript starts. */
  #position = 0;

  constructor(owner: GuardedTTS, connOptions?: APIConnectOptions) {
    super(owner, connOptions);
    this.#owner = owner;
  }

  protected async run(): Promise<void> {
    const sentences = new tokenize.basic.SentenceTokenizer().stream();
    const forwardInput = async () => {
      for await (const input of this.input) {
        if (this.abortSignal.aborted) break;
        if (typeof input === 'string') sentences.pushText(input);
        else sentences.flush();
      }
      if (!sentences.closed) sentences.endInput();
    };
    const speak = async () => {
      // Each sentence is requested as soon as it is complete (as agents' StreamAdapter does), so the
      // next one is ready when the last one ends; their audio is played in order.
      let played = Promise.resolve();
      for await (const { token } of sentences) {
        if (this.abortSignal.aborted || this.#failed) continue;
        this.markStarted();
        const request = this.#request(token);
        played = played.then(() => this.#sentence(token, request));
      }
      await played;
      if (!this.abortSignal.aborted) this.queue.put(tts.SynthesizeStream.END_OF_STREAM);
    };
    try {
      await Promise.all([forwardInput(), speak()]);
    } finally {
      sentences.close();
    }
  }

  /** Starts synthesizing `text` with the primary TTS. */
  #request(text: string): Request {
    const { primary, limits } = this.#owner;
    // The guard times and retries; the model's own retries would only add to the user's wait.
    const connOptions: APIConnectOptions = { maxRetry: 0, timeoutMs: limits.firstMs, retryIntervalMs: 0 };
    // Aborting the request itself: the OpenAI plugin sends it with this signal, not the stream's own.
    const controller = childController(this.abortSignal);
    const stream = primary.synthesize(text, connOptions, controller.signal);
    return { controller, stream, outcome: captureFailure(stream) };
  }

  /** Plays one sentence from `first` (and a retry), or the apology in its place and the reply's. */
  async #sentence(token: string, first: Request): Promise<void> {
    const { limits, logger } = this.#owner;
    if (this.abortSignal.aborted || this.#failed) {
      // After a fault the rest of the reply is dropped: the apology has taken its place.
      first.controller.abort();
      first.stream.close();
      return;
    }
    // The transcript is the sentences' texts run together: the tokenizer drops the space between them.
    const text = this.#position > 0 ? ` ${token}` : token;
    let heard = false;
    let failure: unknown;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const { controller, stream, outcome } = attempt === 1 ? first : this.#request(token);
      try {
        for (;;) {
          const next = await within(stream.next(), heard ? limits.idleMs : limits.firstMs, 'TTS audio');
          if (next.done || this.abortSignal.aborted) break;
          this.#emit(next.value.frame, heard ? undefined : text, next.value.requestId);
          heard = true;
        }
        if (this.abortSignal.aborted) return;
        if (outcome.error) throw outcome.error;
        return;
      } catch (err) {
        if (this.abortSignal.aborted) return;
        failure = err;
        if (heard || err instanceof StageTimeout || attempt === ATTEMPTS) break;
        logger.debug({ stage: 'TTS', error: String(err) }, 'TTS failed; trying once more');
        await delay(RETRY_DELAY_MS);
      } finally {
        controller.abort();
        stream.close();
      }
    }
    this.#failed = true;
    reportFault(logger, 'TTS', failure, TTS_APOLOGY);
    emitFault(this.#owner, 'tts_error', this.#owner.label, failure);
    const frames = await this.#owner.apologyFrames();
    const requestId = shortuuid();
    const said = this.#position > 0 ? ` ${TTS_APOLOGY}` : TTS_APOLOGY;
    frames.forEach((frame, i) => {
      if (!this.abortSignal.aborted) this.#emit(frame, i === 0 ? said : undefined, requestId);
    });
  }

  /** One frame to the session; the first of a sentence carries its text, timed, for the transcript. */
  #emit(frame: AudioFrame, text: string | undefined, requestId: string): void {
    if (text !== undefined) {
      frame.userdata[USERDATA_TIMED_TRANSCRIPT] = [voice.createTimedString({ text, startTime: this.#position })];
    }
    this.#position += frame.samplesPerChannel / frame.sampleRate;
    this.queue.put({ requestId, segmentId: requestId, frame, final: false });
  }
}
