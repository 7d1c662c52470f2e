// Spoken test input from Flite, the engine the offline TTS uses, in voices unlike the agent's, and
// the phoneme timings Flite decided on, which serve as ground truth for lip sync.
import { Flite, type FliteVoice, type Phone, type Speech } from '../../src/offline/flite.ts';
import { resampleMono } from '../../src/offline/resample.ts';

export type { Phone, Speech };

/** One synthesis thread for the whole test file; idle, it does not keep the process alive. */
const flite = new Flite();

/** Synthesizes `text` (kal16 by default: 16 kHz mono, which speech recognizers read well). */
export function synthesize(text: string, voice: FliteVoice = 'kal16'): Promise<Speech> {
  return flite.synthesize(text, voice);
}

/** Speech plus the phones Flite spoke and when each ended. */
export function synthesizeWithPhones(text: string, voice: FliteVoice): Promise<Speech & { phones: Phone[] }> {
  return flite.synthesizeWithPhones(text, voice);
}

/** `speech` at `rate` (rtc-node's resampler, as the agent would do it). */
export function resample(speech: Speech, rate: number): Int16Array {
  return resampleMono(speech.pcm, speech.sampleRate, rate);
}

/** 16-bit mono PCM as a WAV file (what Chromium's fake microphone plays). */
export function wavFile(pcm: Int16Array, sampleRate: number): Buffer {
  const header = Buffer.alloc(44);
  const bytes = pcm.length * 2;
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + bytes, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(bytes, 40);
  return Buffer.concat([header, Buffer.from(pcm.buffer, pcm.byteOffset, bytes)]);
}
