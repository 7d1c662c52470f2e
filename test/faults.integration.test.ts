// Faults a deployment meets: the LiveKit server restarting under the worker, a job process dying, people
// leaving, and the worker being stopped (SIGTERM) while conversations run. The restarts happen on a
// livekit-server of this file's own, so the suite's server is never disturbed.
import { readFileSync } from 'node:fs';
import { dispose, type RemoteParticipant, type Room } from '@livekit/rtc-node';
import { RoomServiceClient, ServerError } from 'livekit-server-sdk';
import { afterAll, afterEach, beforeAll, describe, expect, inject, test } from 'vitest';
import {
  ensureServerBinary,
  freePorts,
  type RunningServer,
  type ServerPorts,
  startServer,
} from '../scripts/lib/livekit_server.ts';
import type { LiveKitConfig } from '../src/config.ts';
import { SAY_RPC_METHOD } from '../src/say_rpc.ts';
import { JOB_SHUTDOWN_TIMEOUT_MS } from '../src/worker_cli.ts';
import {
  FIXTURE_API_KEY,
  type OpenAIFixture,
  type RecordedRequest,
  startOpenAIFixture,
} from './fixtures/openai_fixture.ts';
import { AudioListener, joinRoom, uniqueRoom, waitForAgent, waitForLeave } from './helpers/participant.ts';
import { jobIdOf, type RunningWorker, servingWorker, startWorker } from './helpers/worker.ts';

const suiteServer = inject('livekit');
const OWN_KEYS = { apiKey: 'faultkey', apiSecret: `fault-secret-${crypto.randomUUID()}` };
const GREETING = 'Hello, I am the agent under test.';
/** From a room's dispatch to the agent in it, with a warm process waiting. */
const AGENT_JOIN_BOUND_MS = 30_000;
/** Sound (ms) that shows the agent's voice is arriving: a part of the greeting. */
const HEARD_MS = 400;
/** WORKER_DRAIN_TIMEOUT of the worker whose drain runs out (seconds). */
const SHORT_DRAIN_S = 3;
/** WORKER_DRAIN_TIMEOUT of the workers whose drain ends with the conversation (seconds). */
const LONG_DRAIN_S = 120;
/**
 * How long the worker waits for a job process to acknowledge a shutdown and exit. A closing worker can
 * wait that long: agents sends the shutdown to a spare process that may still be loading, which never sees it.
 */
const PROCESS_CLOSE_TIMEOUT_MS = JOB_SHUTDOWN_TIMEOUT_MS;
/** A job's own shutdown once asked: the session ends, the room is left, the process exits. */
const JOB_CLOSE_BOUND_MS = 20_000;
/**
 * A job whose server crashed: rtc-node tries to resume the connection first (to the restarted server,
 * which has lost the room), so the job takes longer to end than one asked to.
 */
const CUT_JOB_BOUND_MS = 60_000;
/** From the end of the drain to the worker's exit. */
const CLOSE_BOUND_MS = PROCESS_CLOSE_TIMEOUT_MS + JOB_CLOSE_BOUND_MS;
/** The drain tests: a conversation, the drain and the close. */
const DRAIN_TEST_TIMEOUT_MS = AGENT_JOIN_BOUND_MS + LONG_DRAIN_S * 1000;
/** agents' exit code after a SIGTERM (128 + 15). */
const SIGTERM_EXIT_CODE = 143;
/** agents retries registration after 2, 4, 6… s; the first retry finds the restarted server. */
const REREGISTER_BOUND_MS = 20_000;

let binary: string;
let ports: ServerPorts;
let ownServer: RunningServer;
let own: LiveKitConfig;
let fixture: OpenAIFixture;
/** On this file's own server: the restart, the killed job process, the last person leaving, the bounded drain. */
let worker: RunningWorker;
/** Two workers under one name on the suite server: one drains, the other takes the new rooms. */
let pair: RunningWorker[] = [];
const rooms: Room[] = [];
const listeners: AudioListener[] = [];

const speechOf = (text: string) => (r: RecordedRequest) => r.path === '/v1/audio/speech' && r.body.input === text;

/** This file's own server: the same ports and keys when it comes back after a crash. */
async function startOwnServer(): Promise<RunningServer> {
  const server = await startServer({ binary, ...OWN_KEYS, ports });
  own = { url: server.url, ...OWN_KEYS };
  return server;
}

interface Conversation {
  room: Room;
  agent: RemoteParticipant;
  listener: AudioListener;
  jobId: string;
}

/**
 * A person joins a new room that dispatches the agent `workers` serve; resolves once the agent's voice is
 * heard. The room is opened once each worker has a warm process for it: on a busy machine a process can
 * take long to load, and the agent would join that much later.
 */
