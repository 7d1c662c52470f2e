// Entry of `npm start` and `npm test` on any checkout, fresh or not: installs the npm packages when
// they are missing or stale, then hands over to the TypeScript task (which needs them).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const task = process.argv[2];
if (!task || !existsSync(join(root, 'scripts', `${task}.ts`))) {
  console.error(`usage: node scripts/bootstrap.mjs <task>  (no scripts/${task}.ts)`);
  process.exit(2);
}

// The worker and the web app (frontend/, its own package for its own container image).
for (const [what, dir] of [
  ['npm packages', root],
  ['web app packages', join(root, 'frontend')],
]) {
  const installed = join(dir, 'node_modules', '.package-lock.json');
  const lock = join(dir, 'package-lock.json');
  const stale = !existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs;
  if (!stale) {
    console.log(`» ${what}: up to date`);
    continue;
  }
  console.log(`» ${what}: installing from package-lock.json`);
  // `npm install`, not `npm ci`: registries that lack some other platform's optional binaries (Biome,
  // rtc-node) leave them out of the lockfile, which `npm ci` rejects while `npm install` skips them.
  const install = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' });
  if (install.status !== 0) {
    console.error('npm install failed: see the lines above');
    process.exit(install.status ?? 1);
  }
}

const child = spawn(process.execPath, ['--import', 'tsx', join('scripts', `${task}.ts`), ...process.argv.slice(3)], {
  cwd: root,
  stdio: 'inherit',
});
// Ctrl-C reaches the whole foreground process group; the task stops its own children.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
