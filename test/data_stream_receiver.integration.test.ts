// The avatar's side of LiveKit's avatar data-stream protocol on a real server: agents-js's own sender
// (DataStreamAudioOutput) drives our receiver and runner; a raw participant sends what no agent should.
import { initializeLogger, voice } from '@livekit/agents';
import { dispose, type Room, type RpcInvocationData } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { AvatarRunner } from '../src/avatar/avatar_runner.ts';
import { DEFAULT_AVATAR_OPTIONS } from '../src/avatar/options.ts';
import { DataStreamReceiver } from '../src/avatar/remote/data_stream_receiver.ts';
import { AUDIO_STREAM_TOPIC, RPC_CLEAR_BUFFER, RPC_PLAYBACK_FINISHED } from '../src/avatar/remote/protocol.ts';
import { MouthBlockRenderer } from '../src/avatar/renderers/mouth_block.ts';
import { Arrivals } from './helpers/arrivals.ts';
import { joinRoom, uniqueRoom, waitForParticipant } from './helpers/participant.ts';
import { tone } from './helpers/tone.ts';

const livekit = inject('livekit');
const OPTIONS = { ...DEFAULT_AVATAR_OPTIONS, width: 128, height: 128 };
const RATE = 24_000;
const FRAME_SECONDS = 1 / OPTIONS.fps;

class LogLines extends Arrivals<string> {
  info = (_: object, msg: string) => this.push(msg);
  warn = (_: object, msg: string) => this.push(msg);
  waitForLine = (pattern: RegExp) => this.waitFor((line) => pattern.test(line));
}

interface Avatar {
  room: Room;
  runner: AvatarRunner;
  receiver: DataStreamReceiver;
  log: LogLines;
}

async function startAvatar(roomName: string, sender: string, maxSegmentSeconds?: number): Promise<Avatar> {
  const room = await joinRoom(livekit, { room: roomName, identity: `avatar-${sender}` });
  const runner = new AvatarRunner(room, new MouthBlockRenderer(OPTIONS.width, OPTIONS.height), OPTIONS);
  await runner.start();
  const log = new LogLines();
  const receiver = new DataStreamReceiver(room, sender, runner, log, maxSegmentSeconds);
  receiver.start();
  return { room, runner, receiver, log };
}

async function stopAvatar(a: Avatar): Promise<void> {
  a.receiver.close();
  await a.runner.close();
  await a.room.disconnect();
}

afterAll(async () => {
  await dispose();
});

describe('agents-js DataStreamAudioOutput → our receiver', () => {
  let agentRoom: Room;
  let avatar: Avatar;
  let output: voice.DataStreamAudioOutput;

  beforeAll(async () => {
    initializeLogger({ pretty: false, level: 'warn' });
    const name = uniqueRoom('remote');
    avatar = await startAvatar(name, 'agent-js');
    agentRoom = await joinRoom(livekit, { room: name, identity: 'agent-js' });
    output = new voice.DataStreamAudioOutput({
      room: agentRoom,
      destinationIdentity: avatar.room.localParticipant?.identity ?? '',
      sampleRate: RATE,
    });
  });

  afterAll(async () => {
    await stopAvatar(avatar);
    await agentRoom.disconnect();
  });

  test('a segment plays whole and is reported finished once, with its length', async () => {
    for (const frame of tone(1)) await output.captureFrame(frame);
    output.flush();
    const ev = await output.waitForPlayout();
    expect(ev.interrupted).toBe(false);
    expect(ev.playbackPosition).toBeGreaterThan(1 - FRAME_SECONDS);
    expect(ev.playbackPosition).toBeLessThan(1 + FRAME_SECONDS);
  });

  test('lk.clear_buffer stops a segment at once and reports how much was heard', async () => {
    const started = new Promise<void>((resolve) => avatar.runner.once('playbackStarted', () => resolve()));
    for (const frame of tone(4)) await output.captureFrame(frame);
    output.flush();
    await started;
    output.clearBuffer();
    const ev = await output.waitForPlayout();
    expect(ev.interrupted).toBe(true);
    expect(ev.playbackPosition).toBeLessThan(1);
    // The avatar is ready for the next segment at once.
    for (const frame of tone(0.5)) await output.captureFrame(frame);
    output.flush();
    const next = await output.waitForPlayout();
    expect(next.interrupted).toBe(false);
    expect(next.playbackPosition).toBeGreaterThan(0.5 - FRAME_SECONDS);
  });
});

