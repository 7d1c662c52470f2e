// The agent's side of LiveKit's avatar data-stream protocol on a real server: our sender drives our
// receiver and runner, and a raw participant plays an avatar that checks every byte and misbehaves
// on purpose (never answers a clear, leaves mid-speech, never joins, sends bad reports).
import { initializeLogger, type log, voice } from '@livekit/agents';
import {
  AudioFrame,
  type ByteStreamReader,
  dispose,
  LocalVideoTrack,
  type Room,
  TrackPublishOptions,
  TrackSource,
  VideoBufferType,
  VideoFrame,
  VideoSource,
} from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { AvatarRunner } from '../src/avatar/avatar_runner.ts';
import { DEFAULT_AVATAR_OPTIONS } from '../src/avatar/options.ts';
import { DataStreamReceiver } from '../src/avatar/remote/data_stream_receiver.ts';
import {
  AUDIO_STREAM_TOPIC,
  playbackFinishedPayload,
  RPC_CLEAR_BUFFER,
  RPC_PLAYBACK_FINISHED,
  RPC_PLAYBACK_STARTED,
} from '../src/avatar/remote/protocol.ts';
import { MouthBlockRenderer } from '../src/avatar/renderers/mouth_block.ts';
import { CLEAR_TIMEOUT_MS, DataStreamAudioOutput, PLAYOUT_SLACK_MS } from '../src/plugins/data_stream_audio_output.ts';
import { Arrivals } from './helpers/arrivals.ts';
import { joinRoom, uniqueRoom, waitForParticipant } from './helpers/participant.ts';
import { tone } from './helpers/tone.ts';

const livekit = inject('livekit');
const OPTIONS = { ...DEFAULT_AVATAR_OPTIONS, width: 128, height: 128 };
const RATE = 24_000;
/** The runner plays whole video frames of audio: a reported length may be off by one of them. */
const FRAME_SECONDS = 1 / OPTIONS.fps;
/** Long enough for a loaded 2-core machine; the avatars in these tests are already in the room. */
const JOIN_TIMEOUT_MS = 15_000;
/** For the avatar that never comes: the wait should be short, its length does not matter. */
const NEVER_JOINS_TIMEOUT_MS = 300;
/** How late a timer may fire on a machine other test files keep busy. */
const TIMER_MARGIN_MS = 1500;
/** Node never fires a timer early by more than its clock granularity. */
const TIMER_GRANULARITY_MS = 5;
/** The raw avatar's face: the sender only waits for a video track to exist. */
const FACE_PX = 16;

afterAll(async () => {
  await dispose();
});

beforeAll(() => {
  initializeLogger({ pretty: false, level: 'warn' });
});

// ---------------------------------------------------------------------------------------------
// Helpers

interface LogLine {
  level: 'info' | 'warn' | 'error';
  msg: string;
}

/** A logger for the sender that keeps its lines, so tests can wait for and count them. */
class RecordedLog extends Arrivals<LogLine> {
  readonly logger: ReturnType<typeof log>;

  constructor() {
    super();
    const line =
      (level: LogLine['level']) =>
      (first: unknown, second?: unknown): void =>
        this.push({ level, msg: typeof first === 'string' ? first : String(second ?? '') });
    const ignore = () => {};
    const logger = {
      child: () => logger,
      trace: ignore,
      debug: ignore,
      info: line('info'),
      warn: line('warn'),
      error: line('error'),
      fatal: line('error'),
    };
    this.logger = logger as unknown as ReturnType<typeof log>;
  }

  waitForLine = (level: LogLine['level'], pattern: RegExp) =>
    this.waitFor((l) => l.level === level && pattern.test(l.msg));
  count = (level: LogLine['level'], pattern = /./) =>
    this.items.filter((l) => l.level === level && pattern.test(l.msg)).length;
}

async function speak(output: voice.AudioOutput, seconds: number, rate = RATE): Promise<void> {
  for (const frame of tone(seconds, rate)) await output.captureFrame(frame);
  output.flush();
}

