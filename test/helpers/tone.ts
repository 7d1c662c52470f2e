// A test tone as agents' TTS pipeline hands audio on: 10 ms frames, each on a buffer of its own.
import { AudioFrame } from '@livekit/rtc-node';

const FRAMES_PER_SECOND = 100;
const PITCH_HZ = 220;
const AMPLITUDE = 8000;

export function tone(seconds: number, rate = 24_000): AudioFrame[] {
  const perFrame = rate / FRAMES_PER_SECOND;
  return Array.from({ length: Math.round(seconds * FRAMES_PER_SECOND) }, (_, i) => {
    const data = new Int16Array(perFrame);
    for (let k = 0; k < perFrame; k++)
      data[k] = Math.round(AMPLITUDE * Math.sin((2 * Math.PI * PITCH_HZ * (i * perFrame + k)) / rate));
    return new AudioFrame(data, rate, 1, perFrame);
  });
}
