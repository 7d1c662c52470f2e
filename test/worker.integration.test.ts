// The worker against a real livekit-server, with real rtc-node participants. The models are the
// OpenAI plugin talking to a local protocol fixture (the OpenAI cloud is unreachable here).
import { dispose, ParticipantKind, type RemoteParticipant, type Room } from '@livekit/rtc-node';
import { AgentDispatchClient } from 'livekit-server-sdk';
import { afterAll, afterEach, beforeAll, describe, expect, inject, test } from 'vitest';
import { TURN_TIMINGS_ATTRIBUTE, type TurnTimings } from '../src/turn_timings.ts';
import {
  FIXTURE_API_KEY,
  type OpenAIFixture,
  type RecordedRequest,
  startOpenAIFixture,
} from './fixtures/openai_fixture.ts';
import {
  AudioListener,
  isAgent,
  joinRoom,
  sendChat,
  speak,
  uniqueRoom,
  waitForAgent,
  waitForAttribute,
  waitForLeave,
  waitForParticipant,
} from './helpers/participant.ts';
import { type Samples, sample, scrape } from './helpers/prometheus.ts';
import { synthesize } from './helpers/speech.ts';
import { type RunningWorker, startWorker } from './helpers/worker.ts';

const livekit = inject('livekit');
const GREETING = 'Hello from the test agent, nice to meet you.';
const INSTRUCTIONS = 'You are the integration test agent.';
const AGENT_JOIN_BOUND_MS = 20_000;

let fixture: OpenAIFixture;
let worker: RunningWorker;
const rooms: Room[] = [];

async function join(opts: Parameters<typeof joinRoom>[1]): Promise<Room> {
  const room = await joinRoom(livekit, opts);
  rooms.push(room);
  return room;
}

const dispatch = () => ({ agentName: worker.agentName });
const speechOf = (text: string) => (r: RecordedRequest) => r.path === '/v1/audio/speech' && r.body.input === text;
const lastUserText = (r: RecordedRequest) => {
  const messages = (r.body.messages ?? []) as { role: string; content: unknown }[];
  return String(messages.filter((m) => m.role === 'user').at(-1)?.content ?? '');
};

beforeAll(async () => {
  fixture = await startOpenAIFixture({
    reply: () => 'Paris is lovely today.',
    transcript: () => 'what is the weather like in paris today',
  });
  worker = await startWorker(livekit, {
    OPENAI_API_KEY: FIXTURE_API_KEY,
    OPENAI_BASE_URL: fixture.baseURL,
    AGENT_GREETING: GREETING,
    AGENT_INSTRUCTIONS: INSTRUCTIONS,
    // End of turn on VAD silence keeps the spoken-turn test independent of the EOT model's opinion.
    TURN_DETECTION: 'vad',
  });
});

afterEach(async () => {
  await Promise.all(rooms.splice(0).map((r) => r.disconnect()));
});

afterAll(async () => {
  await worker?.stop();
  await fixture?.close();
  await dispose();
});