async function converse(livekit: LiveKitConfig, workers: RunningWorker[], prefix: string): Promise<Conversation> {
  await Promise.all(workers.map((w) => w.spareReady()));
  const agentName = (workers[0] as RunningWorker).agentName;
  const room = await joinRoom(livekit, { room: uniqueRoom(prefix), dispatch: { agentName } });
  rooms.push(room);
  const agent = await waitForAgent(room, AGENT_JOIN_BOUND_MS);
  const listener = new AudioListener(room, agent);
  listeners.push(listener);
  await listener.waitForSound(HEARD_MS);
  return { room, agent, listener, jobId: jobIdOf(agent.identity) };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The parent pid, from /proc/<pid>/stat (the field after the parenthesised command name). */
const parentOf = (pid: number): number =>
  Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);

async function activeJobs(w: RunningWorker): Promise<number> {
  return ((await (await fetch(`${w.healthUrl}/worker`)).json()) as { active_jobs: number }).active_jobs;
}

async function participantsIn(livekit: LiveKitConfig, room: string): Promise<string[]> {
  const api = new RoomServiceClient(livekit.url, livekit.apiKey, livekit.apiSecret);
  try {
    return (await api.listParticipants(room)).map((p) => p.identity);
  } catch (err) {
    // The server has already closed the empty room.
    if (err instanceof ServerError && err.code === 'not_found') return [];
    throw err;
  }
}

function withBound<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
  });
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

const workerEnv = () => ({
  OPENAI_API_KEY: FIXTURE_API_KEY,
  OPENAI_BASE_URL: fixture.baseURL,
  AGENT_GREETING: GREETING,
  TURN_DETECTION: 'vad',
  AVATAR_RENDERER: 'mouth-block',
});

beforeAll(async () => {
  fixture = await startOpenAIFixture({ reply: () => 'Fine, thank you.', transcript: () => 'hello' });
});

afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.close()));
  await Promise.all(rooms.splice(0).map((r) => r.disconnect()));
});

afterAll(async () => {
  await fixture?.close();
  await dispose();
});

// The two groups run one after the other, so no more than two workers load the machine at once.
describe('one worker on a livekit-server of its own', () => {
  beforeAll(async () => {
    binary = await ensureServerBinary();
    ports = await freePorts();
    ownServer = await startOwnServer();
    worker = await startWorker(own, { ...workerEnv(), WORKER_DRAIN_TIMEOUT: String(SHORT_DRAIN_S) });
  });

  afterAll(async () => {
    await worker?.stop();
    await ownServer?.stop();
  });

  test('livekit-server restarted mid-session: the worker registers again and new rooms get the agent', {
    timeout: REREGISTER_BOUND_MS + CUT_JOB_BOUND_MS + 2 * AGENT_JOIN_BOUND_MS,
  }, async () => {
    const before = await converse(own, [worker], 'before-restart');
    const beforePid = await worker.jobProcess(before.jobId);
    const registrations = worker.lines(/registered worker/).length;

    // A crash (or a forced restart): gone at once, with the session still running.
    ownServer.process.kill('SIGKILL');
    await new Promise((resolve) => ownServer.process.once('exit', resolve));
    const restartedAt = Date.now();
    ownServer = await startOwnServer();
    await worker.waitForLines(/registered worker/, registrations + 1, REREGISTER_BOUND_MS);
    const reregisterMs = Date.now() - restartedAt;
    expect(worker.lines(/failed to connect to LiveKit server.*retrying in/).length).toBeGreaterThanOrEqual(1);
    console.log(`worker registered again ${reregisterMs} ms after the server came back`);

    expect(worker.process.exitCode).toBeNull();
    // The restarted server has lost the room: the cut conversation ends and its process goes.
    await expect.poll(() => alive(beforePid), { timeout: CUT_JOB_BOUND_MS }).toBe(false);

    const after = await converse(own, [worker], 'after-restart');
    expect(await worker.jobProcess(after.jobId)).not.toBe(beforePid);
  });

  test('a job process killed mid-session: the worker survives and serves the next room', async () => {
    const victim = await converse(own, [worker], 'killed-job');
    const pid = await worker.jobProcess(victim.jobId);
    // agents forks one process per job from the worker.
    expect(parentOf(pid)).toBe(worker.process.pid);

    process.kill(pid, 'SIGKILL');
    await expect.poll(() => alive(pid), { timeout: 5000 }).toBe(false);
    expect(worker.process.exitCode).toBeNull();
    expect((await fetch(`${worker.healthUrl}/`)).status).toBe(200);
    await expect.poll(() => activeJobs(worker), { timeout: 10_000 }).toBe(0);

    const next = await converse(own, [worker], 'after-kill');
    expect(await worker.jobProcess(next.jobId)).not.toBe(pid);
  });

  test('the last person leaves: the job ends, its process disposes its native resources and exits', async () => {
    const { room, jobId } = await converse(own, [worker], 'leave');
    const name = room.name as string;
    const pid = await worker.jobProcess(jobId);
    expect(await participantsIn(own, name)).toHaveLength(2);

    await room.disconnect();
    await worker.waitForLog(new RegExp(`"room":"${name}".*last participant left; ending the job`));
    // rtc-node's FFI handles (room, tracks, audio and video sources) freed before the process exits.
    await worker.waitForLog(new RegExp(`"pid":${pid},.*"msg":"native resources disposed"`));
    await expect.poll(() => alive(pid), { timeout: 10_000 }).toBe(false);
    await expect.poll(() => participantsIn(own, name), { timeout: 10_000 }).toEqual([]);
    await expect.poll(() => activeJobs(worker), { timeout: 10_000 }).toBe(0);
  });

  // Last: it stops the worker.
  test(
    `a drain is bounded by WORKER_DRAIN_TIMEOUT: the worker exits after ${SHORT_DRAIN_S} s with a person still there`,
    async () => {
      const { room, agent, jobId } = await converse(own, [worker], 'bounded-drain');
      const pid = await worker.jobProcess(jobId);
      await worker.spareReady();

      const stoppedAt = Date.now();
      worker.process.kill('SIGTERM');
      const drainEnd = JSON.parse(
        await worker.waitForLog(/timed out draining/, SHORT_DRAIN_S * 1000 + JOB_CLOSE_BOUND_MS),
      );
      expect(drainEnd.time - stoppedAt).toBeGreaterThanOrEqual(SHORT_DRAIN_S * 1000);
      // The job is closed, not abandoned: the agent leaves the person's room and its process is gone.
      await waitForLeave(room, agent, JOB_CLOSE_BOUND_MS);
      await expect.poll(() => alive(pid), { timeout: JOB_CLOSE_BOUND_MS }).toBe(false);
      const exit = await withBound(worker.exited(), CLOSE_BOUND_MS, 'the worker exiting after its drain');
      console.log(
        `drain ended ${drainEnd.time - stoppedAt} ms and the worker exited ${Date.now() - stoppedAt} ms after SIGTERM`,
      );
      expect(exit.code).toBe(SIGTERM_EXIT_CODE);
    },
    DRAIN_TEST_TIMEOUT_MS,
  );
});

