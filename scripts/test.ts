// `npm test`: set up what the suite needs, then lint, type-check and run every test.
import { spawnSync } from 'node:child_process';
import { parseConfig } from '../src/config.ts';
import { ChromiumSetupError, ensureChromium } from './lib/chromium.ts';
import { AUDITED, AuditError, auditDependencies } from './lib/dependency_audit.ts';
import { ensureServerBinary, ServerSetupError } from './lib/livekit_server.ts';
import { ensureOfflineModels, OfflineSetupError } from './lib/offline_models.ts';
import { fail, step } from './lib/progress.ts';
import { ensureInteropPython, INTEROP_PYTHON_ENV, InteropSetupError } from './lib/python_interop.ts';
import { ensureRedisBinary, RedisSetupError } from './lib/redis.ts';
import { ensureWebAppBuilt, WebAppError } from './lib/web_app.ts';

try {
  step('livekit-server', await ensureServerBinary((line) => step('livekit-server', line)));
  // The voice-loop tests run every stage offline, with the default models.
  await ensureOfflineModels(parseConfig({ MODEL_PROVIDER: 'offline' }), (line) => step('offline models', line));
  step('offline models', 'ready');
  // The web app's end-to-end test drives Debian's Chromium against the production build.
  step(
    'chromium',
    ensureChromium((line) => step('chromium', line)),
  );
  step(
    'web app',
    ensureWebAppBuilt((line) => step('web app', line)),
  );
  // The multi-node tests run two livekit-server nodes that share a Redis (Debian's redis-server).
  step(
    'redis',
    ensureRedisBinary((line) => step('redis', line)),
  );
  // The interop tests run LiveKit's own Python agents against ours; vitest gets the venv's python.
  const python = await ensureInteropPython((line) => step('python interop', line));
  if (python) process.env[INTEROP_PYTHON_ENV] = python;
  step(
    'python interop',
    python ? `ready (${python})` : 'skipped: no python3 with venv and pip, so the interop tests skip',
  );
  // What ships (the worker's and the web app's production dependencies), high severity and up.
  for (const { name, dir } of AUDITED) step(`npm audit (${name})`, await auditDependencies(dir));
} catch (err) {
  const setup = [
    AuditError,
    ServerSetupError,
    OfflineSetupError,
    ChromiumSetupError,
    WebAppError,
    InteropSetupError,
    RedisSetupError,
  ];
  if (setup.some((kind) => err instanceof kind)) fail((err as Error).message);
  throw err;
}

const stages: [string, string[]][] = [
  ['lint and format (biome)', ['biome', 'check', '.']],
  ['types (tsc --noEmit)', ['tsc', '--noEmit']],
  ['tests (vitest)', ['vitest', 'run', ...process.argv.slice(2)]],
];
for (const [name, [bin, ...args]] of stages) {
  step(name, 'running');
  const result = spawnSync(`node_modules/.bin/${bin}`, args, { stdio: 'inherit' });
  if (result.status !== 0) fail(`${name} failed`);
}
