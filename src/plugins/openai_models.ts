// STT, LLM and TTS from the OpenAI plugin, pointed at OpenAI or at any OpenAI-compatible server.
import * as openai from '@livekit/agents-plugin-openai';
import type { Config } from '../config.ts';

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

type OpenAIConfig = Config['openai'];

// Batch transcription of VAD-cut utterances: every OpenAI-compatible server (Groq, vLLM, whisper
// servers) speaks `/audio/transcriptions`, few speak the realtime WebSocket.
export const openaiSTT = ({ apiKey, baseURL, sttModel, sttLanguage }: OpenAIConfig) =>
  new openai.STT({ apiKey, baseURL, model: sttModel, language: sttLanguage, useRealtime: false });

export const openaiLLM = ({ apiKey, baseURL, llmModel }: OpenAIConfig) =>
  new openai.LLM({ apiKey, baseURL, model: llmModel });

// Compatible servers offer voices beyond OpenAI's list, so the name is passed through as given.
export const openaiTTS = ({ apiKey, baseURL, ttsModel }: OpenAIConfig, voice: string) =>
  new InterruptibleTTS({ apiKey, baseURL, model: ttsModel, voice: voice as openai.TTSOptions['voice'] });
