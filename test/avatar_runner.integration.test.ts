// The runner alone in a real room: segment bookkeeping and what happens when the renderer fails.
import { AudioFrame, dispose, type Room } from '@livekit/rtc-node';
import { afterAll, afterEach, beforeEach, describe, expect, inject, test } from 'vitest';
import { AvatarRunner, type PlaybackFinished } from '../src/avatar/avatar_runner.ts';
import { DEFAULT_AVATAR_OPTIONS } from '../src/avatar/options.ts';
import type { Renderer, RenderInput } from '../src/avatar/renderer.ts';
import { MouthBlockRenderer } from '../src/avatar/renderers/mouth_block.ts';
import { joinRoom, uniqueRoom } from './helpers/participant.ts';

const livekit = inject('livekit');
const OPTIONS = { ...DEFAULT_AVATAR_OPTIONS, width: 128, height: 128 };

/** A renderer that can be told to throw or to hang, and counts what it drew. */
class FlakyRenderer implements Renderer {
  inner = new MouthBlockRenderer(OPTIONS.width, OPTIONS.height);
  speechFrames = 0;
  failAfter = Number.POSITIVE_INFINITY;
  mode: 'throw' | 'stall' = 'throw';
  render(input: RenderInput) {
    if (input.audio && ++this.speechFrames > this.failAfter) {
      this.failAfter = Number.POSITIVE_INFINITY;
      if (this.mode === 'throw') throw new Error('renderer exploded');
      return new Promise<never>(() => {});
    }
    return this.inner.render(input);
  }
  reset() {}
}

let room: Room;
let runner: AvatarRunner;
let renderer: FlakyRenderer;

beforeEach(async () => {
  room = await joinRoom(livekit, { room: uniqueRoom('runner') });
  renderer = new FlakyRenderer();
  runner = new AvatarRunner(room, renderer, OPTIONS);
  await runner.start();
});

afterEach(async () => {
  await runner.close();
  await room.disconnect();
});

afterAll(async () => {
  await dispose();
});

/** Pushes `seconds` of a loud tone in 10 ms frames of an odd rate, as a TTS might. */
async function speak(seconds: number, stopped = () => false, rate = 22_050) {
  const perFrame = rate / 100;
  for (let i = 0; i < seconds * 100 && !stopped(); i++) {
    const data = new Int16Array(perFrame);
    for (let k = 0; k < perFrame; k++)
      data[k] = Math.round(9000 * Math.sin((2 * Math.PI * 200 * (i * perFrame + k)) / rate));
    await runner.pushAudio(new AudioFrame(data, rate, 1, perFrame));
  }
}

const nextFinished = () => new Promise<PlaybackFinished>((resolve) => runner.once('playbackFinished', resolve));

describe('AvatarRunner', () => {
  test('each segment starts once and finishes once, with the whole duration', async () => {
    let started = 0;
    runner.on('playbackStarted', () => started++);
    const finished = nextFinished();
    await speak(1);
    runner.endSegment();
    const ev = await finished;
    expect(ev).toMatchObject({ interrupted: false });
    expect(ev.position).toBeCloseTo(1, 1);
    expect(started).toBe(1);
  });

  test('clear finishes the segment as interrupted at the position heard, and the next one plays', async () => {
    const finished = nextFinished();
    let cleared = false;
    // Like agents, the producer stops sending once it has interrupted the output.
    const speaking = speak(3, () => cleared);
    await new Promise<void>((resolve) => runner.once('playbackStarted', () => resolve()));
    const startedAt = performance.now();
    await new Promise<void>((resolve) => setTimeout(resolve, 500));
    runner.clear();
    cleared = true;
    const heardFor = (performance.now() - startedAt) / 1000;
    const ev = await finished;
    await speaking;
    expect(ev.interrupted).toBe(true);
    expect(Math.abs(ev.position - heardFor)).toBeLessThan(0.1);
    expect(runner.snapshot().pendingFrames).toBe(0);

    const again = nextFinished();
    await speak(0.5);
    runner.endSegment();
    expect(await again).toMatchObject({ interrupted: false });
  });

  test.each(['throw', 'stall'] as const)(
    'a renderer that fails (%s) leaves the voice playing and is tried again on the next utterance',
    async (mode) => {
      renderer.mode = mode;
      renderer.failAfter = 5;
      const errors: Error[] = [];
      runner.on('rendererError', (e) => errors.push(e));
      const finished = nextFinished();
      await speak(2);
      runner.endSegment();
      const ev = await finished;
      expect(ev).toMatchObject({ interrupted: false });
      expect(ev.position).toBeCloseTo(2, 1);
      expect(errors).toHaveLength(1);
      // Nothing is drawn after the failure until the next utterance.
      const drawnWhileFailed = renderer.speechFrames;
      expect(drawnWhileFailed).toBe(6);

      const again = nextFinished();
      await speak(1);
      runner.endSegment();
      await again;
      expect(renderer.speechFrames).toBeGreaterThan(drawnWhileFailed + 20);
      expect(runner.snapshot().rendererErrors).toBe(1);
    },
  );
});
