// Voice activity detection: Silero, as agents' own `inference.VAD` runs it, in its native on-device
// inference module (@livekit/local-inference, which also runs the end-of-turn model). It costs about a
// third of the Silero plugin's CPU, which runs the same model through onnxruntime-node and merges each
// window's frames in JavaScript.
import { createRequire } from 'node:module';
import { inference, type VAD } from '@livekit/agents';
import { errorText } from '../error_text.ts';

/**
 * Silence that ends an utterance (Silero's usual default is 550 ms). Shorter, so recognition starts
 * sooner and overlaps the endpointing wait (500 ms in VAD mode, which still decides when the turn is
 * over, as the end-of-turn model does in model mode); 200 ms of the turn's latency.
 */
export const VAD_MIN_SILENCE_MS = 350;

export class VadUnavailableError extends Error {
  override name = 'VadUnavailableError';
}

/**
 * Throws when the native module does not load on this machine (a platform without a build, or an
 * install that skipped it): agents' VAD would then log one warning and never hear anyone.
 */
export function checkVad(): void {
  // Resolved as agents resolves it, from agents' own package.
  const requireFromAgents = createRequire(import.meta.resolve('@livekit/agents'));
  try {
    requireFromAgents('@livekit/local-inference');
  } catch (err) {
    throw new VadUnavailableError(`the VAD cannot run here: ${errorText(err)}`);
  }
}

export function createVad(): VAD {
  return new inference.VAD({ minSilenceDuration: VAD_MIN_SILENCE_MS });
}
