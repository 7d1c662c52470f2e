// The whole voice loop on this machine, in a real room: a participant speaks (another voice than the
// agent's), the offline STT transcribes it, the local LLM answers, Flite speaks, and the avatar's audio
// and video arrive. No cloud keys, no fixtures.
import { dispose, type RemoteParticipant, type Room } from '@livekit/rtc-node';
import { afterAll, afterEach, beforeAll, describe, expect, inject, test } from 'vitest';
import { AvRecorder } from './helpers/av_recorder.ts';
import { joinRoom, Microphone, SOUND_RMS, Transcripts, uniqueRoom, waitForAgent } from './helpers/participant.ts';
import { synthesize } from './helpers/speech.ts';
import { type RunningWorker, startWorker } from './helpers/worker.ts';

const livekit = inject('livekit');
const USER_VOICE = 'kal16';
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

let worker: RunningWorker;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  worker = await startWorker(livekit, {
    MODEL_PROVIDER: 'offline',
    OPENAI_API_KEY: '',
    TURN_DETECTION: 'vad',
  });
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
  return { room, agent, rec, transcripts, mic };
}

const words =
  (...wanted: string[]) =>
  (text: string) =>
    wanted.every((w) => text.toLowerCase().includes(w));

describe('offline voice loop', () => {
  test('a spoken question is transcribed and answered by the avatar, audio and video', async () => {
    const { room, agent, rec, transcripts, mic } = await joinWithAgent('');
    const question = await synthesize('What is the capital of France?', USER_VOICE);
    await mic.say(question.pcm).done;
    const asked = Date.now();

    setTimeout(
      () =>
        console.log('TRANSCRIPTS', JSON.stringify(transcripts.all), room.localParticipant?.identity, agent.identity),
      50_000,
    );
    const heard = await transcripts.waitFor(
      room.localParticipant?.identity as string,
      words('capital', 'france'),
      TURN_TIMEOUT_MS,
    );
    expect(heard.text).toMatch(/capital of france/i);
    const answer = await transcripts.waitFor(agent.identity, (t) => t.trim().length > 0, TURN_TIMEOUT_MS);
    expect(answer.text.split(/\s+/).length).toBeGreaterThan(1);

    const voice = await rec.waitForAudio((s) => s.rms > SOUND_RMS, TURN_TIMEOUT_MS);
    const framesBefore = rec.video.filter((v) => v.at < voice.at).length;
    await rec.waitForFrames(framesBefore + 30, 5000);
    expect(voice.at).toBeGreaterThan(asked - 5000);
  });
});
