// Runs the real worker (`src/agent.ts start`) as its own process group against the test server.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/lib/livekit_server.ts';
import type { LiveKitConfig } from '../../src/config.ts';

const REGISTERED = 'registered worker';
/** agents' debug line when a job process has run its prewarm. */
const PROCESS_READY = /job runner initialized/;
const PROCESS_READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;

export interface RunningWorker {
  agentName: string;
  healthUrl: string;
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
  /** Log lines so far that match `pattern` (e.g. one room's events: lines carry `"room":"<name>"`). */
  lines(pattern: RegExp): string[];
  stop(): Promise<void>;
}

export function startWorker(livekit: LiveKitConfig, env: Record<string, string> = {}): Promise<RunningWorker> {
  return spawnWorker(livekit, env, { entry: 'src/agent.ts', nameVariable: 'AGENT_NAME', portVariable: 'WORKER_PORT' });
}

/** The avatar worker (`src/avatar_worker.ts`); its `agentName` is what AVATAR_WORKER_NAME dispatches. */
export function startAvatarWorker(livekit: LiveKitConfig, env: Record<string, string> = {}): Promise<RunningWorker> {
  return spawnWorker(livekit, env, {
    entry: 'src/avatar_worker.ts',
    nameVariable: 'AVATAR_WORKER_NAME',
    portVariable: 'AVATAR_WORKER_PORT',
  });
}

interface WorkerKind {
  entry: string;
  nameVariable: string;
  portVariable: string;
}

async function spawnWorker(
  livekit: LiveKitConfig,
  env: Record<string, string>,
  kind: WorkerKind,
): Promise<RunningWorker> {
  const agentName =
    env[kind.nameVariable] ??
    `test-${kind.nameVariable === 'AGENT_NAME' ? 'agent' : 'avatar'}-${crypto.randomUUID().slice(0, 8)}`;
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', kind.entry, 'start'], {
    env: {
      ...process.env,
      LIVEKIT_URL: livekit.url,
      LIVEKIT_API_KEY: livekit.apiKey,
      LIVEKIT_API_SECRET: livekit.apiSecret,
      [kind.nameVariable]: agentName,
      [kind.portVariable]: String(port),
      WORKER_IDLE_PROCESSES: '1',
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
  const exited = once(child, 'exit');

  const waitForLines = (pattern: RegExp, count: number, timeoutMs = 30_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const line = output.split('\n').filter((l) => pattern.test(l))[count - 1];
        if (line !== undefined) {
          finish();
          resolve(line);
        } else if (child.exitCode !== null) {
          finish();
          reject(new Error(`worker exited (${child.exitCode}) before logging ${pattern}:\n${output.slice(-3000)}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`worker did not log ${pattern} ×${count} within ${timeoutMs} ms:\n${output.slice(-3000)}`));
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

  const waitForLog = (pattern: RegExp, timeoutMs?: number) => waitForLines(pattern, 1, timeoutMs);

  const worker: RunningWorker = {
    agentName,
    healthUrl: `http://127.0.0.1:${port}`,
    process: child,
    logs: () => output,
    lines: (pattern) => output.split('\n').filter((l) => pattern.test(l)),
    waitForLog,
    waitForLines,
    processesReady: (count) => waitForLines(PROCESS_READY, count, PROCESS_READY_TIMEOUT_MS),
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
