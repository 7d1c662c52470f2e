// `npm test`: set up what the suite needs, then lint, type-check and run every test.
import { spawnSync } from 'node:child_process';
import { ensureServerBinary, ServerSetupError } from './lib/livekit_server.ts';
import { fail, step } from './lib/progress.ts';

try {
  step('livekit-server', await ensureServerBinary((line) => step('livekit-server', line)));
} catch (err) {
  if (err instanceof ServerSetupError) fail(err.message);
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
