// The offline STT plugin with the real Whisper server: sample rates, empty and overlong input, and a
// server that dies mid-utterance.
import { initializeLogger } from '@livekit/agents';
import { AudioFrame, dispose } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_STT_MODEL_PATH } from '../src/offline/model_files.ts';
import { loadRecognizer, type WhisperRecognizer } from '../src/offline/recognizer.ts';
import {
  MAX_UTTERANCE_SECONDS,
  OfflineSTT,
  RECOGNIZER_SAMPLE_RATE,
  toRecognizerRate,
} from '../src/plugins/offline_stt.ts';
import { resample, synthesize } from './helpers/speech.ts';

let recognizer: WhisperRecognizer;

beforeAll(async () => {
  initializeLogger({ pretty: false, level: 'fatal' });
  recognizer = await loadRecognizer(DEFAULT_STT_MODEL_PATH);
});

afterAll(async () => {
  await recognizer?.close();
  await dispose();
});

/** `pcm` as the room delivers it: 10 ms frames at `rate`, `channels` interleaved copies. */
function roomFrames(pcm: Int16Array, rate: number, channels = 1): AudioFrame[] {
  const samples = rate / 100;
  const frames: AudioFrame[] = [];
  for (let at = 0; at < pcm.length; at += samples) {
    const chunk = pcm.subarray(at, at + samples);
    const data = new Int16Array(chunk.length * channels);
    for (let i = 0; i < chunk.length; i++)
      for (let c = 0; c < channels; c++) data[i * channels + c] = chunk[i] as number;
    frames.push(new AudioFrame(data, rate, channels, chunk.length));
  }
  return frames;
}

const textOf = async (stt: OfflineSTT, frames: AudioFrame[]) =>
  (await stt.recognize(frames)).alternatives?.[0]?.text ?? '';

describe('offline STT', () => {
  test.each([
    [16_000, 1],
    [24_000, 1],
    [48_000, 2],
  ])('transcribes speech that arrives at %i Hz, %i channel(s)', async (rate, channels) => {
    const stt = new OfflineSTT(recognizer, 'en');
    const speech = await synthesize('Please set an alarm for seven in the morning.', 'awb');
    const text = await textOf(stt, roomFrames(resample(speech, rate), rate, channels));
    expect(text.toLowerCase()).toMatch(/alarm.*(seven|7).*morning/);
  });

  test('silence and empty input give no transcript', async () => {
    const stt = new OfflineSTT(recognizer, 'en');
    expect(await textOf(stt, roomFrames(new Int16Array(RECOGNIZER_SAMPLE_RATE), RECOGNIZER_SAMPLE_RATE))).toBe('');
    expect(await textOf(stt, [])).toBe('');
  });

  test('an utterance over the limit keeps its last minute and is transcribed in pieces', async () => {
    const numbers = [
      'one',
      'two',
      'three',
      'four',
      'five',
      'six',
      'seven',
      'eight',
      'nine',
      'ten',
      'eleven',
      'twelve',
      'thirteen',
      'fourteen',
      'fifteen',
      'sixteen',
      'seventeen',
      'eighteen',
      'nineteen',
      'twenty',
      'twenty one',
      'twenty two',
      'twenty three',
      'twenty four',
    ];
    const story = numbers.map((n) => `Here is sentence number ${n} of a story that goes on for a while.`).join(' ');
    const speech = await synthesize(`${story} And this is how the long story ends.`, 'kal16');
    expect(speech.pcm.length / speech.sampleRate).toBeGreaterThan(MAX_UTTERANCE_SECONDS + 5);
    const frames = roomFrames(speech.pcm, speech.sampleRate);
    expect(toRecognizerRate(frames).length).toBe(MAX_UTTERANCE_SECONDS * RECOGNIZER_SAMPLE_RATE);
    const text = (await textOf(new OfflineSTT(recognizer, 'en'), frames)).toLowerCase();
    expect(text).toContain('story ends');
    expect(text).not.toMatch(/number (one|1)\b/);
  });

  test('a server that dies mid-utterance: one failure reported, empty transcript, the next one works', async () => {
    let failures = 0;
    const stt = new OfflineSTT(recognizer, 'en', () => failures++);
    const speech = await synthesize('What is the weather like today?', 'rms');
    const pending = textOf(stt, roomFrames(speech.pcm, speech.sampleRate));
    process.kill(recognizer.pid as number, 'SIGKILL');
    expect(await pending).toBe('');
    expect(failures).toBe(1);
    expect((await textOf(stt, roomFrames(speech.pcm, speech.sampleRate))).toLowerCase()).toContain('weather');
    expect(failures).toBe(1);
  });
});
