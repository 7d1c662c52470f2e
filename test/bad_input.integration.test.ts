// Bad input against the real worker on a real server: strangers in one room send the agent generated
// bad typed messages (lk.chat), "Say this" requests (avatar.say) and data streams, some of them in
// floods, while a person in another room keeps talking to their agent. Every bad input is refused with
// one log line naming the reason and the room (or an RPC error with the reason); floods cost one line
// per window; the worker and both job processes stay up; the healthy room's agent answers throughout,
// and the attacked one still speaks afterwards. The avatar worker gets bad audio streams the same way.
import { dispose, type RemoteParticipant, type Room, RpcError, Room as RtcRoom } from '@livekit/rtc-node';
import { AgentDispatchClient, RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { joinToken } from '../scripts/lib/tokens.ts';
import { avatarDispatchMetadata, avatarIdentityFor } from '../src/avatar/remote/dispatch.ts';
import { AUDIO_STREAM_TOPIC, RPC_CLEAR_BUFFER, RPC_PLAYBACK_FINISHED } from '../src/avatar/remote/protocol.ts';
import { SAY_MAX_CHARS, SAY_RATE, SAY_RPC_METHOD } from '../src/say_rpc.ts';
import { CHAT_MAX_BYTES, CHAT_MAX_CHARS, CHAT_RATE, CHAT_STREAM_TIMEOUT_MS, CHAT_TOPIC } from '../src/text_input.ts';
import { FIXTURE_API_KEY, type OpenAIFixture, startOpenAIFixture } from './fixtures/openai_fixture.ts';
import { Arrivals } from './helpers/arrivals.ts';
import { ACCEPTED_TEXTS, EMPTY, refusedTexts, type TextCase, UNPRINTABLE_CHARS } from './helpers/bad_inputs.ts';
import {
  joinRoom,
  Transcripts,
  uniqueRoom,
  waitForAgent,
  waitForAttribute,
  waitForParticipant,
} from './helpers/participant.ts';
import { type RunningWorker, startAvatarWorker, startWorker } from './helpers/worker.ts';

const livekit = inject('livekit');
const AGENT_JOIN_MS = 60_000;
/** How long the healthy room's agent may take to speak a requested sentence while the other room is under attack. */
const HEALTHY_SAY_BOUND_MS = 20_000;
/** Pause between the healthy room's requests: within its own "Say this" rate. */
const HEALTHY_PROBE_EVERY_MS = (SAY_RATE.windowMs / SAY_RATE.requests) * 1.5;
/** Attackers at work at once; each sends no more than its rate allows in one window. */
const ATTACKERS_AT_ONCE = 6;
const FLOOD = 100;
const REPLY = 'Noted.';
const LOG_WAIT_MS = 30_000;
/** RoomIO's attribute for the agent's state; `listening` once its session has started. */
const AGENT_STATE_ATTRIBUTE = 'lk.agent.state';
const READY_RETRY_MS = 200;
/** The measuring renderer at a small size: the attack, not the drawing, is under test. */
const SMALL_AVATAR = { AVATAR_RENDERER: 'mouth-block', AVATAR_WIDTH: '128', AVATAR_HEIGHT: '128' };

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

let fixture: OpenAIFixture;
let worker: RunningWorker;
let avatarWorker: RunningWorker;
const rooms: Room[] = [];

/** A participant that sends but does not watch: no media to decode. */
async function joinQuietly(name: string, identity: string, dispatch?: string): Promise<Room> {
  const room = new RtcRoom();
  const token = await joinToken(livekit, {
    room: name,
    identity,
    ttl: '10m',
    ...(dispatch && { dispatch: { agentName: dispatch } }),
  });
  await room.connect(livekit.url, token, { autoSubscribe: false, dynacast: false });
  rooms.push(room);
  return room;
}

interface LogLine {
  room?: string;
  participant?: string;
  msg: string;
  pid?: number;
  level?: number;
}

function parsed(lines: string[]): LogLine[] {
  const out: LogLine[] = [];
  for (const line of lines) {
    try {
      out.push(JSON.parse(line) as LogLine);
    } catch {
      // Not one of the JSON log lines (a child's plain output).
    }
  }
  return out;
}

/** The worker's lines about `room` (and `participant`), parsed. */
const roomLines = (w: RunningWorker, room: string, participant?: string) =>
  parsed(w.lines(new RegExp(`"room":"${room}"`))).filter(
    (l) => l.room === room && (participant === undefined || l.participant === participant),
  );

const CHAT_REFUSED = 'chat message ignored: ';
const SAY_REFUSED = 'say refused: ';

/** One expected refusal line: which channel, and the reason. */
interface Refusal {
  prefix: string;
  reason: RegExp;
  what: string;
}

/**
 * Waits until `participant` has exactly as many refusal lines as expected, then pairs each expectation
 * with a line of its own whose reason matches.
 */
async function expectRefusals(room: string, participant: string, expected: Refusal[]): Promise<void> {
  const isRefusal = (l: LogLine) => l.msg.startsWith(CHAT_REFUSED) || l.msg.startsWith(SAY_REFUSED);
  const pattern = new RegExp(`"room":"${room}".*"participant":"${participant}".*(chat message ignored|say refused)`);
  await worker.waitForLines(pattern, expected.length, LOG_WAIT_MS);
  const lines = roomLines(worker, room, participant).filter(isRefusal);
  const unmatched = [...lines];
  for (const e of expected) {
    const at = unmatched.findIndex((l) => l.msg.startsWith(e.prefix) && e.reason.test(l.msg.slice(e.prefix.length)));
    expect(
      at,
      `${e.what}: no line "${e.prefix}${e.reason.source}" among ${JSON.stringify(unmatched.map((l) => l.msg))}`,
    ).toBeGreaterThanOrEqual(0);
    unmatched.splice(at, 1);
  }
  expect(unmatched.map((l) => l.msg)).toEqual([]);
}

/** The RpcError message of a refused call, or "accepted". */
const rpcOutcome = (room: Room, agent: string, method: string, payload: string) =>
  (room.localParticipant as NonNullable<Room['localParticipant']>)
    .performRpc({ destinationIdentity: agent, method, payload })
    .then(
      () => 'accepted',
      (err: unknown) => (err instanceof RpcError ? `${err.code}: ${err.message}` : `not an RpcError: ${String(err)}`),
    );

/**
 * Resolves once `agent` has said `text` on request: its session is up and takes "Say this" and chat.
 * The agent joins before its session starts and registers the RPC a moment after it reports its state,
 * and nothing announces that moment: until then the request is refused as unsupported, and repeated.
 */
async function ready(room: Room, agent: RemoteParticipant, heard: Transcripts, text: string): Promise<void> {
  await waitForAttribute(agent, room, AGENT_STATE_ATTRIBUTE, AGENT_JOIN_MS, (s) => s === 'listening');
  const unsupported = `${RpcError.ErrorCode.UNSUPPORTED_METHOD}: `;
  const giveUp = performance.now() + AGENT_JOIN_MS;
  let outcome = await rpcOutcome(room, agent.identity, SAY_RPC_METHOD, text);
  while (outcome.startsWith(unsupported) && performance.now() < giveUp) {
    await new Promise((resolve) => setTimeout(resolve, READY_RETRY_MS));
    outcome = await rpcOutcome(room, agent.identity, SAY_RPC_METHOD, text);
  }
  expect(outcome).toBe('accepted');
  await heard.waitFor(agent.identity, (t) => t.includes(text), HEALTHY_SAY_BOUND_MS);
}

beforeAll(async () => {
  fixture = await startOpenAIFixture({ reply: () => REPLY, transcript: () => '' });
  worker = await startWorker(livekit, {
    OPENAI_API_KEY: FIXTURE_API_KEY,
    OPENAI_BASE_URL: fixture.baseURL,
    AGENT_GREETING: '',
    TURN_DETECTION: 'vad',
    ...SMALL_AVATAR,
  });
  await worker.processesReady(1);
}, 180_000);

afterAll(async () => {
  await Promise.all(rooms.splice(0).map((r) => r.disconnect()));
  await worker?.stop();
  await avatarWorker?.stop();
  await fixture?.close();
  await dispose();
});

describe('an agent under attack in one room, a healthy conversation in another', () => {
  test('every bad input is refused with a reason; nothing crashes; the healthy room is answered throughout', async () => {
    const attackRoom = uniqueRoom('attacked');
    const healthyRoom = uniqueRoom('healthy');
    const attackStart = worker.logs().length;

    // The healthy room: a person who listens to the agent's speech (its transcript follows the audio).
    const person = await joinRoom(livekit, { room: healthyRoom, dispatch: { agentName: worker.agentName } });
    rooms.push(person);
    const heard = new Transcripts(person);
    // The attacked room: someone the agent serves, and the strangers who come and go.
    const victim = await joinQuietly(attackRoom, `victim-${crypto.randomUUID().slice(0, 6)}`, worker.agentName);
    const victimHeard = new Transcripts(victim);
    const [healthyAgent, attackedAgent] = await Promise.all([
      waitForAgent(person, AGENT_JOIN_MS),
      waitForAgent(victim, AGENT_JOIN_MS),
    ]);
    // An agent is in the room before its session has started and taken its RPC and chat: both must be
    // ready, or the first requests are refused for that rather than for what they are.
    await Promise.all([
      ready(person, healthyAgent, heard, 'Ready in the healthy room.'),
      ready(victim, attackedAgent, victimHeard, 'Ready in the attacked room.'),
    ]);

    // The healthy conversation goes on for as long as the attack lasts.
    let attacking = true;
    const probes: number[] = [];
    const probing = (async () => {
      for (let n = 1; attacking || n <= 2; n++) {
        const text = `Healthy probe number ${n}.`;
        const sent = performance.now();
        expect(await rpcOutcome(person, healthyAgent.identity, SAY_RPC_METHOD, text)).toBe('accepted');
        await heard.waitFor(healthyAgent.identity, (t) => t.includes(text), HEALTHY_SAY_BOUND_MS);
        probes.push(performance.now() - sent);
        await new Promise((resolve) => setTimeout(resolve, HEALTHY_PROBE_EVERY_MS));
      }
    })();

    try {
      const agent = attackedAgent.identity;
      // --- refused typed messages and "Say this" texts, spread over strangers within their rates
      const chatCases: { send: (r: Room) => Promise<unknown>; refusal: Refusal }[] = [
        ...refusedTexts(CHAT_MAX_CHARS),
        ...UNPRINTABLE_CHARS.map(
          ([c, what]): TextCase => ({ name: `${what} alone`, text: c, expect: { refused: EMPTY } }),
        ),
      ].map((c) => ({
        send: (r) => r.localParticipant?.sendText(c.text, { topic: CHAT_TOPIC }) as Promise<unknown>,
        refusal: { prefix: CHAT_REFUSED, reason: (c.expect as { refused: RegExp }).refused, what: `chat: ${c.name}` },
      }));
      const streamChat = async (r: Room, chunks: string[], close = true) => {
        const writer = await r.localParticipant?.streamText({ topic: CHAT_TOPIC });
        for (const chunk of chunks) await writer?.write(chunk);
        if (close) await writer?.close();
      };
      const bytesTo = async (r: Room, topic: string, bytes: number) => {
        const writer = await r.localParticipant?.streamBytes({ topic, name: 'file.bin' });
        for (let sent = 0; sent < bytes; sent += 16_384)
          await writer?.write(new Uint8Array(Math.min(16_384, bytes - sent)));
        await writer?.close();
      };
      // Refused from its declared size when it has one, else as it grows past the limit.
      const overBytes = new RegExp(
        `^the message is (\\d+ bytes; the limit is ${CHAT_MAX_BYTES}|over ${CHAT_MAX_BYTES} bytes)$`,
      );
      const stillOpen = new RegExp(`^the stream was still open after ${CHAT_STREAM_TIMEOUT_MS / 1000} s$`);
      const byteStream = /^sent as a byte stream; lk\.chat takes text streams$/;
      chatCases.push(
        {
          send: (r) => r.localParticipant?.sendText('x'.repeat(100_000), { topic: CHAT_TOPIC }) as Promise<unknown>,
          refusal: { prefix: CHAT_REFUSED, reason: overBytes, what: 'a 100 KB message' },
        },
        {
          send: (r) => r.localParticipant?.sendText('ab'.repeat(1 << 20), { topic: CHAT_TOPIC }) as Promise<unknown>,
          refusal: { prefix: CHAT_REFUSED, reason: overBytes, what: 'a 2 MB message' },
        },
        {
          send: (r) =>
            streamChat(
              r,
              Array.from({ length: 64 }, () => 'z'.repeat(1024)),
            ),
          refusal: { prefix: CHAT_REFUSED, reason: overBytes, what: 'a 64 KB stream of unknown size' },
        },
        {
          send: (r) => streamChat(r, ['Hello, are you'], false),
          refusal: { prefix: CHAT_REFUSED, reason: stillOpen, what: 'a stream left open' },
        },
        {
          send: (r) => streamChat(r, [], false),
          refusal: { prefix: CHAT_REFUSED, reason: stillOpen, what: 'an empty stream left open' },
        },
        {
          send: (r) => bytesTo(r, CHAT_TOPIC, 100),
          refusal: { prefix: CHAT_REFUSED, reason: byteStream, what: 'a byte stream on lk.chat' },
        },
        {
          send: (r) => bytesTo(r, CHAT_TOPIC, 1 << 20),
          refusal: { prefix: CHAT_REFUSED, reason: byteStream, what: 'a 1 MB byte stream on lk.chat' },
        },
      );
      const sayCases: { payload: string; method?: string; reason: RegExp; logged: boolean; what: string }[] =
        refusedTexts(SAY_MAX_CHARS).map((c) => ({
          payload: c.text,
          reason: (c.expect as { refused: RegExp }).refused,
          logged: true,
          what: `say: ${c.name}`,
        }));
      sayCases.push(
        // Refused before they reach the agent's handler, still with a reason.
        {
          payload: 'Hi.',
          method: 'avatar.Say',
          reason: /Method not supported/i,
          logged: false,
          what: 'a method in the wrong case',
        },
        {
          payload: 'Hi.',
          method: `${SAY_RPC_METHOD} `,
          reason: /Method not supported/i,
          logged: false,
          what: 'a method with a space',
        },
        {
          payload: 'Hi.',
          method: 'avatar.shutdown',
          reason: /Method not supported/i,
          logged: false,
          what: 'a method that does not exist',
        },
        {
          payload: 'x'.repeat(20_000),
          reason: new RegExp(`^the text is 20000 characters; the limit is ${SAY_MAX_CHARS}$`),
          logged: true,
          what: 'a 20 KB payload',
        },
      );

      const perAttacker = Math.max(
        Math.ceil(chatCases.length / CHAT_RATE.requests),
        Math.ceil(sayCases.length / SAY_RATE.requests),
      );
      const rpcResults: { what: string; outcome: string; reason: RegExp }[] = [];
      const attack = async (i: number) => {
        const identity = `stranger-${i}-${crypto.randomUUID().slice(0, 4)}`;
        const room = await joinQuietly(attackRoom, identity);
        await waitForParticipant(room, (p) => p.identity === agent, 10_000, 'the attacked agent');
        const chats = chatCases.slice(i * CHAT_RATE.requests, (i + 1) * CHAT_RATE.requests);
        const says = sayCases.slice(i * SAY_RATE.requests, (i + 1) * SAY_RATE.requests);
        await Promise.all([
          ...chats.map((c) => c.send(room)),
          ...says.map(async (s) => {
            const outcome = await rpcOutcome(room, agent, s.method ?? SAY_RPC_METHOD, s.payload);
            rpcResults.push({ what: s.what, outcome, reason: s.reason });
          }),
        ]);
        await expectRefusals(attackRoom, identity, [
          ...chats.map((c) => c.refusal),
          ...says.filter((s) => s.logged).map((s) => ({ prefix: SAY_REFUSED, reason: s.reason, what: s.what })),
        ]);
        await room.disconnect();
      };
      for (let first = 0; first < perAttacker; first += ATTACKERS_AT_ONCE) {
        const batch = Array.from({ length: Math.min(ATTACKERS_AT_ONCE, perAttacker - first) }, (_, k) => first + k);
        await Promise.all(batch.map(attack));
      }
      expect(rpcResults).toHaveLength(sayCases.length);
      for (const r of rpcResults) {
        expect(r.outcome, r.what).not.toBe('accepted');
        expect(r.outcome.replace(/^\d+: /, ''), r.what).toMatch(r.reason);
      }

      // --- floods: one log line per window, however many messages
      const flooder = `flooder-${crypto.randomUUID().slice(0, 4)}`;
      const flood = await joinQuietly(attackRoom, flooder);
      await waitForParticipant(flood, (p) => p.identity === agent, 10_000, 'the attacked agent');
      const floodRpcs = await Promise.all(
        Array.from({ length: FLOOD }, () => rpcOutcome(flood, agent, SAY_RPC_METHOD, ' ')),
      );
      for (let i = 0; i < FLOOD; i++) await flood.localParticipant?.sendText('\u200B', { topic: CHAT_TOPIC });
      const times = (count: number, refusal: Refusal) => Array.from({ length: count }, () => refusal);
      await expectRefusals(attackRoom, flooder, [
        ...times(CHAT_RATE.requests, { prefix: CHAT_REFUSED, reason: EMPTY, what: 'flooded chat' }),
        {
          prefix: CHAT_REFUSED,
          reason: new RegExp(`^too many messages; at most ${CHAT_RATE.requests} every ${CHAT_RATE.windowMs / 1000} s`),
          what: 'chat over the rate',
        },
        ...times(SAY_RATE.requests, { prefix: SAY_REFUSED, reason: EMPTY, what: 'flooded say' }),
        {
          prefix: SAY_REFUSED,
          reason: new RegExp(`^too many requests; at most ${SAY_RATE.requests} every ${SAY_RATE.windowMs / 1000} s`),
          what: 'say over the rate',
        },
      ]);
      expect(floodRpcs.filter((o) => /the text is empty$/.test(o))).toHaveLength(SAY_RATE.requests);
      expect(floodRpcs.filter((o) => /: too many requests; at most \d+ every \d+ s$/.test(o))).toHaveLength(
        FLOOD - SAY_RATE.requests,
      );

      // --- a sender who leaves in the middle of a message
      const leaver = `leaver-${crypto.randomUUID().slice(0, 4)}`;
      const leaving = await joinQuietly(attackRoom, leaver);
      await waitForParticipant(leaving, (p) => p.identity === agent, 10_000, 'the attacked agent');
      const half = await leaving.localParticipant?.streamText({ topic: CHAT_TOPIC });
      await half?.write('I was about to say');
      await leaving.disconnect();
      await expectRefusals(attackRoom, leaver, [
        {
          prefix: CHAT_REFUSED,
          reason: /^the stream (broke off|was still open)/,
          what: 'a message cut off by its sender leaving',
        },
      ]);

      // --- streams on topics nobody handles: dropped by rtc-node with its own line
      const topics = ['lk.unknown', 'lk.audio_stream', '', '../../etc/passwd', 'x'.repeat(300)].map(
        (t, i) => `${t}${i}`,
      );
      for (const topic of topics) await flood.localParticipant?.sendText('hello', { topic });
      await bytesTo(flood, 'lk.giant-unknown', 4 << 20);
      for (const topic of [...topics, 'lk.giant-unknown']) {
        await worker.waitForLog(
          new RegExp(`ignoring incoming (text|byte) stream due to no handler for topic: ${escapeRegExp(topic)}"`),
          LOG_WAIT_MS,
        );
      }
      await flood.disconnect();

      // --- texts that are only unusual: taken, cleaned, answered or said exactly as cleaned
      const polite = await joinQuietly(attackRoom, `polite-${crypto.randomUUID().slice(0, 4)}`);
      await waitForParticipant(polite, (p) => p.identity === agent, 10_000, 'the attacked agent');
      for (const c of ACCEPTED_TEXTS.slice(0, CHAT_RATE.requests)) {
        const cleaned = (c.expect as { accepted: string }).accepted;
        await polite.localParticipant?.sendText(c.text, { topic: CHAT_TOPIC });
        await fixture.waitFor(
          (r) =>
            r.path === '/v1/chat/completions' &&
            (r.body.messages as { role: string; content: unknown }[]).some(
              (m) => m.role === 'user' && m.content === cleaned,
            ),
          LOG_WAIT_MS,
        );
      }
      for (const c of ACCEPTED_TEXTS.slice(0, SAY_RATE.requests)) {
        const cleaned = (c.expect as { accepted: string }).accepted;
        expect(await rpcOutcome(polite, agent, SAY_RPC_METHOD, c.text)).toBe('accepted');
        await fixture.waitFor((r) => r.path === '/v1/audio/speech' && r.body.input === cleaned, LOG_WAIT_MS);
      }
      // The prompt stayed the agent's: typed JSON with a role is the user's text, not a system message.
      const chats = fixture.requests.filter((r) => r.path === '/v1/chat/completions');
      for (const r of chats) {
        const system = (r.body.messages as { role: string; content: unknown }[]).filter((m) => m.role === 'system');
        expect(JSON.stringify(system)).not.toContain('obey me');
      }
      await polite.disconnect();
    } finally {
      attacking = false;
    }
    await probing;

    // The attacked agent is still there, in the same job process, and still speaks.
    expect(victim.remoteParticipants.has(attackedAgent.identity)).toBe(true);
    expect(await rpcOutcome(victim, attackedAgent.identity, SAY_RPC_METHOD, 'Still here after all that.')).toBe(
      'accepted',
    );
    await victimHeard.waitFor(
      attackedAgent.identity,
      (t) => t.includes('Still here after all that.'),
      HEALTHY_SAY_BOUND_MS,
    );
    const pids = new Set(
      roomLines(worker, attackRoom)
        .map((l) => l.pid)
        .filter((p) => p !== undefined),
    );
    expect(pids.size).toBe(1);
    for (const pid of pids) expect(() => process.kill(pid as number, 0)).not.toThrow();
    expect(worker.process.exitCode).toBeNull();
    expect((await fetch(worker.healthUrl)).status).toBe(200);

    // The healthy room was answered all along.
    expect(probes.length).toBeGreaterThanOrEqual(3);
    console.log(
      `healthy room: ${probes.length} requests spoken during the attack, slowest ${Math.max(...probes).toFixed(0)} ms`,
    );

    // No stack trace and no error-level line came out of any of it, in either room.
    const ours = worker.lines(new RegExp(`"room":"(${attackRoom}|${healthyRoom})"`));
    expect(ours.filter((l) => l.includes('"stack"'))).toEqual([]);
    expect(
      parsed(ours)
        .filter((l) => (l.level ?? 0) >= 50)
        .map((l) => l.msg),
    ).toEqual([]);
    // Plain-text output (a stack trace printed outside the logger) neither.
    expect(worker.logs().slice(attackStart)).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  }, 150_000);
});

describe('the avatar worker under bad audio streams', () => {
  test('each bad stream is refused with one line naming the room; the avatar still plays good audio', async () => {
    avatarWorker = await startAvatarWorker(livekit, SMALL_AVATAR);
    await avatarWorker.processesReady(1);
    const room = uniqueRoom('avatar-attacked');
    const agentIdentity = `raw-agent-${crypto.randomUUID().slice(0, 4)}`;
    const agent = await joinQuietly(room, agentIdentity);
    const finished = new Arrivals<string>();
    agent.localParticipant?.registerRpcMethod(RPC_PLAYBACK_FINISHED, async ({ payload }) => {
      finished.push(payload);
      return 'ok';
    });
    agent.localParticipant?.registerRpcMethod('lk.playback_started', async () => 'ok');
    await new AgentDispatchClient(livekit.url, livekit.apiKey, livekit.apiSecret).createDispatch(
      room,
      avatarWorker.agentName,
      { metadata: avatarDispatchMetadata(agentIdentity) },
    );
    const avatarIdentity = avatarIdentityFor(agentIdentity);
    await waitForParticipant(agent, (p) => p.identity === avatarIdentity, AGENT_JOIN_MS, 'the avatar');
    await avatarWorker.waitForLog(new RegExp(`"room":"${room}".*avatar serving agent`), AGENT_JOIN_MS);

    const send = async (from: Room, attributes: Record<string, string>, bytes: number) => {
      const writer = await from.localParticipant?.streamBytes({
        topic: AUDIO_STREAM_TOPIC,
        destinationIdentities: [avatarIdentity],
        attributes,
      });
      await writer?.write(new Uint8Array(bytes));
      await writer?.close();
    };
    const mono = (rate: string) => ({ sample_rate: rate, num_channels: '1' });
    const bad: [string, Record<string, string>, RegExp][] = [
      ['no attributes', {}, /without sample_rate/],
      ['no channel count', { sample_rate: '24000' }, /without sample_rate/],
      ['a word for a rate', mono('fast'), /sample_rate "fast"/],
      ['a zero rate', mono('0'), /sample_rate "0"/],
      ['a negative rate', mono('-24000'), /sample_rate "-24000"/],
      ['a fractional rate', mono('24000.5'), /sample_rate "24000.5"/],
      ['an absurd rate', mono('1e9'), /sample_rate "1e9"/],
      ['NaN', mono('NaN'), /sample_rate "NaN"/],
      ['a 10 KB rate', mono('9'.repeat(10_000)), /sample_rate "9{20}"/],
      ['an empty rate', mono(''), /sample_rate ""/],
      ['no channels', { sample_rate: '24000', num_channels: '0' }, /num_channels "0"/],
      ['three channels', { sample_rate: '24000', num_channels: '3' }, /num_channels "3"/],
      ['a word for channels', { sample_rate: '24000', num_channels: 'stereo' }, /num_channels "stereo"/],
    ];
    const refusedLine = new RegExp(`"room":"${room}".*; refused"`);
    for (const [i, [what, attributes, reason]] of bad.entries()) {
      const before = finished.items.length;
      await send(agent, attributes, 4800);
      const line = await avatarWorker.waitForLines(refusedLine, i + 1, LOG_WAIT_MS);
      expect(JSON.parse(line).msg, what).toMatch(new RegExp(`${reason.source}.*; refused$`));
      // Reported finished, so an agent does not wait for audio that will not play.
      expect(JSON.parse(await finished.waitFor((_, i) => i === before))).toMatchObject({ interrupted: true });
    }
    const refusals = roomLines(avatarWorker, room).filter((l) => /; refused$/.test(l.msg));
    expect(refusals).toHaveLength(bad.length);

    // Someone the avatar does not serve: their stream and their clear are refused, with a line each.
    const stranger = await joinQuietly(room, `stranger-${crypto.randomUUID().slice(0, 4)}`);
    await waitForParticipant(stranger, (p) => p.identity === avatarIdentity, 10_000, 'the avatar');
    await send(stranger, mono('24000'), 4800);
    await avatarWorker.waitForLog(
      new RegExp(`"room":"${room}".*audio stream from a participant this avatar does not serve`),
      LOG_WAIT_MS,
    );
    const answer = await stranger.localParticipant?.performRpc({
      destinationIdentity: avatarIdentity,
      method: RPC_CLEAR_BUFFER,
      payload: 'now',
    });
    expect(answer).toBe('reject');
    await avatarWorker.waitForLog(
      new RegExp(`"room":"${room}".*lk.clear_buffer from a participant this avatar does not serve`),
      LOG_WAIT_MS,
    );

    // An odd byte count plays the whole samples and says so.
    const before = finished.items.length;
    await send(agent, mono('24000'), 24_000 * 2 * 0.3 + 1);
    await avatarWorker.waitForLog(new RegExp(`"room":"${room}".*inside a sample frame`), LOG_WAIT_MS);
    const played = JSON.parse(await finished.waitFor((_, i) => i === before)) as {
      interrupted: boolean;
      playback_position: number;
    };
    expect(played.interrupted).toBe(false);
    expect(played.playback_position).toBeGreaterThan(0.25);

    // Dispatches the avatar cannot serve: refused, each with a line naming its room.
    const dispatches = new AgentDispatchClient(livekit.url, livekit.apiKey, livekit.apiSecret);
    const rooms = new RoomServiceClient(livekit.url, livekit.apiKey, livekit.apiSecret);
    for (const metadata of [
      'not json',
      '{"agent_identity":42}',
      '{"agent_identity":"a","avatar_identity":"a"}',
      '[]',
    ]) {
      const name = uniqueRoom('avatar-bad-dispatch');
      await rooms.createRoom({ name });
      await dispatches.createDispatch(name, avatarWorker.agentName, { metadata });
      const line = await avatarWorker.waitForLog(new RegExp(`"room":"${name}".*dispatch refused`), LOG_WAIT_MS);
      expect(JSON.parse(line).msg).toMatch(/^avatar dispatch metadata .*; dispatch refused$/);
      await rooms.deleteRoom(name);
    }
    expect(avatarWorker.process.exitCode).toBeNull();
    expect((await fetch(avatarWorker.healthUrl)).status).toBe(200);
    const attacked = new RegExp(`"room":"(${room}|avatar-bad-dispatch-[0-9a-f]+)"`);
    expect(avatarWorker.lines(attacked).filter((l) => l.includes('"stack"'))).toEqual([]);
  }, 120_000);
});
