// AVATAR=remote on a real server: the agent worker dispatches our avatar worker into the room and
// streams its speech to it; the avatar worker publishes the face on the agent's behalf. Measured as
// a subscriber sees it, the same way as the in-process avatar (avatar.integration.test.ts).
import { dispose, type RemoteParticipant, type Room, TrackKind, TrackSource } from '@livekit/rtc-node';
import { AgentDispatchClient, RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, afterEach, beforeAll, describe, expect, inject, test } from 'vitest';
import { AUDIO_TRACK_NAME, VIDEO_TRACK_NAME } from '../src/avatar/avatar_runner.ts';
import { PUBLISH_ON_BEHALF_ATTRIBUTE } from '../src/avatar/remote/protocol.ts';
import { SAY_RPC_METHOD } from '../src/say_rpc.ts';
import { FIXTURE_API_KEY, type OpenAIFixture, startOpenAIFixture } from './fixtures/openai_fixture.ts';
import { avOffset, type Interruption, interruption } from './helpers/av_analysis.ts';
import { AvRecorder, epochNow } from './helpers/av_recorder.ts';
import { isAgent, joinRoom, sendChat, Transcripts, uniqueRoom, waitForParticipant } from './helpers/participant.ts';
import { type RunningWorker, startAvatarWorker, startWorker } from './helpers/worker.ts';

const livekit = inject('livekit');
const FPS = 30;
const FRAME_MS = 1000 / FPS;
/** The rtc-node subscriber's own A/V bias, as measured for the in-process avatar (see avatar.integration). */
const RTC_NODE_RECEIVE_BIAS_MS = -45;
const SETTLE_MS = 4000;
/**
 * The subscriber's jitter buffer starts deeper for the avatar worker's audio and comes down over the
 * first seconds (measured -140 ms settling to -25 ms by 9 s): the offset is read once it has.
 */
const REMOTE_SETTLE_MS = 10_000;
const RTC_NODE_WANDER_MS = 5 * FRAME_MS;
const SILENT_RMS = 300;
const LISTEN_AFTER_CLEAR_MS = 900;
/**
 * The in-process avatar is held to 100 ms. Through the avatar worker the subscriber keeps hearing the
 * old speech for longer: its jitter buffer runs deeper for this track (measured 124–190 ms on a quiet
 * machine, up to 416 ms with other test runs loading the 2 cores; `npm run bench -- remote` tracks it).
 * A clear that did not work would leave seconds of speech.
 */
const INTERRUPT_MS = 450;

let fixture: OpenAIFixture;
let avatarWorker: RunningWorker;
let agentWorker: RunningWorker;
const rooms: Room[] = [];

const longText = (seconds: number) => 'The avatar is speaking now. '.repeat(Math.ceil((seconds * 1000) / 55 / 28));

interface Joined {
  room: Room;
  agent: RemoteParticipant;
  avatar: RemoteParticipant;
  rec: AvRecorder;
}

async function join(greeting: string, transcripts?: (room: Room) => void): Promise<Joined> {
  const room = await joinRoom(livekit, {
    room: uniqueRoom('remote'),
    dispatch: { agentName: agentWorker.agentName, metadata: JSON.stringify({ greeting }) },
  });
  rooms.push(room);
  transcripts?.(room);
  const agent = await waitForParticipant(
    room,
    (p) => isAgent(p) && !p.attributes[PUBLISH_ON_BEHALF_ATTRIBUTE],
    20_000,
    'the agent',
  );
  const avatar = await waitForParticipant(
    room,
    (p) => isAgent(p) && p.attributes[PUBLISH_ON_BEHALF_ATTRIBUTE] === agent.identity,
    20_000,
    'the avatar for the agent',
  );
  return { room, agent, avatar, rec: new AvRecorder(room, avatar) };
}

let jobs = 0;