describe('worker on a real livekit-server', () => {
  test('registers and answers its health check', async () => {
    const res = await fetch(`${worker.healthUrl}/worker`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ agent_name: worker.agentName });
  });

  test('a token that dispatches AGENT_NAME gets the agent, which greets with audio', async () => {
    const room = await join({ room: uniqueRoom('dispatch'), dispatch: dispatch() });
    const agent = await waitForAgent(room, AGENT_JOIN_BOUND_MS);
    expect(agent.kind).toBe(ParticipantKind.AGENT);

    const listener = new AudioListener(room, agent);
    const tts = await fixture.waitFor(speechOf(GREETING));
    expect(tts.body).toMatchObject({ model: 'gpt-4o-mini-tts', voice: 'alloy', response_format: 'pcm' });
    await listener.waitForSound(1000);
    expect(await waitForAttribute(agent, room, 'lk.agent.state', 5000)).toMatch(/listening|speaking|thinking/);
    await listener.close();
  });

  test('AgentDispatchClient.createDispatch gets the agent, with per-room metadata', async () => {
    const name = uniqueRoom('api-dispatch');
    const room = await join({ room: name });
    const greeting = `Welcome to ${name}.`;
    const client = new AgentDispatchClient(livekit.url, livekit.apiKey, livekit.apiSecret);
    const created = await client.createDispatch(name, worker.agentName, {
      metadata: JSON.stringify({ greeting, voice: 'nova', unknownField: 1 }),
    });
    expect(created.agentName).toBe(worker.agentName);

    await waitForAgent(room, AGENT_JOIN_BOUND_MS);
    const tts = await fixture.waitFor(speechOf(greeting));
    expect(tts.body.voice).toBe('nova');
    await worker.waitForLog(/dispatch metadata field \\?"unknownField\\?" is unknown/);
  });

  test('a token without dispatch gets no agent', async () => {
    const lonely = await join({ room: uniqueRoom('no-dispatch') });
    // A dispatched room joined at the same moment bounds how long an agent would have taken.
    const control = await join({ room: uniqueRoom('control'), dispatch: dispatch() });
    await waitForAgent(control, AGENT_JOIN_BOUND_MS);

    const client = new AgentDispatchClient(livekit.url, livekit.apiKey, livekit.apiSecret);
    // The server still creates its automatic dispatch (for unnamed workers); none names our agent.
    const dispatches = await client.listDispatch(lonely.name as string);
    expect(dispatches.filter((d) => d.agentName === worker.agentName)).toEqual([]);
    expect([...lonely.remoteParticipants.values()].filter(isAgent)).toEqual([]);
  });

  test('a typed message goes LLM → TTS and back as audio, with per-turn timings', async () => {
    const room = await join({ room: uniqueRoom('chat'), dispatch: dispatch() });
    const agent = await waitForAgent(room, AGENT_JOIN_BOUND_MS);
    const listener = new AudioListener(room, agent);
    await listener.subscribed();
    await fixture.waitFor(speechOf(GREETING));

    const soundBefore = listener.soundMs;
    await sendChat(room, 'Tell me about Paris');
    const chat = await fixture.waitFor(
      (r) => r.path === '/v1/chat/completions' && lastUserText(r) === 'Tell me about Paris',
    );
    expect(chat.body).toMatchObject({ model: 'gpt-4.1-mini', stream: true });
    const messages = chat.body.messages as { role: string; content: string }[];
    expect(messages[0]).toMatchObject({ role: 'system', content: expect.stringContaining(INSTRUCTIONS) });

    await fixture.waitFor(speechOf('Paris is lovely today.'));
    // The fixture voices the 22-character reply as 1.2 s of audio, about three quarters of it sound.
    await listener.waitForSound(soundBefore + 600);
    const timings = await waitForTimings(room, agent, (t) => t.llmFirstTokenMs !== undefined);
    expect(timings.llmFirstTokenMs).toBeGreaterThanOrEqual(0);
    expect(timings.ttsFirstAudioMs).toBeGreaterThan(0);
    await listener.close();
  });

  test('a spoken question goes VAD → STT → LLM → TTS', async () => {
    const room = await join({ room: uniqueRoom('voice'), dispatch: dispatch() });
    const agent = await waitForAgent(room, AGENT_JOIN_BOUND_MS);
    const listener = new AudioListener(room, agent);
    // Let the greeting finish first, so the question is a turn of its own rather than an interruption.
    await fixture.waitFor(speechOf(GREETING));
    await waitForAttribute(agent, room, TURN_TIMINGS_ATTRIBUTE, 15_000);

    const question = await synthesize('What is the weather like in Paris today?');
    await speak(room, question.pcm, question.sampleRate);

    const stt = await fixture.waitFor((r) => r.path === '/v1/audio/transcriptions');
    expect(stt.body).toMatchObject({ model: 'gpt-4o-mini-transcribe', language: 'en' });
    const wav = Buffer.from(stt.audio as Uint8Array);
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    const wavSeconds = (wav.length - 44) / 2 / wav.readUInt32LE(24);
    const spokenSeconds = question.pcm.length / question.sampleRate;
    // The VAD cut holds the utterance (with its padding), not a fragment of it.
    expect(wavSeconds).toBeGreaterThan(spokenSeconds * 0.8);

    const chat = await fixture.waitFor((r) => r.path === '/v1/chat/completions' && /weather/.test(lastUserText(r)));
    expect(lastUserText(chat)).toBe('what is the weather like in paris today');
    await fixture.waitFor(speechOf('Paris is lovely today.'));
    const timings = await waitForTimings(room, agent, (t) => t.totalMs !== undefined);
    expect(timings).toMatchObject({
      endOfSpeechMs: expect.any(Number),
      sttMs: expect.any(Number),
      llmFirstTokenMs: expect.any(Number),
      ttsFirstAudioMs: expect.any(Number),
      avatarFirstFrameMs: expect.any(Number),
    });
    await listener.close();
  });

  test('when one of two people leaves, the agent answers the other', async () => {
    const name = uniqueRoom('two-people');
    const first = await join({ room: name, dispatch: dispatch() });
    await waitForAgent(first, AGENT_JOIN_BOUND_MS);
    // The greeting plays once the agent is linked to the first person; the second arrives after.
    await fixture.waitFor(speechOf(GREETING));
    const second = await join({ room: name });
    const agent = await waitForAgent(second, AGENT_JOIN_BOUND_MS);
    // The server announces a participant once it is active; leave only after the room knows both.
    const secondIdentity = second.localParticipant?.identity;
    await waitForParticipant(first, (p) => p.identity === secondIdentity, 10_000, 'the second person');

    await first.disconnect();
    await worker.waitForLog(/conversation moves to the next participant/);
    await sendChat(second, 'Are you still there?');
    await fixture.waitFor((r) => r.path === '/v1/chat/completions' && lastUserText(r) === 'Are you still there?');
    expect(second.remoteParticipants.has(agent.identity)).toBe(true);
  });

  test('the job ends when the last person leaves', async () => {
    const name = uniqueRoom('leave');
    // The dispatch in a token applies when its holder creates the room, so the user joins first.
    const user = await join({ room: name, dispatch: dispatch() });
    const observer = await join({ room: name, hidden: true });
    const agent = await waitForAgent(user, AGENT_JOIN_BOUND_MS);
    const listener = new AudioListener(user, agent);
    await listener.waitForSound(500);
    await listener.close();

    const jobsBefore = await activeJobs();
    expect(jobsBefore).toBeGreaterThanOrEqual(1);
    await user.disconnect();
    await waitForLeave(observer, agent, 15_000);
    await worker.waitForLog(/last participant left; ending the job/);
    // Jobs of earlier tests may still be winding down: the count falls by at least this room's job.
    await expect.poll(activeJobs, { timeout: 10_000 }).toBeLessThanOrEqual(jobsBefore - 1);
  });

  test('/metrics sums the job processes: sessions, avatar frames, turn latency; totals outlive the job', async () => {
    const name = uniqueRoom('metrics');
    const user = await join({ room: name, dispatch: dispatch() });
    const agent = await waitForAgent(user, AGENT_JOIN_BOUND_MS);
    await waitForTimings(user, agent, (t) => t.ttsFirstAudioMs !== undefined);
    // The avatar summarises every few seconds and the job pushes every 2 s: wait for both to arrive.
    const during = await pollMetrics(
      (m) =>
        sample(m, 'avatar_agent_active_sessions') >= 1 &&
        sample(m, 'avatar_video_frames_total') > 0 &&
        sample(m, 'agent_turn_latency_seconds_count{stage="ttsFirstAudio"}') >= 1,
    );
    expect(sample(during, 'avatar_video_fps_count')).toBeGreaterThan(0);
    expect(sample(during, 'process_resident_memory_bytes')).toBeGreaterThan(0);

    await user.disconnect();
    const after = await pollMetrics((m) => sample(m, 'avatar_agent_active_sessions') === 0);
    for (const key of ['avatar_video_frames_total', 'agent_turn_latency_seconds_count{stage="ttsFirstAudio"}']) {
      expect(sample(after, key)).toBeGreaterThanOrEqual(sample(during, key));
    }
  });

  test("every log line of a job, once it has started, names the job's room, and the person once they are there", async () => {
    const name = uniqueRoom('log-scope');
    const user = await join({ room: name, dispatch: dispatch() });
    const agent = await waitForAgent(user, AGENT_JOIN_BOUND_MS);
    await waitForTimings(user, agent, (t) => t.ttsFirstAudioMs !== undefined);
    await user.disconnect();
    await worker.waitForLog(new RegExp(`"room":"${name}".*last participant left`));

    const first = worker.lines(new RegExp(`"room":"${name}"`))[0] as string;
    const jobId = (JSON.parse(first) as { jobID: string }).jobID;
    const jobLines = worker.lines(new RegExp(`"jobID":"${jobId}"`));
    const fromEntry = jobLines.slice(jobLines.indexOf(first));
    expect(fromEntry.length).toBeGreaterThan(5);
    // agents' job-process lifecycle lines come from its own logger (they carry the room's sid, `room_id`).
    const lifecycle = /"msg":"(shutting down|job exiting|Job process shutdown|native resources disposed)"/;
    const unnamed = fromEntry.filter((line) => !line.includes(`"room":"${name}"`) && !lifecycle.test(line));
    expect(unnamed).toEqual([]);
    // The user was in the room before the agent: named from the agent's arrival until the job ends.
    const person = `"participant":"${user.localParticipant?.identity}"`;
    const arrived = fromEntry.findIndex((line) => line.includes(person));
    expect(arrived).toBeGreaterThanOrEqual(0);
    const unnamedPerson = fromEntry
      .slice(arrived)
      .filter((line) => !line.includes('"participant":') && !lifecycle.test(line));
    expect(unnamedPerson).toEqual([]);
    // Nothing secret in the whole log: not the LiveKit API secret, not the model provider's key.
    expect(worker.logs()).not.toContain(livekit.apiSecret);
    expect(worker.logs()).not.toContain(FIXTURE_API_KEY);
  });
});

/** Job processes push every 2 s: poll until the worker's sum shows what the test waits for. */
async function pollMetrics(done: (samples: Samples) => boolean): Promise<Samples> {
  let last: Samples = new Map();
  const check = async () => {
    last = await scrape(worker.metricsUrl);
    return done(last);
  };
  await expect.poll(check, { timeout: 20_000, interval: 500 }).toBe(true);
  return last;
}

async function activeJobs(): Promise<number> {
  const info = (await (await fetch(`${worker.healthUrl}/worker`)).json()) as { active_jobs: number };
  return info.active_jobs;
}

async function waitForTimings(room: Room, agent: RemoteParticipant, done: (t: TurnTimings) => boolean) {
  const accept = (raw: string) => done(JSON.parse(raw) as TurnTimings);
  return JSON.parse(await waitForAttribute(agent, room, TURN_TIMINGS_ATTRIBUTE, 15_000, accept)) as TurnTimings;
}
