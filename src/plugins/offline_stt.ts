// Speech to text on the worker's CPU through agents' `stt.STT` interface. Batch recognition: agents
// cuts the user's speech into utterances with the VAD and hands each one over whole.
import { type AudioBuffer, log, stt } from '@livekit/agents';
import { errorText } from '../error_text.ts';
import { resampleMono } from '../offline/resample.ts';

/** What the plugin needs of an engine: 16 kHz mono speech in, text out. */
export interface SpeechRecognizer {
  readonly name: string;
  transcribe(pcm: Int16Array, signal?: AbortSignal): Promise<string>;
}

export const RECOGNIZER_SAMPLE_RATE = 16_000;
/** Said when the engine fails on an utterance; it restarts for the next one. */
export const STT_APOLOGY = "Sorry, I didn't catch that. Could you say it again?";
/**
 * agents 1.9's VAD hands over each utterance with about 100 ms of audio from the utterance's own end
 * pasted over the start of its 500 ms pre-roll (seen with both the Silero plugin and inference.VAD);
 * Whisper then hears a stray syllable and writes a wrong first word ("Pan you set…" for "Can you set…").
 * The pre-roll is silence or the first breath of speech, so dropping its first 150 ms loses nothing.
 */
export const PRE_ROLL_DROP_MS = 150;
/** Only utterances with a pre-roll to spare: the VAD's 500 ms plus at least some speech. */
const PRE_ROLL_MIN_UTTERANCE_MS = 600;
/** A longer utterance keeps its last minute (the freshest words): recognition time stays bounded. */
export const MAX_UTTERANCE_SECONDS = 60;

export class OfflineSTT extends stt.STT {
  label = 'offline.STT';
  readonly engine: SpeechRecognizer;
  readonly language: string;
  readonly #onFailure: (() => void) | undefined;

  /** `onFailure` runs when the engine fails on an utterance, so the agent can ask the user to repeat. */
  constructor(engine: SpeechRecognizer, language: string, onFailure?: () => void) {
    super({ streaming: false, interimResults: false });
    this.engine = engine;
    this.language = language;
    this.#onFailure = onFailure;
  }

  override get model(): string {
    return this.engine.name;
  }

  override get provider(): string {
    return 'local';
  }

  protected async _recognize(buffer: AudioBuffer, abortSignal?: AbortSignal): Promise<stt.SpeechEvent> {
    let text = '';
    try {
      text = (await this.engine.transcribe(toRecognizerRate(buffer), abortSignal)).trim();
    } catch (err) {
      if (!abortSignal?.aborted) {
        log().error(`offline STT failed (${errorText(err)}); asking the user to repeat`);
        this.#onFailure?.();
      }
    }
    return {
      type: stt.SpeechEventType.FINAL_TRANSCRIPT,
      alternatives: [{ text, language: this.language as never, startTime: 0, endTime: 0, confidence: text ? 1 : 0 }],
    };
  }

  stream(): stt.SpeechStream {
    throw new Error('offline STT recognizes whole utterances; agents wraps it in a StreamAdapter with the VAD');
  }
}

/** One mono 16 kHz buffer (starting at byte 0) from whatever rate and channel count the room gave. */
export function toRecognizerRate(buffer: AudioBuffer): Int16Array {
  const frames = Array.isArray(buffer) ? buffer : [buffer];
  const first = frames[0];
  if (!first) return new Int16Array(0);
  const total = frames.reduce((n, f) => n + f.samplesPerChannel, 0);
  // Mono by the first channel: the room's microphone audio is mono in practice.
  const pcm = new Int16Array(total);
  let at = 0;
  for (const frame of frames) {
    for (let i = 0; i < frame.samplesPerChannel; i++) pcm[at++] = frame.data[i * frame.channels] as number;
  }
  const drop =
    (total * 1000) / first.sampleRate >= PRE_ROLL_MIN_UTTERANCE_MS ? (first.sampleRate * PRE_ROLL_DROP_MS) / 1000 : 0;
  const mono16k = resampleMono(pcm.slice(drop), first.sampleRate, RECOGNIZER_SAMPLE_RATE);
  const max = MAX_UTTERANCE_SECONDS * RECOGNIZER_SAMPLE_RATE;
  return mono16k.length > max ? mono16k.slice(mono16k.length - max) : mono16k;
}
