import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import {
  ConfigError,
  DEFAULT_AGENT_NAME,
  DEFAULT_AVATAR_WORKER_NAME,
  parseAvatarWorkerConfig,
  parseConfig,
  parseLiveKitConfig,
} from '../src/config.ts';

const valid = { OPENAI_API_KEY: 'sk-test' };
const errorFor = (env: NodeJS.ProcessEnv) => {
  try {
    parseConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('config', () => {
  test('defaults give a local dev worker', () => {
    const config = parseConfig(valid);
    expect(config.livekit.url).toBe('ws://localhost:7880');
    expect(config.agentName).toBe(DEFAULT_AGENT_NAME);
    expect(config.openai).toMatchObject({ llmModel: 'gpt-4.1-mini', ttsVoice: 'alloy', baseURL: undefined });
    expect(config.instructions).toMatch(/^You are a friendly assistant/);
    expect(config.turnDetection).toBe('model');
    expect(config.worker.maxSessions).toBe(4);
  });

  test('empty variables count as unset', () => {
    expect(parseConfig({ ...valid, OPENAI_BASE_URL: '', WORKER_IDLE_PROCESSES: '' }).openai.baseURL).toBeUndefined();
  });

  test('with no key every stage runs offline, with instructions for a small model', () => {
    const config = parseConfig({});
    expect(config.providers).toEqual({ stt: 'offline', llm: 'offline', tts: 'offline' });
    expect(config.offline.ttsVoice).toBe('slt');
    expect(config.instructions).toMatch(/short/);
    expect(parseConfig(valid).providers).toEqual({ stt: 'openai', llm: 'openai', tts: 'openai' });
  });

  test('each stage can be chosen on its own', () => {
    const config = parseConfig({ ...valid, STT_PROVIDER: 'offline', TTS_PROVIDER: 'offline', TTS_VOICE: 'awb' });
    expect(config.providers).toEqual({ stt: 'offline', llm: 'openai', tts: 'offline' });
    expect(config.offline.ttsVoice).toBe('awb');
    expect(parseConfig({ ...valid, MODEL_PROVIDER: 'offline' }).providers.llm).toBe('offline');
    expect(parseConfig({ LLM_MODEL_PATH: '/models/qwen.gguf' }).offline.llmModelPath).toBe('/models/qwen.gguf');
  });

  test.each([
    [{ MODEL_PROVIDER: 'openai' }, /^MODEL_PROVIDER=openai needs OPENAI_API_KEY/],
    [{ LLM_PROVIDER: 'openai' }, /^LLM_PROVIDER=openai needs OPENAI_API_KEY/],
    [{ MODEL_PROVIDER: 'cloud' }, /^MODEL_PROVIDER /],
    [{ TTS_VOICE: 'alloy' }, /^TTS_VOICE must be one of slt, kal16, awb, rms for the offline voice \(got "alloy"\)$/],
    [
      { ...valid, LIVEKIT_URL: 'http://localhost:7880' },
      /^LIVEKIT_URL must start with ws:\/\/ or wss:\/\/ \(got "http:\/\/localhost:7880"\)$/,
    ],
    [{ ...valid, LIVEKIT_URL: 'wss://example.livekit.cloud/agents' }, /^LIVEKIT_URL must not have a path/],
    [{ ...valid, LIVEKIT_URL: 'not a url' }, /^LIVEKIT_URL /],
    [{ ...valid, OPENAI_BASE_URL: 'ftp://models' }, /^OPENAI_BASE_URL must start with http:\/\/ or https:\/\//],
    [{ ...valid, AGENT_NAME: 'has spaces' }, /^AGENT_NAME must be 1-64 letters/],
    [{ ...valid, TTS_VOICE: 'a/b' }, /^TTS_VOICE must be a voice name/],
    [{ ...valid, STT_LANGUAGE: 'english' }, /^STT_LANGUAGE must be a language code/],
    [{ ...valid, LLM_MODEL: 'two words' }, /^LLM_MODEL must be a model name/],
    [{ ...valid, TURN_DETECTION: 'cloud' }, /^TURN_DETECTION /],
    [{ ...valid, WORKER_PORT: '70000' }, /^WORKER_PORT /],
    [{ ...valid, WORKER_MAX_SESSIONS: '-1' }, /^WORKER_MAX_SESSIONS /],
    [{ ...valid, LOG_LEVEL: 'loud' }, /^LOG_LEVEL /],
  ])('%o → one line naming the variable', (env, message) => {
    const text = errorFor(env);
    expect(text).toMatch(message);
    expect(text).not.toContain('\n');
  });

  test('long bad values are shortened in the message', () => {
    expect(errorFor({ ...valid, LIVEKIT_URL: `http://${'x'.repeat(100)}` })).toContain('…")');
  });

  test('the server-only settings need no model keys', () => {
    expect(parseLiveKitConfig({})).toMatchObject({ url: 'ws://localhost:7880', apiKey: 'devkey' });
  });

  test('the avatar is drawn in the job process by default; remote and cloud avatars are chosen by AVATAR', () => {
    const local = parseConfig(valid);
    expect(local.avatarMode).toBe('local');
    expect(local.avatar).toMatchObject({ renderer: 'character', width: 512, fps: 30 });
    expect(local.cloudAvatar).toBeUndefined();
    const remote = parseConfig({ ...valid, AVATAR: 'remote', AVATAR_JOIN_TIMEOUT: '5' });
    expect(remote.avatarWorker).toEqual({
      name: DEFAULT_AVATAR_WORKER_NAME,
      port: 8082,
      metricsPort: 9465,
      joinTimeoutMs: 5000,
    });
    const bey = parseConfig({ ...valid, AVATAR: 'bey', BEY_API_KEY: 'k', AVATAR_ID: 'a-1' });
    expect(bey.cloudAvatar).toEqual({ provider: 'bey', apiKey: 'k', avatarId: 'a-1', apiUrl: undefined });
  });

  test('avatar mistakes name the variable', () => {
    expect(errorFor({ ...valid, AVATAR: 'character' })).toMatch(/^AVATAR Invalid option/);
    expect(errorFor({ ...valid, AVATAR: 'anam' })).toBe(
      'AVATAR=anam needs ANAM_API_KEY: set it in .env, or use AVATAR=local',
    );
    expect(errorFor({ ...valid, AVATAR_RENDERER: 'puppet' })).toMatch(/^AVATAR_RENDERER /);
    expect(errorFor({ ...valid, AVATAR_WORKER_NAME: 'has space' })).toMatch(/^AVATAR_WORKER_NAME must be 1-64/);
    expect(errorFor({ ...valid, AVATAR_ID: 'a/b' })).toMatch(/^AVATAR_ID must be an id/);
    expect(errorFor({ ...valid, AVATAR_JOIN_TIMEOUT: '0' })).toMatch(/^AVATAR_JOIN_TIMEOUT /);
  });

  test('the avatar worker reads only the room connection, the drawing and the worker settings', () => {
    // Model settings that would stop the agent worker do not concern it.
    const config = parseAvatarWorkerConfig({ MODEL_PROVIDER: 'openai', AVATAR: 'bey', AVATAR_RENDERER: 'mouth-block' });
    expect(config.avatar.renderer).toBe('mouth-block');
    expect(config.avatarWorker).toEqual({ name: DEFAULT_AVATAR_WORKER_NAME, port: 8082, metricsPort: 9465 });
    expect(() => parseAvatarWorkerConfig({ AVATAR_FPS: '7' })).toThrow(/^AVATAR_FPS /);
  });

  test('metrics and drain: each worker has its own metrics port; the drain is bounded', () => {
    expect(parseConfig(valid).worker).toMatchObject({ port: 8081, metricsPort: 9464, drainTimeoutMs: 600_000 });
    expect(parseAvatarWorkerConfig({}).worker).toMatchObject({ metricsPort: 9465, drainTimeoutMs: 600_000 });
    expect(parseConfig({ ...valid, METRICS_PORT: '0', WORKER_DRAIN_TIMEOUT: '30' }).worker).toMatchObject({
      metricsPort: 0,
      drainTimeoutMs: 30_000,
    });
    expect(errorFor({ ...valid, WORKER_DRAIN_TIMEOUT: '0' })).toMatch(/^WORKER_DRAIN_TIMEOUT /);
    expect(errorFor({ ...valid, METRICS_PORT: '70000' })).toMatch(/^METRICS_PORT /);
  });

  test('AVATAR=hedra stops the worker at start-up with the vendor’s notice', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/agent.ts', 'start'], {
      // Cloud models, so the result does not hang on whether the offline models are in this machine's cache.
      env: {
        PATH: process.env.PATH,
        OPENAI_API_KEY: 'x',
        AVATAR: 'hedra',
        HEDRA_API_KEY: 'x',
        DOTENV_CONFIG_PATH: '/dev/null',
      },
      encoding: 'utf8',
    });
    expect(run.status).toBe(2);
    expect(run.stderr.trim()).toMatch(
      /^config error: AVATAR=hedra: The Hedra realtime avatar service has been disabled/,
    );
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  test('the worker exits 2 with one line and no stack trace on a bad setting', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/agent.ts', 'start'], {
      env: {
        PATH: process.env.PATH,
        LIVEKIT_URL: 'http://nowhere',
        OPENAI_API_KEY: 'x',
        DOTENV_CONFIG_PATH: '/dev/null',
      },
      encoding: 'utf8',
    });
    expect(run.status).toBe(2);
    expect(run.stderr.trim()).toBe('config error: LIVEKIT_URL must start with ws:// or wss:// (got "http://nowhere")');
  });
});
