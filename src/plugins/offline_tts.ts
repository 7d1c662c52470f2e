// Text to speech on the worker's CPU: Flite's voices through agents' `tts.TTS` interface.
import { type APIConnectOptions, log, shortuuid, tts } from '@livekit/agents';
import { AudioFrame } from '@livekit/rtc-node';
import { errorText } from '../error_text.ts';
import { FLITE_SAMPLE_RATE, Flite, type FliteVoice, type OfflineVoice } from '../offline/flite.ts';

const FRAME_MS = 100;

/** Flite's time grows with the text; long runs are cut so the first audio does not wait for the last word. */
const MAX_WORDS_PER_CHUNK = 30;
/** Spoken instead when the engine fails mid-reply, after it restarts (and by GuardedTTS for any TTS). */
export const TTS_APOLOGY = 'Sorry, I lost my voice for a moment. Could you say that again?';

/** Drops what an LLM writes but nobody says: markdown marks, emoji, URLs' punctuation runs. */
export function speakable(text: string): string {
  return text
    .replace(/[*_#`~>|[\]{}<>\\^]+/g, ' ')
    .replace(/\p{Extended_Pictographic}/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Splits `text` into runs of at most MAX_WORDS_PER_CHUNK words, preferring to cut after punctuation. */
export function chunkText(text: string, maxWords = MAX_WORDS_PER_CHUNK): string[] {
  const words = text.split(' ').filter(Boolean);
  const chunks: string[] = [];
  while (words.length > 0) {
    let take = Math.min(maxWords, words.length);
    if (take < words.length) {
      const pause = words.slice(0, take).findLastIndex((w) => /[,;:.!?]$/.test(w));
      if (pause >= maxWords / 2) take = pause + 1;
    }
    chunks.push(words.splice(0, take).join(' '));
  }
  return chunks;
}

export interface Synthesizer {
  synthesize(text: string, voice: FliteVoice): Promise<{ pcm: Int16Array; sampleRate: number }>;
}

export class OfflineTTS extends tts.TTS {
  label = 'offline.TTS';
  readonly voice: OfflineVoice;
  readonly engine: Synthesizer;

  /** `engine` belongs to the caller (one per job process), who closes it. */
  constructor(voice: OfflineVoice, engine: Synthesizer = new Flite()) {
    super(FLITE_SAMPLE_RATE, 1, { streaming: false });
    this.voice = voice;
    this.engine = engine;
  }

  override get model(): string {
    return `flite-${this.voice}`;
  }

  override get provider(): string {
    return 'local';
  }

  synthesize(text: string, connOptions?: APIConnectOptions, abortSignal?: AbortSignal): tts.ChunkedStream {
    return new OfflineChunkedStream(this, text, connOptions, abortSignal);
  }

  stream(): tts.SynthesizeStream {
    throw new Error('offline TTS synthesizes sentence by sentence; agents wraps it in a StreamAdapter');
  }
}

class OfflineChunkedStream extends tts.ChunkedStream {
  label = 'offline.ChunkedStream';
  readonly #tts: OfflineTTS;

  constructor(owner: OfflineTTS, text: string, connOptions?: APIConnectOptions, abortSignal?: AbortSignal) {
    super(text, owner, connOptions, abortSignal);
    this.#tts = owner;
  }

  protected async run(): Promise<void> {
    const requestId = shortuuid();
    const chunks = chunkText(speakable(this.inputText));
    let pending: AudioFrame | undefined;
    const emit = (frame: AudioFrame | undefined, final: boolean) => {
      if (pending) this.queue.put({ requestId, segmentId: requestId, frame: pending, final });
      pending = frame;
    };
    try {
      for (const chunk of chunks) {
        if (this.abortSignal.aborted) return;
        for (const frame of toFrames(await this.#speak(chunk))) emit(frame, false);
      }
      emit(undefined, true);
    } finally {
      this.queue.close();
    }
  }

  /** One chunk; a failed engine restarts and says so instead, so the conversation goes on. */
  async #speak(text: string): Promise<Int16Array> {
    const { engine, voice } = this.#tts;
    try {
      return (await engine.synthesize(text, voice)).pcm;
    } catch (err) {
      log().warn(`offline TTS failed (${errorText(err)}); restarting it`);
      return (await engine.synthesize(TTS_APOLOGY, voice)).pcm;
    }
  }
}

function toFrames(pcm: Int16Array): AudioFrame[] {
  const samples = (FLITE_SAMPLE_RATE * FRAME_MS) / 1000;
  const frames: AudioFrame[] = [];
  for (let at = 0; at < pcm.length; at += samples) {
    // slice() copies into a buffer of its own: frames must start at byte offset 0.
    const data = pcm.slice(at, at + samples);
    frames.push(new AudioFrame(data, FLITE_SAMPLE_RATE, 1, data.length));
  }
  return frames;
}
