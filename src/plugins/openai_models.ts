// STT, LLM and TTS from the OpenAI plugin, pointed at OpenAI or at any OpenAI-compatible server.
import * as openai from '@livekit/agents-plugin-openai';
import type { Config } from '../config.ts';

export interface VoiceModels {
  stt: openai.STT;
  llm: openai.LLM;
  tts: InterruptibleTTS;
}

/**
 * OpenAI TTS whose requests, when an interruption cancels them, end quietly. Plugin 1.9 only treats a DOM
 * `AbortError` as a cancellation, but the OpenAI SDK throws `APIUserAbortError`, which agents then takes
 * for an unrecoverable TTS failure and closes the whole session: rapid barge-ins ended conversations.
 */
export class InterruptibleTTS extends openai.TTS {
  override synthesize(...args: Parameters<openai.TTS['synthesize']>): ReturnType<openai.TTS['synthesize']> {
    const stream = super.synthesize(...args);
    // The stream starts running on a later tick, so replacing its (protected) run here takes effect.
    const runnable = stream as unknown as { run: () => Promise<void> };
    const run = runnable.run.bind(stream);
    runnable.run = async () => {
      try {
        await run();
      } catch (err) {
        const cancelled = args[2]?.aborted === true || err?.constructor?.name === 'APIUserAbortError';
        if (!cancelled) throw err;
      }
    };
    return stream;
  }
}

export function createOpenAIModels(cfg: Config['openai'], voice = cfg.ttsVoice): VoiceModels {
  const { apiKey, baseURL } = cfg;
  return {
    // Batch transcription of VAD-cut utterances: every OpenAI-compatible server (Groq, vLLM,
    // whisper servers) speaks `/audio/transcriptions`, few speak the realtime WebSocket.
    stt: new openai.STT({ apiKey, baseURL, model: cfg.sttModel, language: cfg.sttLanguage, useRealtime: false }),
    llm: new openai.LLM({ apiKey, baseURL, model: cfg.llmModel }),
    // Compatible servers offer voices beyond OpenAI's list, so the name is passed through as given.
    tts: new InterruptibleTTS({ apiKey, baseURL, model: cfg.ttsModel, voice: voice as openai.TTSOptions['voice'] }),
  };
}
