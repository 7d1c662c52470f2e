// A local Redis for the multi-node tests: two livekit-server nodes share one to route rooms and agent
// jobs between them. Debian's redis-server, installed by `npm test` when missing.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { freePort, onPath } from './livekit_server.ts';

const DEBIAN_PACKAGE = 'redis-server';
const READY_TIMEOUT_MS = 10_000;
/** redis-server's log line once it serves commands. */
const READY_LINE = /Ready to accept connections/;
const LOG_TAIL_LINES = 15;

export class RedisSetupError extends Error {
  override name = 'RedisSetupError';
}

/** REDIS_SERVER_BIN, then PATH (Debian puts it in /usr/bin); installs Debian's package as root. */
export function ensureRedisBinary(say: (line: string) => void = () => {}): string {
  const fromEnv = process.env.REDIS_SERVER_BIN;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new RedisSetupError(`REDIS_SERVER_BIN points at ${fromEnv}, which does not exist`);
    return fromEnv;
  }
  const found = onPath('redis-server');
  if (found) return found;
  if (process.getuid?.() !== 0) {
    throw new RedisSetupError(
      `redis-server is needed by the multi-node tests: install it (sudo apt-get install ${DEBIAN_PACKAGE}) or set REDIS_SERVER_BIN`,
    );
  }
  say(`installing the Debian package (apt-get install ${DEBIAN_PACKAGE})`);
  const apt = (args: string[]) =>
    spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (apt(['update', '-qq']).status !== 0 || apt(['install', '-y', '-qq', DEBIAN_PACKAGE]).status !== 0) {
    throw new RedisSetupError(`apt-get install ${DEBIAN_PACKAGE} failed; install it yourself or set REDIS_SERVER_BIN`);
  }
  const installed = onPath('redis-server');
  if (!installed) throw new RedisSetupError(`${DEBIAN_PACKAGE} installed but redis-server is not on PATH`);
  return installed;
}

export interface RunningRedis {
  /** host:port, what livekit-server's `redis.address` takes. */
  address: string;
  process: ChildProcess;
  logTail(): string;
  stop(): Promise<void>;
}

/** A throwaway Redis on a free loopback port: nothing written to disk, gone when stopped. */
export async function startRedis(binary: string): Promise<RunningRedis> {
  const port = await freePort();
  const child = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      // No persistence: no RDB snapshots, no append-only file, nothing left behind.
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const tail: string[] = [];
  let onReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      if (READY_LINE.test(line)) onReady();
      tail.push(line);
      if (tail.length > LOG_TAIL_LINES) tail.shift();
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = once(child, 'exit');
  const running = () => child.exitCode === null && child.signalCode === null;
  const redis: RunningRedis = {
    address: `127.0.0.1:${port}`,
    process: child,
    logTail: () => tail.join('\n'),
    stop: async () => {
      if (!running()) return;
      child.kill('SIGTERM');
      await exited;
    },
  };

  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    ready.then(() => 'ready' as const),
    exited.then(() => 'exited' as const),
    new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), READY_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
  if (outcome === 'ready') return redis;
  await redis.stop();
  throw new RedisSetupError(
    `redis-server did not become ready on ${redis.address}${outcome === 'exited' ? ` (exited with ${child.exitCode})` : ''}:\n${redis.logTail()}`,
  );
}
