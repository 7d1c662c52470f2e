// The offline TTS plugin with the real Flite engine: frames, empty and long text, and an engine that
// dies mid-sentence.
import { initializeLogger } from '@livekit/agents';
import { dispose } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FLITE_SAMPLE_RATE, Flite, type FliteVoice } from '../src/offline/flite.ts';
import { chunkText, OfflineTTS, type Synthesizer, speakable, TTS_APOLOGY } from '../src/plugins/offline_tts.ts';

const flite = new Flite();

beforeAll(() => initializeLogger({ pretty: false, level: 'fatal' }));
afterAll(async () => {
  await flite.close();
  await dispose();
});

/** Every frame of one synthesis, and how many engine calls had been made when the first arrived. */
async function synthesizeAll(tts: OfflineTTS, text: string, calls?: () => number) {
  const frames = [];
  let callsAtFirstFrame: number | undefined;
  for await (const audio of tts.synthesize(text)) {
    callsAtFirstFrame ??= calls?.();
    frames.push(audio);
  }
  return { frames, callsAtFirstFrame };
}

const seconds = (frames: { frame: { samplesPerChannel: number; sampleRate: number } }[]) =>
  frames.reduce((s, f) => s + f.frame.samplesPerChannel / f.frame.sampleRate, 0);

describe('offline TTS text handling', () => {
  test('markdown and emoji are not read aloud', () => {
    expect(speakable('**Sure!** Here is `code` 😀 and a #tag.')).toBe('Sure! Here is code and a tag.');
  });

  test('long text is cut into chunks of at most 30 words, after punctuation where it can', () => {
    const words = Array.from({ length: 70 }, (_, i) => (i === 20 ? 'pause,' : `w${i}`));
    const chunks = chunkText(words.join(' '));
    expect(chunks.map((c) => c.split(' ').length)).toEqual([21, 30, 19]);
    expect(chunks[0]?.endsWith('pause,')).toBe(true);
    expect(chunkText('')).toEqual([]);
  });
});

describe('offline TTS with Flite', () => {
  test('speaks a sentence as 100 ms frames of 16 kHz mono, the last one marked final', async () => {
    const { frames } = await synthesizeAll(new OfflineTTS('slt', flite), 'Hello there, how are you today?');
    expect(frames.length).toBeGreaterThan(10);
    for (const { frame } of frames) {
      expect(frame.sampleRate).toBe(FLITE_SAMPLE_RATE);
      expect(frame.channels).toBe(1);
    }
    expect(frames.slice(0, -1).every((f) => f.frame.samplesPerChannel === FLITE_SAMPLE_RATE / 10)).toBe(true);
    expect(frames.map((f) => f.final)).toEqual([...Array(frames.length - 1).fill(false), true]);
    expect(seconds(frames)).toBeGreaterThan(1);
  });

  test('empty or unspeakable text gives no audio and no error', async () => {
    expect((await synthesizeAll(new OfflineTTS('slt', flite), '')).frames).toEqual([]);
    expect((await synthesizeAll(new OfflineTTS('slt', flite), ' ** 😀 ')).frames).toEqual([]);
  });

  test('a long text starts sounding after its first chunk, and all of it is spoken', async () => {
    let calls = 0;
    const counting: Synthesizer = {
      synthesize: (text: string, voice: FliteVoice) => {
        calls++;
        return flite.synthesize(text, voice);
      },
    };
    const sentence = 'This is one of many sentences in a long answer';
    const text = Array.from({ length: 12 }, () => sentence).join(', ');
    const { frames, callsAtFirstFrame } = await synthesizeAll(new OfflineTTS('kal16', counting), text, () => calls);
    expect(calls).toBe(chunkText(text).length);
    expect(calls).toBeGreaterThan(3);
    // The first frame went out while later chunks were still to be synthesized.
    expect(callsAtFirstFrame).toBeLessThanOrEqual(2);
    expect(seconds(frames)).toBeGreaterThan(20);
  });

  test('an engine that dies mid-sentence restarts and says a short apology instead', async () => {
    const dying: Synthesizer = {
      synthesize: (text: string, voice: FliteVoice) => {
        const speech = flite.synthesize(text, voice);
        // Only the first request: its thread is terminated while it synthesizes.
        if (text !== TTS_APOLOGY && !killed) {
          killed = true;
          void flite.close();
        }
        return speech;
      },
    };
    let killed = false;
    const { frames } = await synthesizeAll(new OfflineTTS('slt', dying), 'This sentence will not be heard.');
    const apology = await flite.synthesize(TTS_APOLOGY, 'slt');
    expect(Math.abs(seconds(frames) - apology.pcm.length / apology.sampleRate)).toBeLessThan(0.1);
    const after = await synthesizeAll(new OfflineTTS('slt', flite), 'And now it works again.');
    expect(seconds(after.frames)).toBeGreaterThan(1);
  });
});
