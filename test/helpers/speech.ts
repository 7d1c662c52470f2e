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
