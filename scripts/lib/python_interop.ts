// The Python side of the interop tests (test/interop/*.py): LiveKit's own Python agents, in a venv in
// the per-user cache, installed once from the pinned test/interop/requirements.txt. A machine without
// Python gets no venv, and the interop tests skip instead of failing.
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { cacheDir } from '../../src/offline/model_files.ts';

export const INTEROP_DIR = resolve(import.meta.dirname, '../../test/interop');
export const INTEROP_REQUIREMENTS = join(INTEROP_DIR, 'requirements.txt');
/** How the test driver hands the prepared interpreter to vitest. */
export const INTEROP_PYTHON_ENV = 'INTEROP_PYTHON';
const VENVS_DIR = join(cacheDir(), 'interop-python');
/** Written only after pip succeeded: a venv without it is a half-finished install. */
const MARKER = 'installed.txt';
const HASH_CHARS = 16;
const BIG_OUTPUT = { maxBuffer: 64 * 1024 * 1024 };
/** What an install needs besides the interpreter: venv, and ensurepip to put pip into the venv. */
const PROBE = 'import venv, ensurepip';
/** The probe is an interpreter start: a hung one is as good as none. */
const PROBE_TIMEOUT_MS = 10_000;

const run = promisify(execFile);

export class InteropSetupError extends Error {
  override name = 'InteropSetupError';
}

/** Whether `python3` can make a venv with pip in it; cheap enough to call while collecting tests. */
export function usablePython3(): boolean {
  const probe = spawnSync('python3', ['-c', PROBE], { stdio: 'ignore', timeout: PROBE_TIMEOUT_MS });
  return probe.status === 0;
}

/**
 * The interop venv's python, created the first time (about 400 MB, half a minute); undefined when this
 * machine has no python3 with venv and pip. A new requirements.txt gets a new venv, and the old is removed.
 */
export async function ensureInteropPython(say: (line: string) => void = () => {}): Promise<string | undefined> {
  const requirements = await readFile(INTEROP_REQUIREMENTS);
  const key = createHash('sha256').update(requirements).digest('hex').slice(0, HASH_CHARS);
  const venv = join(VENVS_DIR, key);
  const python = join(venv, 'bin', 'python');
  if (existsSync(join(venv, MARKER)) && existsSync(python)) return python;
  if (!usablePython3()) return undefined;

  say(`installing LiveKit's Python agents (test/interop/requirements.txt) into ${venv}`);
  // Built aside and renamed into place, so a concurrent or interrupted setup never sees a partial venv.
  // Only `python -m …` is run from it, which does not mind the move (pip's own scripts would).
  const staging = `${venv}.partial-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(VENVS_DIR, { recursive: true });
  try {
    await step('python3', ['-m', 'venv', staging], 'creating a Python venv (Debian: apt-get install python3-venv)');
    await step(
      join(staging, 'bin', 'python'),
      ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '-r', INTEROP_REQUIREMENTS],
      'pip install -r test/interop/requirements.txt',
    );
    await writeFile(join(staging, MARKER), requirements);
    // Another setup finished first and may be using its venv: keep that one.
    if (existsSync(join(venv, MARKER))) return python;
    await rm(venv, { recursive: true, force: true });
    await rename(staging, venv);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  await removeOtherVenvs(key);
  return python;
}

async function step(bin: string, args: string[], what: string): Promise<void> {
  try {
    await run(bin, args, BIG_OUTPUT);
  } catch (err) {
    const detail = (err as { stderr?: string }).stderr?.trim().split('\n').slice(-3).join(' | ');
    throw new InteropSetupError(`${what} failed: ${detail || String(err)}`);
  }
}

/** Venvs of earlier requirements are 400 MB each that nothing uses any more; so are dead setups' leftovers. */
async function removeOtherVenvs(keep: string): Promise<void> {
  for (const name of await readdir(VENVS_DIR).catch(() => [])) {
    const builder = /\.partial-(\d+)$/.exec(name)?.[1];
    if (name === keep || (builder && running(Number(builder)))) continue;
    await rm(join(VENVS_DIR, name), { recursive: true, force: true });
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
