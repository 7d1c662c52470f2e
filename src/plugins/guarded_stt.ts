// Speech to text with bounded waits: a recognition that fails (after one retry) or hangs becomes an
// empty transcript, one log line and a request to repeat, and the next utterance is heard as usual.
// agents' StreamAdapter awaits each recognition before the next, so one hung request would leave
// the agent deaf for the rest of the conversation.
import { type AudioBuffer, calculateAudioDurationSeconds, stt } from '@livekit/agents';
import { AudioFrame } from '@livekit/rtc-node';
import { STT_APOLOGY } from './offline_stt.ts';
import {
  ATTEMPTS,
  childController,
  delay,
  emitFault,
  type Logger,
  quietErrors,
  RETRY_DELAY_MS,
  reportFault,
  StageTimeout,
  type SttLimits,
  within,
} from './stage_guard.ts';

/**
 * The utterance as one frame (starting at byte 0). Given a list, agents' OpenAI STT merges it by
 * spreading every sample through a JavaScript array, which took 3 % of a job process's CPU in the
 * load benchmark's profile; a frame it passes on as it is.
 */
function oneFrame(buffer: AudioBuffer): AudioFrame {
  const frames = Array.isArray(buffer) ? buffer : [buffer];
  const first = frames[0];
  if (!first) throw new Error('an utterance with no audio');
  if (frames.length === 1 && first.data.byteOffset === 0) return first;
  const { sampleRate, channels } = first;
  const samples = frames.reduce((n, f) => n + f.samplesPerChannel, 0);
  const data = new Int16Array(samples * channels);
  let at = 0;
  for (const frame of frames) {
    data.set(frame.data.subarray(0, frame.samplesPerChannel * channels), at);
    at += frame.samplesPerChannel * channels;
  }
  return new AudioFrame(data, sampleRate, channels, samples);
}

export class GuardedSTT extends stt.STT {
  readonly label: string;

  /** `inner` recognizes whole utterances; `onFailure` makes the agent ask the user to repeat. */
  constructor(
    readonly inner: stt.STT,
    readonly limits: SttLimits,
    readonly logger: Logger,
    readonly onFailure?: () => void,
  ) {
    super({ streaming: false, interimResults: false });
    if (inner.capabilities.streaming) throw new Error('GuardedSTT guards STTs that recognize whole utterances');
    this.label = inner.label;
    quietErrors(inner);
  }

  override get model(): string {
    return this.inner.model;
  }

  override get provider(): string {
    return this.inner.provider;
  }

  protected async _recognize(buffer: AudioBuffer, abortSignal?: AbortSignal): Promise<stt.SpeechEvent> {
    const { baseMs, perSpeechSecondMs } = this.limits;
    const limitMs = Math.round(baseMs + calculateAudioDurationSeconds(buffer) * perSpeechSecondMs);
    let failure: unknown;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const controller = childController(abortSignal);
      try {
        return await within(this.inner.recognize(oneFrame(buffer), controller.signal), limitMs, 'transcript');
      } catch (err) {
        controller.abort();
        // The session stopped wanting this transcript: not a fault.
        if (abortSignal?.aborted) throw err;
        failure = err;
        if (err instanceof StageTimeout || attempt === ATTEMPTS) break;
        this.logger.debug({ stage: 'STT', error: String(err) }, 'STT failed; trying once more');
        await delay(RETRY_DELAY_MS);
      }
    }
    reportFault(this.logger, 'STT', failure, STT_APOLOGY);
    emitFault(this, 'stt_error', this.label, failure);
    try {
      this.onFailure?.();
    } catch (err) {
      this.logger.warn({ error: String(err) }, 'could not ask the user to repeat');
    }
    return {
      type: stt.SpeechEventType.FINAL_TRANSCRIPT,
      alternatives: [{ text: '', language: '' as never, startTime: 0, endTime: 0, confidence: 0 }],
    };
  }

  stream(): stt.SpeechStream {
    throw new Error('GuardedSTT recognizes whole utterances; agents wraps it in a StreamAdapter with the VAD');
  }
}
