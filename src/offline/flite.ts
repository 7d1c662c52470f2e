// Flite, CMU's small speech synthesizer, from its WASI build on npm: no system package, 16 kHz voices.
import type { Worker } from 'node:worker_threads';
import type { FliteRequest, FliteResponse } from './flite_thread.ts';
import { startThread } from './thread.ts';

/** The voices compiled into the build: two diphone (kal, kal16) and three clustergen (awb, rms, slt). */
export const FLITE_VOICES = ['slt', 'kal16', 'kal', 'awb', 'rms'] as const;
export type FliteVoice = (typeof FLITE_VOICES)[number];
/** The voices the agent may speak with: Flite's 16 kHz ones (`kal` is an 8 kHz `kal16`). */
export const OFFLINE_VOICES = ['slt', 'kal16', 'awb', 'rms'] as const satisfies readonly FliteVoice[];
export type OfflineVoice = (typeof OFFLINE_VOICES)[number];
export const FLITE_SAMPLE_RATE = 16_000;

const WAV_HEADER_BYTES = 44;
const WAV_RATE_OFFSET = 24;

export interface Speech {
  pcm: Int16Array;
  sampleRate: number;
}

export interface Phone {
  phone: string;
  /** End of the phone, seconds from the start of the audio. */
  end: number;
}

function decodeWav(wav: Uint8Array): Speech {
  const view = new DataView(wav.buffer, wav.byteOffset, wav.byteLength);
  // A copy that starts at byte 0: rtc-node audio frames ignore byteOffset.
  const pcm = new Int16Array(wav.slice(WAV_HEADER_BYTES).buffer);
  return { pcm, sampleRate: view.getUint32(WAV_RATE_OFFSET, true) };
}

/** One synthesis thread; requests run one after another in the order given. */
export class Flite {
  #worker: Worker | undefined;
  #pending = new Map<number, { resolve: (r: FliteResponse) => void; reject: (e: Error) => void }>();
  #nextId = 0;

  async synthesize(text: string, voice: FliteVoice): Promise<Speech> {
    return decodeWav((await this.#run(['-voice', voice, '-t', text])).wav);
  }

  /** Speech plus the phones Flite spoke and when each ended (ground truth for lip sync). */
  async synthesizeWithPhones(text: string, voice: FliteVoice): Promise<Speech & { phones: Phone[] }> {
    const { wav, stdout } = await this.#run(['-voice', voice, '-psdur', '-t', text]);
    const phones = stdout
      .trim()
      .split(/\s+/)
      .map((token) => {
        const [phone, end] = token.split(':');
        return { phone: phone as string, end: Number(end) };
      });
    return { ...decodeWav(wav), phones };
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.terminate();
  }

  #run(args: string[]): Promise<{ wav: Uint8Array; stdout: string }> {
    const worker = this.#thread();
    const id = this.#nextId++;
    worker.ref();
    return new Promise<FliteResponse>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ id, args } satisfies FliteRequest);
    }).then((response) => {
      if ('error' in response) throw new Error(response.error);
      return response;
    });
  }

  #thread(): Worker {
    if (this.#worker) return this.#worker;
    const worker = startThread(new URL('./flite_thread.ts', import.meta.url));
    worker.on('message', (response: FliteResponse) => {
      this.#pending.get(response.id)?.resolve(response);
      this.#pending.delete(response.id);
      // An idle synthesizer must not keep the process alive.
      if (this.#pending.size === 0) worker.unref();
    });
    // A thread that dies (a trap in the WASM, out of memory) fails what it held; the next request starts a new one.
    const fail = (err: Error) => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const { reject } of this.#pending.values()) reject(err);
      this.#pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`flite thread exited with code ${code}`)));
    this.#worker = worker;
    return worker;
  }
}
