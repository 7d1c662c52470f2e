// A wrong offline model path is a setup mistake: one line naming the variable, at start, with the fix.
import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { parseConfig } from '../src/config.ts';
import { checkModelFiles } from '../src/offline/model_check.ts';

const check = (env: NodeJS.ProcessEnv) => checkModelFiles(parseConfig({ MODEL_PROVIDER: 'offline', ...env }));

describe('offline model files', () => {
  test('the default models (fetched by the setup) pass', async () => {
    await expect(check({})).resolves.toBeUndefined();
  });

  test.each([
    [
      { LLM_MODEL_PATH: '/nowhere/model.gguf' },
      'LLM_MODEL_PATH: /nowhere/model.gguf does not exist; point LLM_MODEL_PATH at a GGUF file',
    ],
    [{ LLM_MODEL_PATH: 'package.json' }, 'LLM_MODEL_PATH: package.json is not a GGUF model file'],
    [
      { STT_MODEL_PATH: '/nowhere/whisper' },
      /^STT_MODEL_PATH: \/nowhere\/whisper does not exist; point STT_MODEL_PATH at a Whisper model folder/,
    ],
    [
      { STT_MODEL_PATH: 'src' },
      /^STT_MODEL_PATH: src has no model\.bin: expected a Whisper model folder in CTranslate2 format/,
    ],
  ])('%o → %s', async (env, message) => {
    const error = await check(env).then(
      () => undefined,
      (err: Error) => err.message,
    );
    expect(error).toMatch(message);
  });

  test('stages on OpenAI need no model files', async () => {
    await expect(
      checkModelFiles(parseConfig({ OPENAI_API_KEY: 'sk-x', LLM_MODEL_PATH: '/nowhere' })),
    ).resolves.toBeUndefined();
  });

  test('the worker stops at start with that line and exit code 2', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/agent.ts', 'start'], {
      env: {
        ...Object.fromEntries(
          ['PATH', 'HOME', 'XDG_CACHE_HOME'].flatMap((k) => (process.env[k] ? [[k, process.env[k]]] : [])),
        ),
        LLM_MODEL_PATH: '/nowhere/model.gguf',
        DOTENV_CONFIG_PATH: '/dev/null',
      },
      encoding: 'utf8',
    });
    expect(run.status).toBe(2);
    expect(run.stderr.trim()).toBe(
      'config error: LLM_MODEL_PATH: /nowhere/model.gguf does not exist; point LLM_MODEL_PATH at a GGUF file',
    );
  });
});
