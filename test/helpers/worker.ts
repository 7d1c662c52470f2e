// Runs the real worker (`src/agent.ts start`) as its own process group against the test server.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distinctFreePorts } from '../../scripts/lib/livekit_server.ts';
import type { LiveKitConfig } from '../../src/config.ts';

const REGISTERED = 'registered worker';
/** agents' debug line when a job process has run its prewarm. */
const PROCESS_READY = /job runner initialized/;
const PROCESS_READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;
/**
 * Seconds a stopped worker waits for its running jobs (WORKER_DRAIN_TIMEOUT). Short, so a test that stops
 * its worker with a conversation still winding down is not held up by the production default.
 */
const TEST_DRAIN_TIMEOUT_S = 5;

export interface RunningWorker {
  agentName: string;
  healthUrl: string;
  /** Its Prometheus endpoint (METRICS_PORT / AVATAR_METRICS_PORT on a free port). */
  metricsUrl: string;
  process: ChildProcess;
  logs(): string;
  /** Where the worker's log is written when it stops. */
  logFile: string;
  /** Resolves when a log line matching `pattern` appears (or has appeared). */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when `count` log lines match `pattern`, with the last of them. */
  waitForLines(pattern: RegExp, count: number, timeoutMs?: number): Promise<string>;
  /**
   * Resolves once `count` job processes have finished their prewarm (models loaded). A job takes a warm
   * process and the worker starts its replacement at once; on 2 cores that load slows the job's first
   * turn, which tests of the conversation wait out.
   */
  processesReady(count: number): Promise<string>;
  /**
   * Resolves once a warm process waits for the next job (more processes have finished their prewarm than
   * have taken a job). Before a worker is stopped: agents drops a shutdown request that reaches a job
   * process still loading, and then waits its whole process close timeout for it.
   */
  spareReady(): Promise<void>;
  /** Log lines so far that match `pattern` (e.g. one room's events: lines carry `"room":"<name>"`). */
  lines(pattern: RegExp): string[];
  /**
   * Resolves with the pid of the job process that started job `jobId` (an agent joins a room as
   * `agent-<jobId>`): agents runs each job in a process of its own, forked by the worker.
   */
  jobProcess(jobId: string, timeoutMs?: number): Promise<number>;
  /** Resolves when the worker process has exited (at once if it has), with how. */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

/** An agent participant's job id: agents joins each job's room as `agent-<job id>`. */
export const jobIdOf = (agentIdentity: string): string => agentIdentity.replace(/^agent-/, '');

/** Resolves with whichever of `workers` runs job `jobId` (workers under one name share the rooms). */
export function servingWorker(workers: RunningWorker[], jobId: string, timeoutMs?: number): Promise<RunningWorker> {
  return Promise.any(
    workers.map(async (w) => {
      await w.jobProcess(jobId, timeoutMs);
      return w;
    }),
  );
}

/** agents' debug line in a job process once it has taken its job. */
const JOB_STARTED_LINE = /"msg":"job started"/;

export function startWorker(livekit: LiveKitConfig, env: Record<string, string> = {}): Promise<RunningWorker> {
  return spawnWorker(livekit, env, {
    entry: 'src/agent.ts',
    nameVariable: 'AGENT_NAME',
    portVariable: 'WORKER_PORT',
    metricsPortVariable: 'METRICS_PORT',
  });
}

/** The avatar worker (`src/avatar_worker.ts`); its `agentName` is what AVATAR_WORKER_NAME dispatches. */
export function startAvatarWorker(livekit: LiveKitConfig, env: Record<string, string> = {}): Promise<RunningWorker> {
  return spawnWorker(livekit, env, {
    entry: 'src/avatar_worker.ts',
    nameVariable: 'AVATAR_WORKER_NAME',
    portVariable: 'AVATAR_WORKER_PORT',
    metricsPortVariable: 'AVATAR_METRICS_PORT',
  });
}

interface WorkerKind {
  entry: string;
  nameVariable: string;
  portVariable: string;
  metricsPortVariable: string;
}

async function spawnWorker(
  livekit: LiveKitConfig,
  env: Record<string, string>,
  kind: WorkerKind,
): Promise<RunningWorker> {
  const agentName =
    env[kind.nameVariable] ??
    `test-${kind.nameVariable === 'AGENT_NAME' ? 'agent' : 'avatar'}-${crypto.randomUUID().slice(0, 8)}`;
  // Both held until both are chosen: the OS may hand a just-released port out again at once.
  const [port, metricsPort] = await distinctFreePorts(2);
  const child = spawn(process.execPath, ['--import', 'tsx', kind.entry, 'start'], {
    env: {
      ...process.env,
      LIVEKIT_URL: livekit.url,
      LIVEKIT_API_KEY: livekit.apiKey,
      LIVEKIT_API_SECRET: livekit.apiSecret,
      [kind.nameVariable]: agentName,
      [kind.portVariable]: String(port),
      // Several workers run at once in some tests: each gets its own metrics port.
      [kind.metricsPortVariable]: String(metricsPort),
      WORKER_IDLE_PROCESSES: '1',
      WORKER_DRAIN_TIMEOUT: String(TEST_DRAIN_TIMEOUT_S),
      LOG_LEVEL: 'debug',
      ...env,
    },
    // Its own process group, so stopping it also reaps the job processes it forked.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;

  /** Resolves with what `find` returns once it returns something (checked on every chunk of output). */
  const waitUntil = (find: () => string | undefined, what: string, timeoutMs: number) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const found = find();
        if (found !== undefined) {
          finish();
          resolve(found);
        } else if (child.exitCode !== null) {
          finish();
          reject(new Error(`worker exited (${child.exitCode}) before ${what}:\n${output.slice(-3000)}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`worker did not get to ${what} within ${timeoutMs} ms:\n${output.slice(-3000)}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        listeners.delete(check);
        child.off('exit', check);
      };
      listeners.add(check);
      child.on('exit', check);
      check();
    });

  const count = (pattern: RegExp) => output.split('\n').filter((l) => pattern.test(l)).length;
  const waitForLines = (pattern: RegExp, n: number, timeoutMs = 30_000) =>
    waitUntil(() => output.split('\n').filter((l) => pattern.test(l))[n - 1], `logging ${pattern} ×${n}`, timeoutMs);

  const waitForLog = (pattern: RegExp, timeoutMs?: number) => waitForLines(pattern, 1, timeoutMs);

  const worker: RunningWorker = {
    agentName,
    healthUrl: `http://127.0.0.1:${port}`,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    process: child,
    logs: () => output,
    lines: (pattern) => output.split('\n').filter((l) => pattern.test(l)),
    waitForLog,
    waitForLines,
    processesReady: (n) => waitForLines(PROCESS_READY, n, PROCESS_READY_TIMEOUT_MS),
    spareReady: () =>
      waitUntil(
        () => (count(PROCESS_READY) > count(JOB_STARTED_LINE) ? 'ready' : undefined),
        'a warm spare process',
        PROCESS_READY_TIMEOUT_MS,
      ).then(() => undefined),
    jobProcess: async (jobId, timeoutMs) => {
      const line = await waitForLog(new RegExp(`"jobID":"${jobId}".*${JOB_STARTED_LINE.source}`), timeoutMs);
      return (JSON.parse(line) as { pid: number }).pid;
    },
    exited: async () => {
      const [code, signal] = await exited;
      return { code, signal };
    },
    logFile: join(tmpdir(), `livekit-avatar-agent-${agentName}.log`),
    stop: async () => {
      // Kept after the run: the first thing to read when a test fails.
      await writeFile(worker.logFile, output).catch(() => {});
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(-(child.pid as number), 'SIGTERM');
      const timer = setTimeout(() => process.kill(-(child.pid as number), 'SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
  try {
    await waitForLog(new RegExp(REGISTERED), 60_000);
  } catch (err) {
    await worker.stop();
    throw err;
  }
  return worker;
}
