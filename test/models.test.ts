// Each stage gets the engine its provider names, and a room's voice is checked against that engine.
import { initializeLogger, log } from '@livekit/agents';
import * as openai from '@livekit/agents-plugin-openai';
import { beforeAll, describe, expect, test } from 'vitest';
import { parseConfig } from '../src/config.ts';
import { Flite } from '../src/offline/flite.ts';
import { createModels, describeModels, type OfflineEngines } from '../src/plugins/models.ts';
import { OfflineLLM } from '../src/plugins/offline_llm.ts';
import { OfflineSTT } from '../src/plugins/offline_stt.ts';
import { OfflineTTS } from '../src/plugins/offline_tts.ts';

// Stand-ins: only their presence matters here; the engines themselves have their own tests.
const engines = {
  recognizer: { name: 'whisper test', transcribe: async () => '' },
  chat: { path: 'test.gguf', reply: async function* () {} },
  flite: new Flite(),
} as unknown as OfflineEngines;

beforeAll(() => initializeLogger({ pretty: false, level: 'fatal' }));

describe('model selection', () => {
  test('a cloud LLM with local speech', () => {
    const config = parseConfig({ OPENAI_API_KEY: 'sk-x', STT_PROVIDER: 'offline', TTS_PROVIDER: 'offline' });
    const models = createModels(config, engines, {}, log());
    expect(models.stt).toBeInstanceOf(OfflineSTT);
    expect(models.llm).toBeInstanceOf(openai.LLM);
    expect(models.tts).toBeInstanceOf(OfflineTTS);
    expect(describeModels(config)).toMatch(/^STT offline .*; LLM openai gpt-4\.1-mini; TTS offline flite \(slt\)$/);
  });

  test('everything offline, with the room voice when it is a local one and the default otherwise', () => {
    const config = parseConfig({});
    const models = createModels(config, engines, { voice: 'awb' }, log());
    expect(models.llm).toBeInstanceOf(OfflineLLM);
    expect((models.tts as OfflineTTS).voice).toBe('awb');
    expect((createModels(config, engines, { voice: 'nova' }, log()).tts as OfflineTTS).voice).toBe('slt');
  });

  test('an offline stage without its engine is a programming error, said plainly', () => {
    expect(() => createModels(parseConfig({}), {}, {}, log())).toThrow('the offline STT engine was not loaded');
  });
});
