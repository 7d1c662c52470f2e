import { AudioFrame, dispose } from '@livekit/rtc-node';
import { afterAll, describe, expect, test } from 'vitest';
import { FrameChunker } from '../src/avatar/frame_chunker.ts';

const RATE = 24_000;
const PER_FRAME = 800;

afterAll(async () => {
  await dispose();
});

function tone(rate: number, samples: number, channels = 1): AudioFrame {
  const data = new Int16Array(samples * channels);
  for (let i = 0; i < samples; i++) {
    for (let c = 0; c < channels; c++)
      data[i * channels + c] = Math.round(8000 * Math.sin((2 * Math.PI * 220 * i) / rate));
  }
  return new AudioFrame(data, rate, channels, samples);
}

describe('FrameChunker', () => {
  test('odd frame sizes come out as whole frames of exactly one video frame of audio', () => {
    const chunker = new FrameChunker(RATE, PER_FRAME);
    const chunks = [333, 1000, 7, 2060].flatMap((n) => chunker.push(tone(RATE, n)));
    expect(chunks.map((c) => c.length)).toEqual([800, 800, 800, 800]);
    const { chunks: rest, paddedSamples } = chunker.flush();
    expect(rest).toHaveLength(1);
    expect(rest[0]).toHaveLength(800);
    expect(paddedSamples).toBe(800 - (3400 % 800));
    // Chunks never share a buffer with an offset: rtc-node would read the wrong samples.
    expect(chunks.every((c) => c.byteOffset === 0)).toBe(true);
  });

  test('16 kHz stereo is resampled to 24 kHz mono, keeping its duration', () => {
    const chunker = new FrameChunker(RATE, PER_FRAME);
    const seconds = 2;
    const chunks: Int16Array[] = [];
    for (let i = 0; i < seconds * 50; i++) chunks.push(...chunker.push(tone(16_000, 320, 2)));
    const { chunks: rest, paddedSamples } = chunker.flush();
    const samples = [...chunks, ...rest].reduce((n, c) => n + c.length, 0) - paddedSamples;
    expect(Math.abs(samples - seconds * RATE)).toBeLessThan(RATE * 0.01);
    expect(chunks.every((c) => c.length === PER_FRAME)).toBe(true);
  });

  test('reset drops a partial frame', () => {
    const chunker = new FrameChunker(RATE, PER_FRAME);
    expect(chunker.push(tone(RATE, 500))).toEqual([]);
    chunker.reset();
    expect(chunker.flush()).toEqual({ chunks: [], paddedSamples: 0 });
  });
});