describe('what no agent should send', () => {
  let agentRoom: Room;
  let avatar: Avatar;
  const finished = new Arrivals<string>();

  beforeAll(async () => {
    const name = uniqueRoom('remote-bad');
    avatar = await startAvatar(name, 'raw-agent');
    agentRoom = await joinRoom(livekit, { room: name, identity: 'raw-agent' });
    agentRoom.localParticipant?.registerRpcMethod(RPC_PLAYBACK_FINISHED, async (data: RpcInvocationData) => {
      finished.push(data.payload);
      return 'ok';
    });
    agentRoom.localParticipant?.registerRpcMethod('lk.playback_started', async () => 'ok');
  });

  afterAll(async () => {
    await stopAvatar(avatar);
    await agentRoom.disconnect();
  });

  const send = async (attributes: Record<string, string>, bytes: Uint8Array) => {
    const writer = await agentRoom.localParticipant?.streamBytes({
      topic: AUDIO_STREAM_TOPIC,
      destinationIdentities: [avatar.room.localParticipant?.identity ?? ''],
      attributes,
    });
    await writer?.write(bytes);
    await writer?.close();
  };
  /** The `count`th playback_finished the agent received. */
  const nextFinished = async (count: number) =>
    JSON.parse(await finished.waitFor((_, i) => i === count - 1)) as Record<string, unknown>;
  const pcm = (seconds: number) => {
    const frames = tone(seconds);
    const out = new Int16Array(frames.reduce((n, f) => n + f.data.length, 0));
    let at = 0;
    for (const f of frames) {
      out.set(f.data, at);
      at += f.data.length;
    }
    return new Uint8Array(out.buffer);
  };

  test.each([
    ['no attributes', {}, /without sample_rate/],
    ['a sample rate that is not a number', { sample_rate: 'fast', num_channels: '1' }, /sample_rate "fast"/],
    ['an absurd sample rate', { sample_rate: '1000000', num_channels: '1' }, /sample_rate "1000000"/],
    ['three channels', { sample_rate: '24000', num_channels: '3' }, /num_channels "3"/],
  ])('%s: refused with one log line, and reported finished so the agent does not wait', async (_, attributes, line) => {
    const before = finished.items.length;
    await send(attributes, pcm(0.2));
    await avatar.log.waitForLine(line);
    expect(await nextFinished(before + 1)).toEqual({
      playback_position: 0,
      interrupted: true,
      synchronized_transcript: null,
    });
  });

  test('an odd byte count plays the whole samples and logs the partial one', async () => {
    const before = finished.items.length;
    const bytes = pcm(0.3);
    const odd = new Uint8Array(bytes.length + 1);
    odd.set(bytes);
    await send({ sample_rate: '24000', num_channels: '1' }, odd);
    await avatar.log.waitForLine(/inside a sample frame/);
    const ev = await nextFinished(before + 1);
    expect(ev.interrupted).toBe(false);
    expect(ev.playback_position as number).toBeGreaterThan(0.3 - FRAME_SECONDS);
  });

  test('clear_buffer from a participant the avatar does not serve is rejected', async () => {
    const stranger = await joinRoom(livekit, { room: agentRoom.name ?? '', identity: 'stranger' });
    try {
      const answer = await stranger.localParticipant?.performRpc({
        destinationIdentity: avatar.room.localParticipant?.identity ?? '',
        method: RPC_CLEAR_BUFFER,
        payload: '',
      });
      expect(answer).toBe('reject');
    } finally {
      await stranger.disconnect();
    }
  });
});

describe('streams that do not end as they should', () => {
  /** A stream of `seconds` of tone that stays open: the sender decides when (if ever) it ends. */
  const openStream = async (room: Room, to: string, seconds: number) => {
    const writer = await room.localParticipant?.streamBytes({
      topic: AUDIO_STREAM_TOPIC,
      destinationIdentities: [to],
      attributes: { sample_rate: String(RATE), num_channels: '1' },
    });
    for (const frame of tone(seconds)) await writer?.write(new Uint8Array(frame.data.buffer));
    return writer;
  };

  test('an endless stream is cut at the segment limit with one log line, and reported finished there', async () => {
    const LIMIT_SECONDS = 0.5;
    const name = uniqueRoom('remote-endless');
    const avatar = await startAvatar(name, 'endless-agent', LIMIT_SECONDS);
    const agent = await joinRoom(livekit, { room: name, identity: 'endless-agent' });
    const finished = new Arrivals<string>();
    agent.localParticipant?.registerRpcMethod(RPC_PLAYBACK_FINISHED, async ({ payload }) => {
      finished.push(payload);
      return 'ok';
    });
    agent.localParticipant?.registerRpcMethod('lk.playback_started', async () => 'ok');
    try {
      const writer = await openStream(agent, avatar.room.localParticipant?.identity ?? '', 2);
      await avatar.log.waitForLine(new RegExp(`over ${LIMIT_SECONDS} s; cut there`));
      const ev = JSON.parse(await finished.waitFor(() => true)) as { playback_position: number; interrupted: boolean };
      expect(ev.interrupted).toBe(false);
      expect(ev.playback_position).toBeLessThanOrEqual(LIMIT_SECONDS + FRAME_SECONDS);
      expect(avatar.log.items.filter((l) => /cut there/.test(l))).toHaveLength(1);
      await writer?.close();
    } finally {
      await stopAvatar(avatar);
      await agent.disconnect();
    }
  });

  test('an agent that vanishes mid-segment: its queued speech is dropped with one log line', async () => {
    const name = uniqueRoom('remote-vanish');
    const avatar = await startAvatar(name, 'vanishing-agent');
    const agent = await joinRoom(livekit, { room: name, identity: 'vanishing-agent' });
    // An agent that has been in the room: the server tells others of a new participant a moment late.
    await waitForParticipant(avatar.room, (p) => p.identity === 'vanishing-agent', 10_000);
    const ended = new Promise<{ interrupted: boolean }>((resolve) => avatar.runner.once('playbackFinished', resolve));
    try {
      const started = new Promise<void>((resolve) => avatar.runner.once('playbackStarted', () => resolve()));
      await openStream(agent, avatar.room.localParticipant?.identity ?? '', 3);
      await started;
      await agent.disconnect();
      await avatar.log.waitForLine(/the agent left; its queued speech is dropped/);
      expect((await ended).interrupted).toBe(true);
      expect(avatar.runner.snapshot().inputBufferedMs).toBe(0);
    } finally {
      await stopAvatar(avatar);
    }
  });
});