/**
 * Has the agent say `text` once both workers have warmed the job processes that replace the ones this
 * room took: on 2 cores that warm-up starves the audio for seconds, and the subscriber's jitter buffer
 * then takes as long again to come back down, which is not what the measurement is about.
 */
async function say(room: Room, agent: RemoteParticipant, text: string): Promise<void> {
  jobs++;
  await Promise.all([agentWorker.processesReady(jobs + 1), avatarWorker.processesReady(jobs + 1)]);
  await room.localParticipant?.performRpc({
    destinationIdentity: agent.identity,
    method: SAY_RPC_METHOD,
    payload: text,
  });
}

async function waitForSound(rec: AvRecorder, timeoutMs = 20_000): Promise<void> {
  await rec.waitForAudio((s) => s.rms > SILENT_RMS, timeoutMs);
}

beforeAll(async () => {
  fixture = await startOpenAIFixture({ reply: () => longText(6), transcript: () => '' });
  avatarWorker = await startAvatarWorker(livekit, { AVATAR_RENDERER: 'mouth-block', AVATAR_FPS: String(FPS) });
  agentWorker = await startWorker(livekit, {
    OPENAI_API_KEY: FIXTURE_API_KEY,
    OPENAI_BASE_URL: fixture.baseURL,
    AVATAR: 'remote',
    AVATAR_WORKER_NAME: avatarWorker.agentName,
    TURN_DETECTION: 'vad',
  });
});

afterEach(async () => {
  fixture.behaviour.replyDelayMs = 0;
  await Promise.all(rooms.splice(0).map((r) => r.disconnect()));
});

afterAll(async () => {
  await agentWorker?.stop();
  await avatarWorker?.stop();
  await fixture?.close();
  await dispose();
});

