// The whole voice loop on this machine, in a real room: a participant speaks (another voice than the
// agent's), the offline STT transcribes it, the local LLM answers, Flite speaks, and the avatar's audio
// and video arrive. No cloud keys, no fixtures.
import { dispose, type RemoteParticipant, type Room } from '@livekit/rtc-node';
import { afterAll, afterEach, beforeAll, describe, expect, inject, test } from 'vitest';
import { SAY_RPC_METHOD } from '../src/say_rpc.ts';
import { AvRecorder, epochNow } from './helpers/av_recorder.ts';
import { joinRoom, Microphone, SOUND_RMS, Transcripts, uniqueRoom, waitForAgent } from './helpers/participant.ts';
import { synthesize } from './helpers/speech.ts';
import { type RunningWorker, startWorker } from './helpers/worker.ts';

const livekit = inject('livekit');
/** Not the agent's voice (slt); a natural-sounding one, as a person would speak. */
const USER_VOICE = 'awb';
const LONG_GREETING = [
  'Hello, and welcome. I am the offline avatar, and everything you hear from me is made on this machine.',
  'Let me tell you a little about what I can do while you think of something to ask me.',
  'I can answer questions, tell you a joke, or just chat about your day for as long as you like.',
].join(' ');
/** Agent silence this long counts as having stopped talking. */
const STOPPED_MS = 600;
/** From the user's first word to the agent falling silent: VAD onset plus the interruption's fade. */
const INTERRUPT_BOUND_MS = 2500;
const TURN_TIMEOUT_MS = 60_000;
/** agents 1.9 ignores interruptions for the first 3 s of the agent's speech (AEC warm-up). */
const AEC_WARMUP_MS = 3500;

let worker: RunningWorker;
let jobs = 0;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  worker = await startWorker(livekit, {
    MODEL_PROVIDER: 'offline',
    OPENAI_API_KEY: '',
    TURN_DETECTION: 'vad',
  });
  await worker.processesReady(1);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await worker?.stop();
  await dispose();
});

async function joinWithAgent(
  greeting: string,
): Promise<{ room: Room; agent: RemoteParticipant; rec: AvRecorder; transcripts: Transcripts; mic: Microphone }> {
  const room = await joinRoom(livekit, {
    room: uniqueRoom('offline'),
    dispatch: { agentName: worker.agentName, metadata: JSON.stringify({ greeting }) },
  });
  cleanups.push(() => room.disconnect());
  const transcripts = new Transcripts(room);
  const agent = await waitForAgent(room, 30_000);
  const rec = new AvRecorder(room, agent, () => 0);
  cleanups.push(() => rec.close());
  const mic = await Microphone.publish(room, 16_000);
  cleanups.push(() => mic.close());
  // The job took the warm process; its replacement loads every model, which the first turn should not share.
  await worker.processesReady(++jobs + 1);
  return { room, agent, rec, transcripts, mic };
}

/** "Say this" (the agent registers the RPC just after it joins: retried until it is there). */
async function sayThis(room: Room, agent: RemoteParticipant, text: string): Promise<void> {
  const local = room.localParticipant;
  if (!local) throw new Error('not connected');
  const call = () => local.performRpc({ destinationIdentity: agent.identity, method: SAY_RPC_METHOD, payload: text });
  await expect
    .poll(
      async () =>
        call().then(
          () => true,
          () => false,
        ),
      { timeout: 20_000, interval: 500 },
    )
    .toBe(true);
}

const words =
  (...wanted: string[]) =>
  (text: string) =>
    wanted.every((w) => text.toLowerCase().includes(w));

describe('offline voice loop', { timeout: 180_000 }, () => {
  test('a spoken question is transcribed and answered by the avatar, audio and video', async () => {
    const { room, agent, rec, transcripts, mic } = await joinWithAgent('');
    const question = await synthesize('What is the capital of France?', USER_VOICE);
    const asked = await mic.say(question.pcm).done;
    const heard = await transcripts.waitFor(
      room.localParticipant?.identity as string,
      words('capital', 'france'),
      TURN_TIMEOUT_MS,
    );
    expect(heard.text).toMatch(/capital of france/i);
    const answer = await transcripts.waitFor(agent.identity, (t) => t.trim().length > 0, TURN_TIMEOUT_MS);
    expect(answer.text.split(/\s+/).length).toBeGreaterThan(1);

    // The answer is heard from the avatar, and its video keeps coming while it speaks.
    const voice = await rec.waitForAudio((s) => s.rms > SOUND_RMS, TURN_TIMEOUT_MS);
    expect(voice.at).toBeGreaterThan(asked);
    const framesBefore = rec.video.filter((v) => v.at < voice.at).length;
    await rec.waitForFrames(framesBefore + 30, 5000);
  });

  // One retry: in about one full-suite run in five the agent heard nothing of this participant (no VAD
  // activity, no transcript) while the machine was loaded; under investigation, see the issue note.
  test('speaking while the agent talks stops it, and it answers the new question', { retry: 1 }, async () => {
    // No greeting: the long speech is asked for once the job's replacement process has warmed, so its
    // loading (seconds of both cores) cannot delay the interruption past the point the test measures.
    const { room, agent, rec, transcripts, mic } = await joinWithAgent('');
    await sayThis(room, agent, LONG_GREETING);
    const greeting = await rec.waitForAudio((s) => s.rms > SOUND_RMS, TURN_TIMEOUT_MS);
    // Past agents' echo-cancellation warm-up, during which it ignores interruptions.
    await rec.waitForAudio((s) => s.at > greeting.at + AEC_WARMUP_MS);

    const { started } = mic.say((await synthesize('Can you tell me a joke?', USER_VOICE)).pcm);
    await started;
    const spokeAt = epochNow();
    let lastSound = spokeAt;
    await rec.waitForAudio((s) => {
      if (s.rms > SOUND_RMS) lastSound = s.at;
      return s.at - lastSound >= STOPPED_MS;
    }, TURN_TIMEOUT_MS);
    expect(lastSound - spokeAt).toBeLessThan(INTERRUPT_BOUND_MS);

    // The greeting's transcript ends where the agent was cut off; then it answers the new question.
    const cut = await transcripts.waitFor(agent.identity, (t) => t.length > 0, TURN_TIMEOUT_MS);
    expect(cut.text.length).toBeLessThan(LONG_GREETING.length * 0.6);
    expect(LONG_GREETING.startsWith(cut.text.trim().slice(0, 20))).toBe(true);
    await transcripts.waitFor(room.localParticipant?.identity as string, words('joke'), TURN_TIMEOUT_MS);
    const answer = await transcripts.waitFor(
      agent.identity,
      (t) => t !== cut.text && t.trim().length > 0,
      TURN_TIMEOUT_MS,
    );
    expect(answer.text.split(/\s+/).length).toBeGreaterThan(1);
  });
});