describe('two workers under one name on the suite server', () => {
  beforeAll(async () => {
    const env = {
      ...workerEnv(),
      AGENT_NAME: `drain-agent-${crypto.randomUUID().slice(0, 8)}`,
      WORKER_DRAIN_TIMEOUT: String(LONG_DRAIN_S),
    };
    pair = await Promise.all([startWorker(suiteServer, env), startWorker(suiteServer, env)]);
  });

  afterAll(async () => {
    await Promise.all(pair.map((w) => w.stop()));
  });

  test(
    'SIGTERM drains: no new jobs, the running conversation still answers, exit once the person leaves',
    async () => {
      const running = await converse(suiteServer, pair, 'draining');
      const draining = await servingWorker(pair, running.jobId, AGENT_JOIN_BOUND_MS);
      const other = pair.find((w) => w !== draining) as RunningWorker;
      const pid = await draining.jobProcess(running.jobId);
      await draining.spareReady();

      // What an orchestrator does to stop a container: SIGTERM to the worker's main process only.
      draining.process.kill('SIGTERM');
      await draining.waitForLog(/draining worker/);

      const newcomer = await converse(suiteServer, [other], 'while-draining');
      expect(await servingWorker(pair, newcomer.jobId, AGENT_JOIN_BOUND_MS)).toBe(other);
      expect(draining.lines(new RegExp(`"jobID":"${newcomer.jobId}"`))).toEqual([]);

      const text = 'Still here while my worker drains.';
      const soundBefore = running.listener.soundMs;
      await running.room.localParticipant?.performRpc({
        destinationIdentity: running.agent.identity,
        method: SAY_RPC_METHOD,
        payload: text,
      });
      await fixture.waitFor(speechOf(text));
      await running.listener.waitForSound(soundBefore + HEARD_MS);
      expect(draining.process.exitCode).toBeNull();

      await running.room.disconnect();
      const exit = await withBound(draining.exited(), CLOSE_BOUND_MS, 'the drained worker exiting');
      expect(exit.code).toBe(SIGTERM_EXIT_CODE);
      expect(draining.logs()).not.toMatch(/timed out draining/);
      expect(alive(pid)).toBe(false);
    },
    DRAIN_TEST_TIMEOUT_MS,
  );
});