describe('agent → avatar worker over the data-stream protocol', () => {
  test('the avatar joins on the agent’s behalf and publishes the pair; the agent publishes no audio of its own', async () => {
    const { agent, avatar, rec } = await join('');
    jobs++;
    await rec.waitForFrames(FPS);
    const tracks = [...avatar.trackPublications.values()].map((p) => [p.name, p.kind, p.source]);
    expect(tracks).toContainEqual([AUDIO_TRACK_NAME, TrackKind.KIND_AUDIO, TrackSource.SOURCE_MICROPHONE]);
    expect(tracks).toContainEqual([VIDEO_TRACK_NAME, TrackKind.KIND_VIDEO, TrackSource.SOURCE_CAMERA]);
    expect([...agent.trackPublications.values()].filter((p) => p.kind === TrackKind.KIND_AUDIO)).toEqual([]);
    await rec.close();
  }, 60_000);

  test('speech with the mouth in step at the subscriber; transcript paced with it', async () => {
    let transcripts: Transcripts | undefined;
    const { room, agent, rec } = await join('', (r) => {
      transcripts = new Transcripts(r);
    });
    await say(room, agent, longText(22));
    await waitForSound(rec);
    const onset = epochNow();
    await rec.waitForFrames(rec.video.length + 20 * FPS, 30_000);
    const { offsetMs, correlation } = avOffset(rec.audio, rec.video, onset + REMOTE_SETTLE_MS, onset + 19_500);
    console.log(
      `remote avatar A/V offset at the rtc-node subscriber: ${offsetMs} ms (correlation ${correlation.toFixed(2)})`,
    );
    expect(correlation).toBeGreaterThan(0.6);
    // An rtc-node subscriber has no lip-sync stage, and its jitter buffer for the avatar worker's audio
    // wanders (measured -140 to +10 ms after settling): the mouth must follow the sound, within a few
    // frames here; within one frame is the browser's figure (`npm run bench -- remote`: +25 ms).
    expect(Math.abs(offsetMs - RTC_NODE_RECEIVE_BIAS_MS)).toBeLessThanOrEqual(RTC_NODE_WANDER_MS);
    // Transcript sync: the greeting's transcript completes as the avatar finishes saying it, not when
    // the text was ready (the whole text exists before the first word is heard).
    const done = await transcripts?.waitFor(agent.identity, (t) => t.length > 100, 30_000);
    expect(done).toBeDefined();
    const lastSound = rec.audio.filter((s) => s.rms > SILENT_RMS).at(-1)?.at ?? 0;
    expect(epochNow() - onset).toBeGreaterThan(10_000);
    expect(lastSound - onset).toBeGreaterThan(10_000);
    await rec.close();
  }, 90_000);

  test('interruption: the avatar worker clears at once and the agent answers the new message', async () => {
    const { room, agent, rec } = await join('');
    await say(room, agent, longText(10));
    await waitForSound(rec);
    // As for the offset, the subscriber's jitter buffer first settles: its depth is part of the time.
    await rec.waitForFrames(rec.video.length + (SETTLE_MS / 1000) * FPS);

    fixture.behaviour.replyDelayMs = 2000;
    await sendChat(room, 'Stop, please.');
    const line = await avatarWorker.waitForLog(new RegExp(`"room":"${room.name}".*avatar interrupted`));
    const clearedAt = (JSON.parse(line) as { clearedAt: number }).clearedAt;
    await rec.waitForFrames(rec.video.length + FPS);
    const heard = interruption(rec.audio, rec.video, clearedAt, SILENT_RMS, LISTEN_AFTER_CLEAR_MS);
    expect(heard).toBeDefined();
    const { silentMs, restMs } = heard as Interruption;
    const interruptMs = Math.max(silentMs, restMs);
    console.log(`remote interrupt → silent ${silentMs.toFixed(0)} ms, mouth at rest ${restMs.toFixed(0)} ms`);
    expect(interruptMs).toBeLessThanOrEqual(INTERRUPT_MS);

    // The reply to the interrupting message is heard from the avatar.
    const chat = await fixture.waitFor(
      (r) => r.path === '/v1/chat/completions' && JSON.stringify(r.body).includes('Stop, please.'),
    );
    await rec.waitForAudio((s) => s.at > chat.at && s.rms > SILENT_RMS, 20_000);
    await rec.close();
  }, 90_000);

  test('a dispatch with bad metadata is refused with one line naming the room; the worker goes on serving', async () => {
    const room = uniqueRoom('remote-bad');
    await new RoomServiceClient(livekit.url, livekit.apiKey, livekit.apiSecret).createRoom({ name: room });
    const dispatches = new AgentDispatchClient(livekit.url, livekit.apiKey, livekit.apiSecret);
    await dispatches.createDispatch(room, avatarWorker.agentName, { metadata: '{"agent_identity": 42}' });
    const line = await avatarWorker.waitForLog(new RegExp(`"room":"${room}".*dispatch refused`));
    expect(JSON.parse(line).msg).toMatch(/^avatar dispatch metadata agent_identity: .*; dispatch refused$/);
  });

  test('one avatar worker serves two rooms at once; each avatar leaves with its agent', async () => {
    const [a, b] = await Promise.all([join(longText(6)), join(longText(6))]);
    jobs += 2;
    await Promise.all([waitForSound(a.rec, 30_000), waitForSound(b.rec, 30_000)]);
    const framesA = a.rec.video.length;
    const framesB = b.rec.video.length;
    await Promise.all([a.rec.waitForFrames(framesA + FPS), b.rec.waitForFrames(framesB + FPS)]);
    expect(a.avatar.identity).not.toBe(b.avatar.identity);
    await a.rec.close();

    // The person leaves room A: its agent's job ends, and the avatar's job with it.
    await a.room.disconnect();
    await avatarWorker.waitForLog(new RegExp(`"room":"${a.room.name}".*the agent left`), 30_000);
    // Room B is unaffected: its face keeps coming.
    await b.rec.waitForFrames(b.rec.video.length + FPS);
    await b.rec.close();
  }, 120_000);
});
