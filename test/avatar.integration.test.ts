// The avatar in a real room: what a subscriber receives, measured. The agent speaks fixture "speech"
// whose loudness never repeats; the test renderer draws the mouth from it, so the received audio
// envelope and the received mouth can be lined up to find the A/V offset.
import { dispose, type RemoteParticipant, type Room, TrackKind, TrackSource } from '@livekit/rtc-node';
import { afterAll, afterEach, beforeAll, describe, expect, inject, test } from 'vitest';
import { AUDIO_TRACK_NAME, VIDEO_TRACK_NAME } from '../src/avatar/avatar_runner.ts';
import { FIXTURE_API_KEY, type OpenAIFixture, startOpenAIFixture } from './fixtures/openai_fixture.ts';
import {
  avOffset,
  frameIntervals,
  type Interruption,
  interruption,
  MOUTH_AT_REST,
  percentile,
} from './helpers/av_analysis.ts';
import { AvRecorder, epochNow } from './helpers/av_recorder.ts';
import { joinRoom, sendChat, uniqueRoom, waitForAgent } from './helpers/participant.ts';
import { type RunningWorker, startWorker } from './helpers/worker.ts';

const livekit = inject('livekit');
const FPS = 30;
const FRAME_MS = 1000 / FPS;
/**
 * An rtc-node subscriber has no lip-sync stage: its audio waits in the jitter buffer while video is
 * handed over as soon as it is decoded, so it sees the mouth early by about this much (measured on
 * loopback against this pipeline: -40 to -50 ms once settled; unchanged, -45 ms twice, after the
 * runner began holding video 10 ms for the way WebRTC stamps audio, a shift below this subscriber's
 * run-to-run spread; the browser, which aligns the two, is measured by the benchmark).
 */
const RTC_NODE_RECEIVE_BIAS_MS = -45;
/** Frames (5 s) a new subscription takes to reach its top simulcast layer and steady lip-sync delay. */
const SUBSCRIPTION_SETTLE_FRAMES = 5 * FPS;
/** Even while a subscription settles, no gap between frames this long (a frozen picture). */
const NEVER_FROZEN_MS = 250;
/** How long after the first sound the subscriber's audio jitter buffer takes to settle. */
const SETTLE_MS = 4000;
const SILENT_RMS = 300;
const LISTEN_AFTER_CLEAR_MS = 900;
/**
 * The benchmark holds the avatar to 100 ms (`interrupt_ms`, median of several, on a quiet machine).
 * Here one interruption on a busy CI machine is judged against what a clear that failed would leave
 * playing: the 400 ms of audio queued ahead of playout. CI has measured 206 ms once.
 */
const INTERRUPT_MS = 250;
/**
 * The A/V offset target (one frame) is the benchmark's, in the browser. This subscriber's jitter buffer
 * moves its reading by more than a frame on a loaded machine (CI: 45 ms off once); a synchronizer that
 * stopped holding video for its audio would read 100 ms (the audio queue) further off.
 */
const OFFSET_TOLERANCE_MS = 2 * FRAME_MS;
/** The idle frame rate, judged by the median interval; jitter percentiles are the benchmark's. */
const CADENCE_TOLERANCE_MS = 3;
/** Longer than any interrupted speech keeps sounding at the subscriber. */
const PREVIOUS_TAIL_MS = 300;

let fixture: OpenAIFixture;
let worker: RunningWorker;
const rooms: Room[] = [];

/** Long enough for a steady measurement: the fixture voices 55 ms per character. */
const longText = (seconds: number) => 'The avatar is speaking now. '.repeat(Math.ceil((seconds * 1000) / 55 / 28));

async function joinWithGreeting(greeting: string): Promise<{ room: Room; agent: RemoteParticipant; rec: AvRecorder }> {
  const room = await joinRoom(livekit, {
    room: uniqueRoom('avatar'),
    dispatch: { agentName: worker.agentName, metadata: JSON.stringify({ greeting }) },
  });
  rooms.push(room);
  const agent = await waitForAgent(room, 20_000);
  return { room, agent, rec: new AvRecorder(room, agent) };
}

beforeAll(async () => {
  fixture = await startOpenAIFixture({ reply: () => longText(6), transcript: () => '' });
  worker = await startWorker(livekit, {
    OPENAI_API_KEY: FIXTURE_API_KEY,
    OPENAI_BASE_URL: fixture.baseURL,
    AVATAR_FPS: String(FPS),
    AVATAR_RENDERER: 'mouth-block',
    TURN_DETECTION: 'vad',
  });
});

afterEach(async () => {
  fixture.behaviour.replyDelayMs = 0;
  await Promise.all(rooms.splice(0).map((r) => r.disconnect()));
});

afterAll(async () => {
  await worker?.stop();
  await fixture?.close();
  await dispose();
});