/** Records what an output reports to the agent, in order. */
function watch(output: voice.AudioOutput) {
  const finished = new Arrivals<voice.PlaybackFinishedEvent>();
  const started = new Arrivals<number>();
  output.on(voice.AudioOutput.EVENT_PLAYBACK_FINISHED, finished.push);
  output.on(voice.AudioOutput.EVENT_PLAYBACK_STARTED, (ev: voice.PlaybackStartedEvent) => started.push(ev.createdAt));
  return { finished, started };
}

interface Avatar {
  room: Room;
  runner: AvatarRunner;
  receiver: DataStreamReceiver;
}

/** Our own avatar: receiver and runner, as the avatar worker runs them. */
async function startAvatar(roomName: string, identity: string, agentIdentity: string): Promise<Avatar> {
  const room = await joinRoom(livekit, { room: roomName, identity });
  const runner = new AvatarRunner(room, new MouthBlockRenderer(OPTIONS.width, OPTIONS.height), OPTIONS);
  await runner.start();
  const quiet = { info: () => {}, warn: () => {} };
  const receiver = new DataStreamReceiver(room, agentIdentity, runner, quiet);
  receiver.start();
  return { room, runner, receiver };
}

async function stopAvatar(a: Avatar): Promise<void> {
  a.receiver.close();
  await a.runner.close();
  await a.room.disconnect();
}

interface ReceivedStream {
  from: string;
  topic: string;
  attributes: Record<string, string> | undefined;
  bytes: Uint8Array;
}

/**
 * A participant that speaks the avatar's side of the protocol by hand: it keeps every stream it
 * receives and answers only what the test tells it to.
 */
class RawAvatar {
  readonly opened = new Arrivals<string>();
  readonly streams = new Arrivals<ReceivedStream>();
  readonly clears = new Arrivals<string>();
  /** An avatar that hangs takes the clear and never answers it. */
  answersClear = true;
  #unanswered: (() => void)[] = [];

  private constructor(
    readonly room: Room,
    readonly agentIdentity: string,
    readonly face: VideoSource,
  ) {}

  static async join(roomName: string, identity: string, agentIdentity: string): Promise<RawAvatar> {
    const room = await joinRoom(livekit, { room: roomName, identity });
    const avatar = new RawAvatar(room, agentIdentity, new VideoSource(FACE_PX, FACE_PX));
    room.registerByteStreamHandler(AUDIO_STREAM_TOPIC, (reader, from) => {
      // An avatar that leaves mid-stream (a case below) stops reading: its reader rejects then.
      avatar.#read(reader, from.identity).catch(() => {});
    });
    room.localParticipant?.registerRpcMethod(RPC_CLEAR_BUFFER, async ({ callerIdentity }) => {
      avatar.clears.push(callerIdentity);
      if (avatar.answersClear) return 'ok';
      return new Promise<string>((resolve) => avatar.#unanswered.push(() => resolve('ok')));
    });
    // The sender starts streaming once the avatar's video is published, as a real avatar's is.
    await room.localParticipant?.publishTrack(
      LocalVideoTrack.createVideoTrack('face', avatar.face),
      new TrackPublishOptions({ source: TrackSource.SOURCE_CAMERA }),
    );
    avatar.face.captureFrame(
      new VideoFrame(new Uint8Array(FACE_PX * FACE_PX * 4), FACE_PX, FACE_PX, VideoBufferType.RGBA),
    );
    return avatar;
  }

  async #read(reader: ByteStreamReader, from: string): Promise<void> {
    this.opened.push(reader.info.streamId);
    const chunks: Uint8Array[] = [];
    for await (const chunk of reader) chunks.push(chunk);
    this.streams.push({
      from,
      topic: reader.info.topic,
      attributes: reader.info.attributes,
      bytes: new Uint8Array(Buffer.concat(chunks)),
    });
  }

