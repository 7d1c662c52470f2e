// The built-in character in a real room: the agent's video shows the character at rest, its mouth
// moves while the agent speaks, and it comes back to rest when the speech ends.
import { dispose, type Room, VideoBufferType, type VideoFrame } from '@livekit/rtc-node';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { SAY_RPC_METHOD } from '../src/say_rpc.ts';
import { FIXTURE_API_KEY, type OpenAIFixture, startOpenAIFixture } from './fixtures/openai_fixture.ts';
import { AvRecorder } from './helpers/av_recorder.ts';
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
const LUMA_MAX = 255;
/** Silence at the subscriber this long means the greeting is over. */
const SPEECH_OVER_MS = 1000;
/** From this long after the greeting the mouth must be at rest; frames are judged until 1.5 s after it. */
const REST_FROM_MS = 500;
const REST_UNTIL_MS = 1500;

let fixture: OpenAIFixture;
let worker: RunningWorker;
let room: Room;
let rec: AvRecorder;

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
    AVATAR_RENDERER: 'character',
  });
});

afterAll(async () => {
  await rec?.close();
  await room?.disconnect();
  await worker?.stop();
  await fixture?.close();
  await dispose();
});

/**
 * How dark the mouth area is (0..1, its mean luma inverted): an open mouth shows its dark inside.
 * Scaled to whichever simulcast layer arrived.
 */
function mouthDarkness(frame: VideoFrame): number {
  const i420 = frame.type === VideoBufferType.I420 ? frame : frame.convert(VideoBufferType.I420);
  const at = (v: number) => Math.round((v * i420.width) / 512);
  const [x0, x1, y0, y1] = [at(MOUTH.x0), at(MOUTH.x1), at(MOUTH.y0), at(MOUTH.y1)] as const;
  let sum = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) sum += i420.data[y * i420.width + x] as number;
  return 1 - sum / ((x1 - x0) * (y1 - y0)) / LUMA_MAX;
}

test('the character talks: its mouth moves with the speech and rests after it', async () => {
  const greeting = 'Hello there! I am the character you are looking at, and my mouth moves as I talk.';
  room = await joinRoom(livekit, {
    room: uniqueRoom('character'),
    dispatch: { agentName: worker.agentName, metadata: JSON.stringify({ greeting: '' }) },
  });
  const agent = await waitForAgent(room, 30_000);
  rec = new AvRecorder(room, agent, mouthDarkness);
  // Spoken once the worker has warmed the process that replaces the one this room took: on 2 cores that
  // warm-up otherwise starves the renderer of frames while the character talks.
  await worker.processesReady(2);
  await room.localParticipant?.performRpc({
    destinationIdentity: agent.identity,
    method: SAY_RPC_METHOD,
    payload: greeting,
  });

  const speechStart = (await rec.waitForAudio((s) => s.rms > SOUND_RMS, 30_000)).at;
  let lastSound = speechStart;
  await rec.waitForAudio((s) => {
    if (s.rms > SOUND_RMS) lastSound = s.at;
    return s.at - lastSound >= SPEECH_OVER_MS;
  }, 60_000);
  const speechEnd = lastSound;
  await rec.waitForAudio((s) => s.at > speechEnd + REST_UNTIL_MS, 10_000);

  const darkness = (from: number, to: number) =>
    rec.video.filter((s) => s.at >= from && s.at <= to).map((s) => s.openness);
  const rest = darkness(speechEnd + REST_FROM_MS, speechEnd + REST_UNTIL_MS);
  const restDarkness = rest.reduce((a, b) => a + b, 0) / rest.length;
  const speaking = darkness(speechStart, speechEnd);

  // Video flowed throughout, and the mouth opened on many frames while the agent spoke.
  expect(speaking.length).toBeGreaterThan(((speechEnd - speechStart) / 1000) * 20);
  const open = speaking.filter((d) => d > restDarkness + OPEN_DROP / LUMA_MAX).length;
  expect(open / speaking.length, `${open} of ${speaking.length} frames open`).toBeGreaterThan(0.3);
  // At rest afterwards: every frame the same resting mouth.
  for (const d of rest) expect(Math.abs(d - restDarkness)).toBeLessThan(REST_TOLERANCE / LUMA_MAX);
});
