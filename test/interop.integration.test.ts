// Interop with LiveKit's own Python agents (PyPI livekit-agents, test/interop/requirements.txt), both
// ways, on a real server: Python's DataStreamAudioOutput drives our avatar worker, and our agent drives
// Python's DataStreamAudioReceiver + AvatarRunner. The Python side runs as real processes from the
// interop venv (scripts/lib/python_interop.ts); without python3 these tests skip and say why.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dispose, type RemoteParticipant, type Room, TrackKind } from '@livekit/rtc-node';
import { AgentDispatchClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { ensureInteropPython, INTEROP_DIR, INTEROP_PYTHON_ENV, usablePython3 } from '../scripts/lib/python_interop.ts';
import { avatarDispatchMetadata, avatarIdentityFor } from '../src/avatar/remote/dispatch.ts';
import { PUBLISH_ON_BEHALF_ATTRIBUTE } from '../src/avatar/remote/protocol.ts';
import { SAY_RPC_METHOD } from '../src/say_rpc.ts';
import { FIXTURE_API_KEY, type OpenAIFixture, startOpenAIFixture } from './fixtures/openai_fixture.ts';
import { quietFrom } from './helpers/av_analysis.ts';
import { AvRecorder, epochNow } from './helpers/av_recorder.ts';
import {
  isAgent,
  joinRoom,
  sendChat,
  Transcripts,
  uniqueRoom,
  waitForAttribute,
  waitForParticipant,
} from './helpers/participant.ts';
import { type RunningWorker, startAvatarWorker, startWorker } from './helpers/worker.ts';

const livekit = inject('livekit');
const preparedPython = process.env[INTEROP_PYTHON_ENV];
const pythonAvailable = Boolean(preparedPython) || usablePython3();
if (!pythonAvailable) {
  console.warn(
    'interop.integration: SKIPPED: no python3 with venv and pip on this machine, so LiveKit’s Python agents ' +
      'cannot run against ours (install python3 and python3-venv to run these tests)',
  );
}

const FPS = 30;
const FRAME_SECONDS = 1 / FPS;
const SILENT_RMS = 300;
/** AvRecorder's audio samples are 10 ms frames. */
const AUDIO_SAMPLE_MS = 10;
/** More sound than a cleared segment's tail can leave in the subscriber's jitter buffer: a new segment. */
const NEW_SPEECH_MS = 1000;
const MOUTH_AT_REST = 0.08;
/** Clearly open: the mouth-block renderer opens well past this on the tone's loudness. */
const MOUTH_OPEN = 0.3;
/**
 * How soon after the clear the avatar must be silent and at rest. Generous: on 2 shared cores it took
 * up to 420 ms (the subscriber's jitter buffer grows when the avatar's job is starved), where the rest
 * of the segment would go on for seconds.
 */
const QUIET_WITHIN_MS = 1000;
const QUIET_WINDOW_MS = 2000;
const PYTHON_STOP_GRACE_MS = 5000;
const PY_EVENT_TIMEOUT_MS = 30_000;
const ERROR_TAIL_LINES = 15;
/** Below one lk.playback_started RPC timeout (5 s) of our receiver, above any scheduling noise. */
const REFUSED_REPORT_SLACK_S = 4;
const PY_AGENT = 'py-agent';
/** Audio played but not yet heard at the subscriber (its jitter buffer, the network), generously. */
const IN_FLIGHT_SLACK_S = 1;
/** How much of a segment is heard before it is interrupted. */
const HEARD_BEFORE_CUT_MS = 1000;
/**
 * The avatar has played at least what the subscriber heard, less this: the tone's first and last 10 ms
 * frames straddle the silence threshold, and the report may round down to one of Python's 100 ms frames.
 */
const HEARD_VS_PLAYED_SLACK_S = 0.2;
/** No worker registers this name: the agent's avatar dispatch stays unanswered, and Python's receiver joins instead. */
const UNSERVED_AVATAR_WORKER = `interop-unserved-${crypto.randomUUID().slice(0, 8)}`;

let python: string;
const rooms: Room[] = [];
const pythons: PythonProcess[] = [];

interface PyEvent {
  event: string;
  /** Wall clock, seconds since the epoch. */
  t: number;
  [field: string]: unknown;
}

/** One of test/interop/*.py: JSON-line events in, optional JSON commands out, its own process group. */
class PythonProcess {
  readonly events: PyEvent[] = [];
  #stderr = '';
  #listeners = new Set<() => void>();
  /** Exited, with all its output read. */
  #closed = false;
  #stopped = false;
  readonly #exited: Promise<unknown>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    let partial = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        try {
          this.events.push(JSON.parse(line) as PyEvent);
        } catch {
          this.#stderr += `(stdout) ${line}\n`;
        }
      }
      for (const listener of this.#listeners) listener();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr += chunk.toString();
    });
    // A command to a process that has died fails here; waitFor reports the death itself, with its output.
    child.stdin?.on('error', () => {});
    this.#exited = once(child, 'close');
    child.on('close', () => {
      this.#closed = true;
      for (const listener of this.#listeners) listener();
    });
  }

  static start(script: string, args: string[]): PythonProcess {
    const child = spawn(python, [join(INTEROP_DIR, script), ...args], {
      // Bytecode would land in test/interop/, inside the repository.
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      // Its own process group: stopping it reaps whatever the SDK started.
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const proc = new PythonProcess(script, child);
    pythons.push(proc);
    return proc;
  }

  send(command: Record<string, unknown>): void {
    this.child.stdin?.write(`${JSON.stringify(command)}\n`);
  }

  /** Resolves with the first event (already seen or to come) named `event` that passes `match`. */
  waitFor(event: string, match: (e: PyEvent) => boolean = () => true, timeoutMs = PY_EVENT_TIMEOUT_MS) {
    const find = () => this.events.find((e) => e.event === event && match(e));
    return new Promise<PyEvent>((resolve, reject) => {
      const check = () => {
        const found = find();
        if (found) {
          finish();
          resolve(found);
        } else if (this.#closed) {
          finish();
          reject(new Error(`${this.name} exited before "${event}":\n${this.#describe()}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${this.name}: no "${event}" within ${timeoutMs} ms:\n${this.#describe()}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.#listeners.delete(check);
      };
      this.#listeners.add(check);
      check();
    });
  }

  /** Its last events and stderr lines, for an error message; all of them for the log file. */
  #describe(lines = ERROR_TAIL_LINES): string {
    const events = this.events.map((e) => JSON.stringify(e)).slice(-lines);
    return `events:\n${events.join('\n')}\nstderr:\n${this.#stderr.split('\n').slice(-lines).join('\n')}`;
  }

  /** Asks it to leave (stdin closed), then ends its process group; its exit code is not the test's business. */
  async stop(): Promise<void> {
    // Once only: afterwards its group id may belong to someone else.
    if (this.#stopped) return;
    this.#stopped = true;
    if (!this.#closed) {
      this.child.stdin?.end();
      const grace = setTimeout(() => this.#signal('SIGTERM'), PYTHON_STOP_GRACE_MS);
      const kill = setTimeout(() => this.#signal('SIGKILL'), 2 * PYTHON_STOP_GRACE_MS);
      await this.#exited;
      clearTimeout(grace);
      clearTimeout(kill);
    }
    // Anything it forked and left behind.
    this.#signal('SIGKILL');
    // Kept after the run: the first thing to read when a test fails.
    const logFile = join(
      tmpdir(),
      `livekit-avatar-agent-interop-${this.name.replace('.py', '')}-${this.child.pid}.log`,
    );
    await writeFile(logFile, this.#describe(Number.POSITIVE_INFINITY)).catch(() => {});
  }

  #signal(signal: NodeJS.Signals): void {
    try {
      process.kill(-(this.child.pid as number), signal);
    } catch {
      // The group is gone already.
    }
  }
}

const connectionArgs = (room: string, identity: string) => [
  '--url',
  livekit.url,
  '--api-key',
  livekit.apiKey,
  '--api-secret',
  livekit.apiSecret,
  '--room',
  room,
  '--identity',
  identity,
];

/** Sound heard from `rec` after `after` (epoch ms). */
const soundAfter = (rec: AvRecorder, after: number, timeoutMs = 20_000) =>
  rec.waitForAudio((s) => s.at > after && s.rms > SILENT_RMS, timeoutMs);

/** Resolves once `ms` of sound in all has been heard from `rec` after `after` (epoch ms). */
function soundMsAfter(rec: AvRecorder, after: number, ms: number, timeoutMs = 20_000) {
  let heard = 0;
  // Each sample passes through once: first the ones recorded already, then each new one.
  return rec.waitForAudio((s) => {
    if (s.at > after && s.rms > SILENT_RMS) heard += AUDIO_SAMPLE_MS;
    return heard >= ms;
  }, timeoutMs);
}

beforeAll(async () => {
  if (!pythonAvailable) return;
  // Standalone (`npx vitest run test/interop.integration.test.ts`) no driver prepared the venv.
  const prepared = preparedPython ?? (await ensureInteropPython((line) => console.log(`python interop: ${line}`)));
  if (!prepared) throw new Error('python3 is usable but the interop venv could not be prepared');
  python = prepared;
}, 180_000);

afterAll(async () => {
  await Promise.all(pythons.splice(0).map((p) => p.stop()));
  await Promise.all(rooms.splice(0).map((r) => r.disconnect()));
  await dispose();
});

describe.skipIf(!pythonAvailable)('Python agent (DataStreamAudioOutput) → our avatar worker', () => {
  let avatarWorker: RunningWorker;
  /** Counts a segment as started only on the avatar's lk.playback_started, as LiveKit's hosted avatars do. */
  let main: PythonAgentRoom;
  /** The library default: no lk.playback_started handler (what plugin avatars use). */
  let plain: PythonAgentRoom;

  interface PythonAgentRoom {
    sender: PythonProcess;
    avatar: RemoteParticipant;
    rec: AvRecorder;
  }

  /** A room with a Python agent and our avatar dispatched for it, both seen by an observer. */
  async function pythonAgentRoom(identity: string, extraArgs: string[]): Promise<PythonAgentRoom> {
    const roomName = uniqueRoom('interop-py-agent');
    const observer = await joinRoom(livekit, { room: roomName });
    rooms.push(observer);
    await new AgentDispatchClient(livekit.url, livekit.apiKey, livekit.apiSecret).createDispatch(
      roomName,
      avatarWorker.agentName,
      { metadata: avatarDispatchMetadata(identity) },
    );
    // Streams only once the avatar's video is up: that is when a receiver is sure to be listening.
    const sender = PythonProcess.start('python_sender.py', [
      ...connectionArgs(roomName, identity),
      '--avatar-identity',
      avatarIdentityFor(identity),
      '--wait-remote-track',
      'video',
      ...extraArgs,
    ]);
    const avatar = await waitForParticipant(
      observer,
      (p) => p.identity === avatarIdentityFor(identity),
      30_000,
      `our avatar for ${identity}`,
    );
    const rec = new AvRecorder(observer, avatar);
    // Both the observer and the Python agent see the face before the first segment is sent.
    await Promise.all([rec.waitForFrames(1), sender.waitFor('avatar_track', (e) => e.kind === 'KIND_VIDEO')]);
    return { sender, avatar, rec };
  }

  /** Has `sender` say a tone of `seconds` and resolves with Python's wait_for_playout result once heard. */
  async function speakInFull({ sender, rec }: PythonAgentRoom, seconds: number, id: string) {
    const sentAt = epochNow();
    sender.send({ cmd: 'speak_tone', seconds, hz: 440, id });
    await sender.waitFor('speak_captured', (e) => e.id === id);
    sender.send({ cmd: 'wait_playout', id });
    const heard = await soundAfter(rec, sentAt);
    const playout = await sender.waitFor('playout', (e) => e.id === id);
    return { sentAt, heard, playout };
  }

  beforeAll(async () => {
    // One warm job process per room: the two rooms are set up side by side.
    avatarWorker = await startAvatarWorker(livekit, {
      AVATAR_RENDERER: 'mouth-block',
      AVATAR_FPS: String(FPS),
      WORKER_IDLE_PROCESSES: '2',
    });
    // Jobs given to processes still starting can time out on a busy 2-core host: the rooms wait for them.
    await avatarWorker.processesReady(2);
    [main, plain] = await Promise.all([
      pythonAgentRoom(PY_AGENT, ['--wait-playback-start']),
      pythonAgentRoom(`${PY_AGENT}-plain`, []),
    ]);
  });

  afterAll(async () => {
    await Promise.all([main?.rec.close(), plain?.rec.close()]);
    await Promise.all([main?.sender.stop(), plain?.sender.stop()]);
    await avatarWorker?.stop();
  });

  test('our avatar joins on the Python agent’s behalf', () => {
    expect(isAgent(main.avatar)).toBe(true);
    expect(main.avatar.attributes[PUBLISH_ON_BEHALF_ATTRIBUTE]).toBe(PY_AGENT);
    const kinds = [...main.avatar.trackPublications.values()].map((p) => p.kind);
    expect(kinds).toEqual(expect.arrayContaining([TrackKind.KIND_AUDIO, TrackKind.KIND_VIDEO]));
  });

  test('a segment is heard with the mouth moving, and Python’s playout reports it played in full', async () => {
    const seconds = 2;
    const { sentAt, heard, playout } = await speakInFull(main, seconds, 'full');
    const started = await main.sender.waitFor('playback_started', (e) => e.t * 1000 > sentAt);
    expect(started.via).toBe('rpc');
    console.log(`Python playout of a ${seconds} s segment: ${JSON.stringify(playout)}`);
    expect(playout.interrupted).toBe(false);
    expect(Math.abs((playout.position as number) - seconds)).toBeLessThanOrEqual(FRAME_SECONDS);

    const { rec } = main;
    await rec.waitForFrames(rec.video.length + FPS / 2);
    const during = rec.video.filter((s) => s.at > heard.at && s.at < heard.at + seconds * 1000);
    const widest = Math.max(...during.map((s) => s.openness));
    console.log(`mouth while the Python agent spoke: ${during.length} frames, widest ${widest.toFixed(2)}`);
    expect(widest).toBeGreaterThan(MOUTH_OPEN);
  });

  // Sent at once, the segment is all queued at the avatar when the clear comes; sent at the pace of a
  // streaming TTS, its byte stream is still open, and Python closes it just before the clear.
  test.each([
    ['queued at the avatar', false],
    ['still streaming', true],
  ])(
    'an interruption mid-segment (%s): Python hears interrupted at a shorter position; the avatar goes silent',
    async (_, realtime) => {
      const { sender, rec } = main;
      const seconds = 4;
      const sentAt = epochNow();
      sender.send({ cmd: 'speak_tone', seconds, hz: 330, realtime, id: `cut-${realtime}` });
      await soundMsAfter(rec, sentAt, HEARD_BEFORE_CUT_MS);
      sender.send({ cmd: 'interrupt', id: `cut-${realtime}` });
      const sent = await sender.waitFor('interrupt_sent', (e) => e.id === `cut-${realtime}`);
      const playout = await sender.waitFor('playout', (e) => e.id === `cut-${realtime}`);
      expect(playout.interrupted).toBe(true);
      // A second of it was heard, so at least that much was played; but not the rest.
      expect(playout.position as number).toBeGreaterThan(HEARD_BEFORE_CUT_MS / 1000 - HEARD_VS_PLAYED_SLACK_S);
      expect(playout.position as number).toBeLessThan(seconds - 1);

      const clearedAt = sent.t * 1000;
      await rec.waitForFrames(rec.video.length + (QUIET_WINDOW_MS / 1000) * FPS);
      const until = clearedAt + QUIET_WINDOW_MS;
      const silentFrom = quietFrom(rec.audio, clearedAt, until, (s) => s.rms < SILENT_RMS);
      const restFrom = quietFrom(rec.video, clearedAt, until, (s) => s.openness < MOUTH_AT_REST);
      console.log(
        `Python interrupt at ${JSON.stringify(playout.position)} s → our avatar silent in ${((silentFrom ?? Number.NaN) - clearedAt).toFixed(0)} ms, mouth at rest in ${((restFrom ?? Number.NaN) - clearedAt).toFixed(0)} ms`,
      );
      expect(silentFrom).toBeDefined();
      expect(restFrom).toBeDefined();
      expect((silentFrom as number) - clearedAt).toBeLessThan(QUIET_WITHIN_MS);
      expect((restFrom as number) - clearedAt).toBeLessThan(QUIET_WITHIN_MS);

      // The next segment after the clear plays in full again.
      const again = (await speakInFull(main, 1, `again-${realtime}`)).playout;
      expect(again.interrupted).toBe(false);
      expect(Math.abs((again.position as number) - 1)).toBeLessThanOrEqual(FRAME_SECONDS);
      // Exactly one start and one finish per segment: a second finish would be taken as the next segment's.
      const count = (event: string) => sender.events.filter((e) => e.event === event).length;
      expect(count('playback_finished')).toBe(count('speak_started'));
      expect(count('playback_started')).toBe(count('speak_started'));
    },
  );

  test('a Python agent that does not take lk.playback_started (the library default) is served as well', async () => {
    const seconds = 1;
    const { sentAt, playout } = await speakInFull(plain, seconds, 'plain');
    expect(playout.interrupted).toBe(false);
    expect(Math.abs((playout.position as number) - seconds)).toBeLessThanOrEqual(FRAME_SECONDS);
    // Our avatar's reports go out in order: had it kept retrying the start report Python refuses, the
    // finish would have waited behind those retries.
    expect(playout.t - sentAt / 1000).toBeLessThan(seconds + REFUSED_REPORT_SLACK_S);
  });
});

describe.skipIf(!pythonAvailable)('our agent (AVATAR=remote) → Python avatar (DataStreamAudioReceiver)', () => {
  const REPLY = 'Of course. I have stopped, and here is my answer.';
  let fixture: OpenAIFixture;
  let agentWorker: RunningWorker;
  let receiver: PythonProcess;
  let room: Room;
  let agent: RemoteParticipant;
  let rec: AvRecorder;
  let transcripts: Transcripts;
  let pyAvatar: RemoteParticipant;

  const say = (text: string) =>
    room.localParticipant?.performRpc({ destinationIdentity: agent.identity, method: SAY_RPC_METHOD, payload: text });

  beforeAll(async () => {
    fixture = await startOpenAIFixture({ reply: () => REPLY, transcript: () => '' });
    agentWorker = await startWorker(livekit, {
      OPENAI_API_KEY: FIXTURE_API_KEY,
      OPENAI_BASE_URL: fixture.baseURL,
      AVATAR: 'remote',
      AVATAR_WORKER_NAME: UNSERVED_AVATAR_WORKER,
      TURN_DETECTION: 'vad',
    });
    // As for the avatar worker: the job goes to a process that is ready for it.
    await agentWorker.processesReady(1);
    const roomName = uniqueRoom('interop-py-avatar');
    room = await joinRoom(livekit, {
      room: roomName,
      dispatch: { agentName: agentWorker.agentName, metadata: JSON.stringify({ greeting: '' }) },
    });
    rooms.push(room);
    transcripts = new Transcripts(room);
    agent = await waitForParticipant(room, isAgent, 30_000, 'the agent');
    // The agent has dispatched its avatar worker, which no worker answers: Python's avatar stands in for it.
    await agentWorker.waitForLog(new RegExp(`"room":"${roomName}".*avatar worker dispatched`));
    receiver = PythonProcess.start('python_receiver.py', [
      ...connectionArgs(roomName, avatarIdentityFor(agent.identity)),
      '--sender-identity',
      agent.identity,
    ]);
    pyAvatar = await waitForParticipant(
      room,
      (p) => p.identity === avatarIdentityFor(agent.identity),
      30_000,
      'the Python avatar',
    );
    // Python's solid frames have no mouth to read.
    rec = new AvRecorder(room, pyAvatar, () => 0);
    await Promise.all([rec.waitForFrames(1), receiver.waitFor('track_published', (e) => e.kind === 'KIND_VIDEO')]);
    // A job took the warm process; on 2 cores its replacement's start-up would starve the first words.
    await agentWorker.processesReady(2);
  });

  afterAll(async () => {
    await rec?.close();
    await receiver?.stop();
    await agentWorker?.stop();
    await fixture?.close();
  });

  test('the Python avatar joins on our agent’s behalf', () => {
    expect(pyAvatar.attributes[PUBLISH_ON_BEHALF_ATTRIBUTE]).toBe(agent.identity);
    const kinds = [...pyAvatar.trackPublications.values()].map((p) => p.kind);
    expect(kinds).toEqual(expect.arrayContaining([TrackKind.KIND_AUDIO, TrackKind.KIND_VIDEO]));
  });

  test('the agent’s speech plays on the Python avatar, and its transcript completes with the playback', async () => {
    const text = 'Hello from the agent, spoken by a Python avatar.';
    const sentAt = epochNow();
    await say(text);
    await soundAfter(rec, sentAt);
    const opened = await receiver.waitFor('stream_opened');
    expect(opened.topic).toBe('lk.audio_stream');
    expect(opened.sender).toBe(agent.identity);
    expect(opened.attributes).toMatchObject({ num_channels: '1' });
    // The agent ends the transcript when Python reports the segment finished (lk.playback_finished).
    await transcripts.waitFor(agent.identity, (t) => t.includes(text));
    const finished = await receiver.waitFor('notify_playback_finished');
    expect(finished.interrupted).toBe(false);
    expect(await waitForAttribute(agent, room, 'lk.agent.state', 10_000, (s) => s === 'listening')).toBe('listening');
  });

  test('an interruption clears the Python avatar and the agent answers the new message', async () => {
    const long = 'The avatar keeps talking for a long while. '.repeat(6);
    const sentAt = epochNow();
    await say(long);
    const heard = await soundAfter(rec, sentAt);
    await soundMsAfter(rec, sentAt, HEARD_BEFORE_CUT_MS);

    const chatAt = epochNow();
    await sendChat(room, 'Stop, please.');
    const cleared = await receiver.waitFor('clear_buffer', (e) => e.t * 1000 > chatAt);
    const cut = await receiver.waitFor('notify_playback_finished', (e) => e.t >= cleared.t);
    expect(cut.interrupted).toBe(true);
    expect(cut.position as number).toBeGreaterThan(0);
    // Played up to the clear (plus what was on its way to the subscriber), not the whole long text.
    const heardForS = (cleared.t * 1000 - heard.at) / 1000;
    expect(cut.position as number).toBeLessThan(heardForS + IN_FLIGHT_SLACK_S);

    // The answer to the interrupting message is heard, and the agent comes back to listening after it.
    await fixture.waitFor((r) => r.path === '/v1/chat/completions' && JSON.stringify(r.body).includes('Stop, please.'));
    const reply = await receiver.waitFor('stream_opened', (e) => e.t > cleared.t);
    await soundMsAfter(rec, reply.t * 1000, NEW_SPEECH_MS);
    await transcripts.waitFor(agent.identity, (t) => t.includes(REPLY));
    expect(await waitForAttribute(agent, room, 'lk.agent.state', 10_000, (s) => s === 'listening')).toBe('listening');
  });
});
