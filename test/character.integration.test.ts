// The built-in character in a real room: the agent's video shows the character at rest, its mouth
// moves while the agent speaks, and it comes back to rest when the speech ends.
import {
  AudioStream,
  dispose,
  type RemoteParticipant,
  type Room,
  TrackKind,
  VideoBufferType,
  VideoStream,
} from '@livekit/rtc-node';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { FIXTURE_API_KEY, type OpenAIFixture, startOpenAIFixture } from './fixtures/openai_fixture.ts';
import { joinRoom, SOUND_RMS, uniqueRoom, waitForAgent } from './helpers/participant.ts';
import { resample, synthesize } from './helpers/speech.ts';
import { type RunningWorker, startWorker } from './helpers/worker.ts';

const livekit = inject('livekit');
/** The default character's mouth area at 512×512 (manifest: anchor 256,306, size 120×80), inset for sway. */
const MOUTH = { x0: 206, y0: 276, x1: 306, y1: 336 };
/** An open mouth shows its dark inside: the area's mean luma falls at least this far below rest. */
const OPEN_DROP = 8;
/** Encoder noise on a resting mouth stays within this. */
const REST_TOLERANCE = 3;

interface Sample {
  at: number;
  luma: number;
}

let fixture: OpenAIFixture;
let worker: RunningWorker;
let room: Room;
const streams: (AudioStream | VideoStream)[] = [];

beforeAll(async () => {
  fixture = await startOpenAIFixture({
    reply: () => 'Sure.',
    transcript: () => '',
    // A real voice: the mouth shapes come from speech, not from the measuring tone.
    voice: async (text) => resample(await synthesize(text, 'slt'), 24_000),
  });
  worker = await startWorker(livekit, {
    OPENAI_API_KEY: FIXTURE_API_KEY,
    OPENAI_BASE_URL: fixture.baseURL,
    TURN_DETECTION: 'vad',
    AVATAR: 'character',
  });
});

afterAll(async () => {
  for (const s of streams) await s.cancel().catch(() => {});
  await room?.disconnect();
  await worker?.stop();
  await fixture?.close();
  await dispose();
});

/** Mean luma of the mouth area, scaled to whichever simulcast layer arrived. */
function mouthLuma(data: Uint8Array, width: number): number {
  const at = (v: number) => Math.round((v * width) / 512);
  const x0 = at(MOUTH.x0);
  const x1 = at(MOUTH.x1);
  const y0 = at(MOUTH.y0);
  const y1 = at(MOUTH.y1);
  let sum = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) sum += data[y * width + x] as number;
  return sum / ((x1 - x0) * (y1 - y0));
}

function record(agent: RemoteParticipant) {
  const video: Sample[] = [];
  const sound: number[] = [];
  for (const pub of agent.trackPublications.values()) {
    if (!pub.track) continue;
    if (pub.track.kind === TrackKind.KIND_VIDEO) {
      const stream = new VideoStream(pub.track);
      streams.push(stream);
      void (async () => {
        for await (const { frame } of stream) {
          const i420 = frame.type === VideoBufferType.I420 ? frame : frame.convert(VideoBufferType.I420);
          video.push({ at: Date.now(), luma: mouthLuma(i420.data, i420.width) });
        }
      })();
    } else {
      const stream = new AudioStream(pub.track, { sampleRate: 24_000, numChannels: 1 });
      streams.push(stream);
      void (async () => {
        for await (const frame of stream) {
          let sum = 0;
          for (const s of frame.data) sum += s * s;
          if (Math.sqrt(sum / frame.data.length) > SOUND_RMS) sound.push(Date.now());
        }
      })();
    }
  }
  return { video, sound };
}

async function until(condition: () => boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('the character talks: its mouth moves with the speech and rests after it', async () => {
  const greeting = 'Hello there! I am the character you are looking at, and my mouth moves as I talk.';
  room = await joinRoom(livekit, {
    room: uniqueRoom('character'),
    dispatch: { agentName: worker.agentName, metadata: JSON.stringify({ greeting }) },
  });
  const agent = await waitForAgent(room, 30_000);
  await until(() => [...agent.trackPublications.values()].filter((p) => p.track).length === 2, 20_000, 'both tracks');
  const { video, sound } = record(agent);

  await until(() => sound.length > 0, 30_000, 'the greeting');
  const speechStart = sound[0] as number;
  // The speech is over when no sound has arrived for a second.
  await until(() => Date.now() - (sound.at(-1) as number) > 1000, 60_000, 'the end of the greeting');
  const speechEnd = sound.at(-1) as number;
  await until(() => video.some((s) => s.at > speechEnd + 1500), 10_000, 'frames after the greeting');

  const rest = video.filter((s) => s.at > speechEnd + 500).map((s) => s.luma);
  const restLuma = rest.reduce((a, b) => a + b, 0) / rest.length;
  const speaking = video.filter((s) => s.at >= speechStart && s.at <= speechEnd).map((s) => s.luma);

  // Video flowed throughout, and the mouth opened on many frames while the agent spoke.
  expect(speaking.length).toBeGreaterThan(((speechEnd - speechStart) / 1000) * 20);
  const open = speaking.filter((luma) => luma < restLuma - OPEN_DROP).length;
  expect(open / speaking.length, `${open} of ${speaking.length} frames open`).toBeGreaterThan(0.3);
  // At rest afterwards: every frame the same resting mouth.
  for (const luma of rest) expect(Math.abs(luma - restLuma)).toBeLessThan(REST_TOLERANCE);
});