describe('avatar on a real livekit-server', () => {
  test('publishes avatar_audio (microphone) and avatar_video (camera); video flows before the first word and never stalls', async () => {
    const { agent, rec } = await joinWithGreeting('');
    await rec.waitForFrames(30);
    const tracks = [...agent.trackPublications.values()].map((p) => [p.name, p.kind, p.source]);
    expect(tracks).toContainEqual([AUDIO_TRACK_NAME, TrackKind.KIND_AUDIO, TrackSource.SOURCE_MICROPHONE]);
    expect(tracks).toContainEqual([VIDEO_TRACK_NAME, TrackKind.KIND_VIDEO, TrackSource.SOURCE_CAMERA]);

    // 30 s with no speech at all: idle frames keep coming at the frame rate. The first seconds of a
    // subscription are left out of the rate: the SFU moves it up the simulcast layers and the
    // subscriber's lip-sync delay ramps, each a one-off pause at the receiver, not at the sender.
    // Measured once the replacement job process has warmed: its loading takes both cores for seconds
    // (the load benchmark measures sessions under that kind of contention).
    await worker.processesReady(2);
    const start = rec.video.length;
    await rec.waitForFrames(start + 30 * FPS + SUBSCRIPTION_SETTLE_FRAMES, 50_000);
    const idle = rec.video.slice(start);
    const intervals = frameIntervals(idle);
    expect(Math.max(...intervals)).toBeLessThanOrEqual(NEVER_FROZEN_MS);
    expect(Math.abs(percentile(intervals.slice(SUBSCRIPTION_SETTLE_FRAMES), 50) - FRAME_MS)).toBeLessThanOrEqual(
      CADENCE_TOLERANCE_MS,
    );
    expect(Math.max(...idle.map((s) => s.openness))).toBeLessThan(MOUTH_AT_REST);
    await rec.close();
  }, 60_000);

  test('the mouth moves with the sound: A/V offset at the subscriber within two frames of its receive bias', async () => {
    const { rec } = await joinWithGreeting(longText(14));
    await fixture.waitFor((r) => r.path === '/v1/audio/speech');
    // Wait for sound, then record a stretch of steady speech.
    const deadline = epochNow() + 20_000;
    while (!rec.audio.some((s) => s.rms > SILENT_RMS) && epochNow() < deadline)
      await rec.waitForFrames(rec.video.length + 1);
    // The subscriber's jitter buffer settles over the first seconds of a stream (measured: -65 to
    // -105 ms, then steady): measure the steady part.
    const onset = epochNow();
    await rec.waitForFrames(rec.video.length + 12 * FPS, 20_000);
    const from = onset + SETTLE_MS;
    const to = onset + 11_500;

    const { offsetMs, correlation } = avOffset(rec.audio, rec.video, from, to);
    console.log(`A/V offset at the rtc-node subscriber: ${offsetMs} ms (correlation ${correlation.toFixed(2)})`);
    expect(correlation).toBeGreaterThan(0.6);
    expect(Math.abs(offsetMs - RTC_NODE_RECEIVE_BIAS_MS)).toBeLessThanOrEqual(OFFSET_TOLERANCE_MS);
    await rec.close();
  }, 60_000);

  test('interruption: sound stops and the mouth rests within a few frames of the clear', async () => {
    const { room, rec } = await joinWithGreeting(longText(10));
    await fixture.waitFor((r) => r.path === '/v1/audio/speech');
    while (!rec.audio.some((s) => s.rms > SILENT_RMS)) await rec.waitForFrames(rec.video.length + 1);
    await rec.waitForFrames(rec.video.length + FPS);

    // The typed message interrupts the greeting; the model then takes a while, so the gap is clean.
    fixture.behaviour.replyDelayMs = 2000;
    await sendChat(room, 'Stop, please.');
    const line = await worker.waitForLog(new RegExp(`"room":"${room.name}".*avatar interrupted`));
    const clearedAt = (JSON.parse(line) as { clearedAt: number }).clearedAt;
    await rec.waitForFrames(rec.video.length + FPS);
    const heard = interruption(rec.audio, rec.video, clearedAt, SILENT_RMS, LISTEN_AFTER_CLEAR_MS);
    expect(heard).toBeDefined();
    const { silentMs, restMs } = heard as Interruption;
    const interruptMs = Math.max(silentMs, restMs);
    console.log(`interrupt → silent ${silentMs.toFixed(0)} ms, mouth at rest ${restMs.toFixed(0)} ms`);
    expect(interruptMs).toBeLessThanOrEqual(INTERRUPT_MS);
    await rec.close();
  }, 60_000);

  test('ten interruptions in a row, and the agent still speaks after', async () => {
    const { room, rec } = await joinWithGreeting(longText(10));
    const interruptions = () => worker.lines(new RegExp(`"room":"${room.name}".*avatar interrupted`)).length;
    /**
     * Waits until the first speech voiced after `since` is audible at the subscriber: sound well past
     * any tail of the speech it replaced (an interruption silences within 100 ms).
     */
    const audibleAfter = async (since: number) => {
      const tts = await fixture.waitFor((r) => r.path === '/v1/audio/speech' && r.at > since);
      await rec.waitForAudio((s) => s.at > tts.at + PREVIOUS_TAIL_MS && s.rms > SILENT_RMS);
    };
    await audibleAfter(0);
    for (let i = 1; i <= 10; i++) {
      const before = interruptions();
      const text = `Interruption number ${i}`;
      await sendChat(room, text);
      while (interruptions() === before) await rec.waitForFrames(rec.video.length + 1);
      // The reply to this message must be on air before the next message interrupts it.
      const chat = await fixture.waitFor(
        (r) => r.path === '/v1/chat/completions' && JSON.stringify(r.body).includes(text),
      );
      await audibleAfter(chat.at);
    }
    expect(interruptions()).toBe(10);
    // After the last one the reply plays out and the mouth moves with it.
    const after = epochNow();
    await rec.waitForFrames(rec.video.length + FPS);
    expect(rec.video.some((s) => s.at > after && s.openness > 0.3)).toBe(true);
    await rec.close();
  }, 120_000);
});