  /** The `n`th stream (1-based) once it has ended. */
  stream = (n: number) => this.streams.waitFor((_, i) => i === n - 1);

  /** Sends lk.playback_finished as it is; resolves with the agent's answer. */
  async report(payload: string, method = RPC_PLAYBACK_FINISHED): Promise<string> {
    const me = this.room.localParticipant;
    if (!me) throw new Error('the raw avatar is not connected');
    return me.performRpc({ destinationIdentity: this.agentIdentity, method, payload });
  }

  finished = (position: number, interrupted: boolean) => this.report(playbackFinishedPayload(position, interrupted));

  async leave(): Promise<void> {
    for (const answer of this.#unanswered.splice(0)) answer();
    await this.room.disconnect();
    await this.face.close();
  }
}

/** An agent with our sender, and a raw avatar for it, alone in a room of their own. */
async function rawPair(prefix: string, opts: { joinTimeoutMs?: number; waitPlaybackStart?: boolean } = {}) {
  const name = uniqueRoom(prefix);
  const agentIdentity = `agent-${prefix}`;
  const avatarIdentity = `avatar-${prefix}`;
  const avatar = await RawAvatar.join(name, avatarIdentity, agentIdentity);
  const agentRoom = await joinRoom(livekit, { room: name, identity: agentIdentity });
  const log = new RecordedLog();
  const output = new DataStreamAudioOutput({
    room: agentRoom,
    avatarIdentity,
    joinTimeoutMs: opts.joinTimeoutMs ?? JOIN_TIMEOUT_MS,
    sampleRate: RATE,
    waitPlaybackStart: opts.waitPlaybackStart,
    logger: log.logger,
  });
  const close = async () => {
    output.close();
    if (avatar.room.isConnected) await avatar.leave();
    await agentRoom.disconnect();
  };
  return { name, agentRoom, avatar, output, log, events: watch(output), close };
}

/** Samples 0, 1, 2 … scaled into the full int16 range, so every byte of the stream differs. */
function ramp(count: number, start: number): number[] {
  return Array.from({ length: count }, (_, i) => (((start + i) * 7919) % 65536) - 32768);
}

/** `samples` as s16le bytes, written independently of how the sender reads its frames. */
function s16le(samples: number[]): Uint8Array {
  const bytes = new Uint8Array(samples.length * 2);
  const view = new DataView(bytes.buffer);
  for (const [i, s] of samples.entries()) view.setInt16(i * 2, s, true);
  return bytes;
}

/** Garbage on either side of a frame's samples: bytes a sender must not send. */
const SENTINEL = 0x5a5a;

/**
 * A frame whose samples are a view `padSamples` into a larger buffer, as a TTS plugin that slices
 * one decoded buffer into frames hands them on (and as agents passes them through when no
 * resampling is needed: forwardAudio gives the TTS frame to the output as it is).
 */
function viewFrame(samples: number[], rate: number, channels: number, padSamples: number): AudioFrame {
  const backing = new Int16Array(padSamples + samples.length + padSamples).fill(SENTINEL);
  const view = backing.subarray(padSamples, padSamples + samples.length);
  view.set(samples);
  return new AudioFrame(view, rate, channels, samples.length / channels);
}

function offsetZeroFrame(samples: number[], rate: number, channels: number): AudioFrame {
  return new AudioFrame(Int16Array.from(samples), rate, channels, samples.length / channels);
}

// ---------------------------------------------------------------------------------------------
// (a) Our sender → our receiver and runner

describe('our sender → our receiver and runner', () => {
  let agentRoom: Room;
  let avatar: Avatar;
  let output: DataStreamAudioOutput;
  let events: ReturnType<typeof watch>;
  const log = new RecordedLog();

  beforeAll(async () => {
    const name = uniqueRoom('ds-out');
    avatar = await startAvatar(name, 'avatar-ours', 'agent-ours');
    agentRoom = await joinRoom(livekit, { room: name, identity: 'agent-ours' });
    output = new DataStreamAudioOutput({
      room: agentRoom,
      avatarIdentity: 'avatar-ours',
      joinTimeoutMs: JOIN_TIMEOUT_MS,
      sampleRate: RATE,
      logger: log.logger,
    });
    events = watch(output);
  });

  afterAll(async () => {
    output.close();
    await stopAvatar(avatar);
    await agentRoom.disconnect();
  });

  test('a segment plays whole and is reported finished once, with its length', async () => {
    await speak(output, 1);
    const ev = await output.waitForPlayout();
    expect(ev.interrupted).toBe(false);
    expect(ev.playbackPosition).toBeGreaterThan(1 - FRAME_SECONDS);
    expect(ev.playbackPosition).toBeLessThan(1 + FRAME_SECONDS);
    expect(events.finished.items).toHaveLength(1);
    // Started when the avatar said so (our receiver reports lk.playback_started), once.
    expect(events.started.items).toHaveLength(1);
    expect(log.count('warn') + log.count('error')).toBe(0);
  });

  test('a clear mid-segment stops it, reported interrupted with what was heard', async () => {
    const before = events.finished.items.length;
    await speak(output, 4);
    await events.started.waitFor((_, i) => i === before);
    output.clearBuffer();
    const ev = await output.waitForPlayout();
    expect(ev.interrupted).toBe(true);
    expect(ev.playbackPosition).toBeLessThan(4);
    // Reported by the avatar, not given up on by the sender.
    expect(log.count('warn', /did not answer/)).toBe(0);
    // The next segment is not confused with the cleared one.
    await speak(output, 0.5);
    const next = await output.waitForPlayout();
    expect(next.interrupted).toBe(false);
    expect(next.playbackPosition).toBeGreaterThan(0.5 - FRAME_SECONDS);
    expect(events.finished.items).toHaveLength(before + 2);
  });

  test('two rooms in one process, each with its own sender and avatar, both hear back', async () => {
    // agents-js's own DataStreamAudioOutput registers lk.playback_finished on the first room only;
    // the second room's avatar would get "unsupported method" and the agent would wait forever.
    const rooms = await Promise.all(
      [1, 2].map(async (n) => {
        const name = uniqueRoom(`ds-out-${n}`);
        // The same avatar identity in both rooms, as a cloud provider's is.
        const a = await startAvatar(name, 'avatar-twin', `agent-${n}`);
        const room = await joinRoom(livekit, { room: name, identity: `agent-${n}` });
        const out = new DataStreamAudioOutput({ room, avatarIdentity: 'avatar-twin', joinTimeoutMs: JOIN_TIMEOUT_MS });
        return { a, room, out };
      }),
    );
    try {
      for (const { out } of rooms) await speak(out, 1);
      const evs = await Promise.all(rooms.map(({ out }) => out.waitForPlayout()));
      for (const ev of evs) {
        expect(ev.interrupted).toBe(false);
        expect(ev.playbackPosition).toBeGreaterThan(1 - FRAME_SECONDS);
        expect(ev.playbackPosition).toBeLessThan(1 + FRAME_SECONDS);
      }
    } finally {
      for (const { a, room, out } of rooms) {
        out.close();
        await stopAvatar(a);
        await room.disconnect();
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// (b) Exactly what goes on the wire

describe('what the avatar receives', () => {
  let pair: Awaited<ReturnType<typeof rawPair>>;

  beforeAll(async () => {
    pair = await rawPair('wire');
  });

  afterAll(async () => {
    await pair.close();
  });

  test('each segment is one stream to the avatar: its exact samples, its rate and channels', async () => {
    const { output, avatar } = pair;
    // Mono 24 kHz: frames on buffers of their own and frames that are views into larger buffers,
    // one of an odd length (so a later view starts at an odd sample).
    const mono = [ramp(240, 0), ramp(240, 240), ramp(137, 480), ramp(240, 617)];
    const monoFrames = [
      offsetZeroFrame(mono[0] ?? [], RATE, 1),
      viewFrame(mono[1] ?? [], RATE, 1, 3),
      viewFrame(mono[2] ?? [], RATE, 1, 1000),
      offsetZeroFrame(mono[3] ?? [], RATE, 1),
    ];
    expect(monoFrames[1]?.data.byteOffset).toBeGreaterThan(0);
    for (const frame of monoFrames) await output.captureFrame(frame);
    output.flush();

    // Stereo 48 kHz, interleaved, all views.
    const stereo = [ramp(960, 5000), ramp(962, 6000)];
    for (const samples of stereo) await output.captureFrame(viewFrame(samples, 48_000, 2, 7));
    output.flush();

    const first = await avatar.stream(1);
    expect(first.from).toBe(pair.agentRoom.localParticipant?.identity);
    expect(first.topic).toBe(AUDIO_STREAM_TOPIC);
    expect(first.attributes).toEqual({ sample_rate: String(RATE), num_channels: '1' });
    expect(Buffer.from(first.bytes).equals(Buffer.from(s16le(mono.flat())))).toBe(true);

    const second = await avatar.stream(2);
    expect(second.attributes).toEqual({ sample_rate: '48000', num_channels: '2' });
    expect(second.bytes.length).toBe(s16le(stereo.flat()).length);
    expect(Buffer.from(second.bytes).equals(Buffer.from(s16le(stereo.flat())))).toBe(true);

    // One finish per segment, in order, each taken as the avatar reported it.
    expect(await avatar.finished(0.03, false)).toBe('ok');
    expect(await avatar.finished(0.02, true)).toBe('ok');
    expect(await output.waitForPlayout()).toEqual({ playbackPosition: 0.02, interrupted: true });
    expect(pair.events.finished.items).toEqual([
      { playbackPosition: 0.03, interrupted: false },
      { playbackPosition: 0.02, interrupted: true },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// (c) Avatars that misbehave

describe('an avatar that does not answer a clear', () => {
  let pair: Awaited<ReturnType<typeof rawPair>>;

  beforeAll(async () => {
    pair = await rawPair('hung');
  });

  afterAll(async () => {
    await pair.close();
  });

  test('the segment is finished interrupted after CLEAR_TIMEOUT_MS, and a late answer is not taken for the next', async () => {
    const { output, avatar, log, events } = pair;
    avatar.answersClear = false;
    await speak(output, 5);
    await avatar.stream(1);
    const clearedAt = performance.now();
    output.clearBuffer();
    await avatar.clears.waitFor(() => true);
    const ev = await output.waitForPlayout();
    const waited = performance.now() - clearedAt;
    expect(ev.interrupted).toBe(true);
    expect(waited).toBeGreaterThanOrEqual(CLEAR_TIMEOUT_MS - TIMER_GRANULARITY_MS);
    expect(waited).toBeLessThan(CLEAR_TIMEOUT_MS + TIMER_MARGIN_MS);
    await log.waitForLine('warn', /did not answer lk\.clear_buffer/);

    // The next segment goes out; then the avatar comes to and reports the old one, late.
    avatar.answersClear = true;
    for (const frame of tone(0.3)) await output.captureFrame(frame);
    output.flush();
    await avatar.stream(2);
    expect(await avatar.finished(1.25, true)).toBe('ok');
    expect(events.finished.items).toHaveLength(1);
    expect(await avatar.finished(0.3, false)).toBe('ok');
    expect(await output.waitForPlayout()).toEqual({ playbackPosition: 0.3, interrupted: false });
  });

  test('an avatar that drops a report costs at most the next segment, not every one after', async () => {
    const { output, avatar, log, events } = pair;
    const before = events.finished.items.length;
    avatar.answersClear = false;
    await speak(output, 2);
    await avatar.stream(3);
    output.clearBuffer();
    await output.waitForPlayout();
    avatar.answersClear = true;

    // It never reports that segment. Its next report, for the next segment, is taken for the one it
    // dropped; that segment is given up on after its length and the slack ...
    const NEXT_SECONDS = 0.2;
    const sentAt = performance.now();
    await speak(output, NEXT_SECONDS);
    await avatar.stream(4);
    expect(await avatar.finished(0.2, false)).toBe('ok');
    const given = await output.waitForPlayout();
    expect(given).toEqual({ playbackPosition: expect.closeTo(NEXT_SECONDS, 6), interrupted: true });
    expect(performance.now() - sentAt).toBeGreaterThanOrEqual(
      NEXT_SECONDS * 1000 + PLAYOUT_SLACK_MS - TIMER_GRANULARITY_MS,
    );
    await log.waitForLine('warn', /did not report a segment finished in time/);

    // ... but the one after is matched with its own report again.
    await speak(output, 0.2);
    await avatar.stream(5);
    expect(await avatar.finished(0.125, false)).toBe('ok');
    expect(await output.waitForPlayout()).toEqual({ playbackPosition: 0.125, interrupted: false });
    expect(events.finished.items).toHaveLength(before + 3);
  });
});

describe('an avatar that leaves mid-segment', () => {
  let pair: Awaited<ReturnType<typeof rawPair>>;

  beforeAll(async () => {
    pair = await rawPair('leaves');
  });

  afterAll(async () => {
    await pair.close();
  });

  test('its segment is finished interrupted at once; later segments do not wait for it', async () => {
    const { output, avatar, log, events } = pair;
    for (const frame of tone(1)) await output.captureFrame(frame);
    await avatar.opened.waitFor(() => true);
    await avatar.leave();
    const ev = await output.waitForPlayout();
    expect(ev.interrupted).toBe(true);
    expect(ev.playbackPosition).toBeCloseTo(1, 6);
    await log.waitForLine('warn', /left the room mid-speech/);
    // Its TTS still runs to the end of the segment; none of it may count as another segment.
    for (const frame of tone(0.5)) await output.captureFrame(frame);
    output.flush();
    expect(events.finished.items).toHaveLength(1);

    // The next segment has nobody to play it: it finishes at once, without waiting for a join.
    const sentAt = performance.now();
    await speak(output, 0.5);
    await output.waitForPlayout();
    expect(performance.now() - sentAt).toBeLessThan(JOIN_TIMEOUT_MS);
    expect(events.finished.items).toHaveLength(2);
    expect(log.count('error')).toBe(0);
  });

  test('back before the segment ends, it gets the next segment, not the rest of the one it left', async () => {
    const ghost = await rawPair('rejoins');
    const avatarIdentity = ghost.avatar.room.localParticipant?.identity ?? '';
    let again: RawAvatar | undefined;
    try {
      for (const frame of tone(0.5)) await ghost.output.captureFrame(frame);
      await ghost.avatar.opened.waitFor(() => true);
      await ghost.avatar.leave();
      await ghost.output.waitForPlayout();
      again = await RawAvatar.join(ghost.name, avatarIdentity, ghost.avatar.agentIdentity);
      await waitForParticipant(ghost.agentRoom, (p) => p.identity === avatarIdentity, JOIN_TIMEOUT_MS);
      // The rest of the segment it left: agents still counts it in that segment.
      for (const frame of tone(0.5)) await ghost.output.captureFrame(frame);
      ghost.output.flush();
      const NEXT_SECONDS = 0.3;
      await speak(ghost.output, NEXT_SECONDS);
      const first = await again.stream(1);
      expect(first.bytes.length).toBe(NEXT_SECONDS * RATE * 2);
      expect(await again.finished(0.25, false)).toBe('ok');
      expect(await ghost.output.waitForPlayout()).toEqual({ playbackPosition: 0.25, interrupted: false });
      expect(ghost.events.finished.items).toHaveLength(2);
    } finally {
      await again?.leave();
      await ghost.close();
    }
  });
});

describe('an avatar that never joins', () => {
  let agentRoom: Room;
  const log = new RecordedLog();

  beforeAll(async () => {
    agentRoom = await joinRoom(livekit, { room: uniqueRoom('alone'), identity: 'agent-alone' });
  });

  afterAll(async () => {
    await agentRoom.disconnect();
  });

  test('segments finish without it, and it is reported with one error line', async () => {
    const output = new DataStreamAudioOutput({
      room: agentRoom,
      avatarIdentity: 'nobody',
      joinTimeoutMs: NEVER_JOINS_TIMEOUT_MS,
      logger: log.logger,
    });
    const events = watch(output);
    try {
      const startedAt = performance.now();
      await speak(output, 0.5);
      await output.waitForPlayout();
      expect(performance.now() - startedAt).toBeGreaterThanOrEqual(NEVER_JOINS_TIMEOUT_MS - TIMER_GRANULARITY_MS);
      await speak(output, 0.5);
      await output.waitForPlayout();
      expect(events.finished.items).toHaveLength(2);
      expect(events.started.items).toHaveLength(2);
      expect(log.count('error')).toBe(1);
      expect(log.items.find((l) => l.level === 'error')?.msg).toMatch(/did not join within 0\.3 s/);
    } finally {
      output.close();
    }
  });
});

describe('bad reports from the avatar, and reports from someone else', () => {
  let pair: Awaited<ReturnType<typeof rawPair>>;
  let segments = 0;

  beforeAll(async () => {
    pair = await rawPair('bad');
  });

  afterAll(async () => {
    await pair.close();
  });

  const SEGMENT_SECONDS = 0.2;
  const sendSegment = async () => {
    await speak(pair.output, SEGMENT_SECONDS);
    await pair.avatar.stream(++segments);
  };

  test.each([
    ['not JSON', 'not json', /payload is not JSON/],
    ['an empty object', '{}', /playback_position is not a number/],
    ['a position that is not a number', '{"playback_position":"x"}', /playback_position is not a number/],
  ])('%s: logged, and the segment still counts as played', async (_, payload, line) => {
    await sendSegment();
    const before = pair.log.count('warn', line);
    expect(await pair.avatar.report(payload)).toBe('ok');
    const ev = await pair.output.waitForPlayout();
    expect(ev.interrupted).toBe(false);
    expect(ev.playbackPosition).toBeCloseTo(SEGMENT_SECONDS, 6);
    expect(pair.log.count('warn', line)).toBe(before + 1);
    expect(pair.events.finished.items).toHaveLength(segments);
  });

  test("a stranger's playback reports are rejected and finish nothing", async () => {
    await sendSegment();
    const stranger = await joinRoom(livekit, { room: pair.name, identity: 'stranger' });
    try {
      const ask = (method: string, payload: string) =>
        stranger.localParticipant?.performRpc({
          destinationIdentity: pair.agentRoom.localParticipant?.identity ?? '',
          method,
          payload,
        });
      const finishedBefore = pair.events.finished.items.length;
      const startedBefore = pair.events.started.items.length;
      expect(await ask(RPC_PLAYBACK_STARTED, '')).toBe('reject');
      expect(await ask(RPC_PLAYBACK_FINISHED, playbackFinishedPayload(0.1, false))).toBe('reject');
      // The handler answered after it ran: had it finished anything, it would show by now.
      expect(pair.events.finished.items).toHaveLength(finishedBefore);
      expect(pair.events.started.items).toHaveLength(startedBefore);
      expect(pair.log.count('warn', /not the avatar; refused/)).toBe(2);
      // The avatar's own report still finishes the segment.
      expect(await pair.avatar.finished(0.15, false)).toBe('ok');
      expect(await pair.output.waitForPlayout()).toEqual({ playbackPosition: 0.15, interrupted: false });
    } finally {
      await stranger.disconnect();
    }
  });
});
