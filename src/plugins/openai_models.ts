// STT, LLM and TTS from the OpenAI plugin, pointed at OpenAI or at any OpenAI-compatible server.
import * as openai from '@livekit/agents-plugin-openai';
import type { Config } from '../config.ts';

export interface VoiceModels {
  stt: openai.STT;
  llm: openai.LLM;
  tts: openai.TTS;
}

export function createOpenAIModels(cfg: Config['openai'], voice = cfg.ttsVoice): VoiceModels {
  const { apiKey, baseURL } = cfg;
  return {
    // Batch transcription of VAD-cut utterances: every OpenAI-compatible server (Groq, vLLM,
    // whisper servers) speaks `/audio/transcriptions`, few speak the realtime WebSocket.
    stt: new openai.STT({ apiKey, baseURL, model: cfg.sttModel, language: cfg.sttLanguage, useRealtime: false }),
    llm: new openai.LLM({ apiKey, baseURL, model: cfg.llmModel }),
    // Compatible servers offer voices beyond OpenAI's list, so the name is passed through as given.
    tts: new openai.TTS({ apiKey, baseURL, model: cfg.ttsModel, voice: voice as openai.TTSOptions['voice'] }),
  };
}
