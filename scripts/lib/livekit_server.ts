// Obtains and runs a local livekit-server for `npm start`, `npm run server` and the test suite.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { cacheDir } from '../../src/offline/model_files.ts';
import { httpReady } from './http_ready.ts';

export const SERVER_VERSION = '1.13.5';
const SERVER_MODULE = `github.com/livekit/livekit-server/cmd/server@v${SERVER_VERSION}`;
export const SERVER_CONFIG = resolve(import.meta.dirname, '../../livekit.yaml');
const READY_TIMEOUT_MS = 20_000;
const LOG_TAIL_LINES = 15;

const run = promisify(execFile);

/** The first `name` on PATH. */
export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

export class ServerSetupError extends Error {
  override name = 'ServerSetupError';
}

/** LIVEKIT_SERVER_BIN, then PATH, then the cache; builds the pinned version with Go when none is found. */
export async function ensureServerBinary(say: (line: string) => void = () => {}): Promise<string> {
  const fromEnv = process.env.LIVEKIT_SERVER_BIN;
  if (fromEnv) {
    if (!existsSync(fromEnv))
      throw new ServerSetupError(`LIVEKIT_SERVER_BIN points at ${fromEnv}, which does not exist`);
    return fromEnv;
  }
  const found = onPath('livekit-server');
  if (found) return found;

  const cached = join(cacheDir(), 'bin', `livekit-server-${SERVER_VERSION}`);
  if (existsSync(cached)) return cached;

  const go = onPath('go');
  if (!go) {
    throw new ServerSetupError(
      'livekit-server not found: install it (curl -sSL https://get.livekit.io | bash, or brew install livekit), ' +
        'install Go so it can be built, or set LIVEKIT_SERVER_BIN',
    );
  }
  say(`building livekit-server ${SERVER_VERSION} with Go (a few minutes, once)`);
  const gobin = await mkdtemp(join(tmpdir(), 'livekit-server-build-'));
  try {
    await run(go, ['install', SERVER_MODULE], {
      env: { ...process.env, GOBIN: gobin, GOFLAGS: '-trimpath' },
      maxBuffer: 64 * 1024 * 1024,
    });
    await mkdir(join(cacheDir(), 'bin'), { recursive: true });
    await rename(join(gobin, 'server'), cached);
  } catch (err) {
    const detail = (err as { stderr?: string }).stderr?.trim().split('\n').slice(-3).join(' | ');
    throw new ServerSetupError(`building livekit-server failed: ${detail || String(err)}`);
  } finally {
    await rm(gobin, { recursive: true, force: true });
  }
  return cached;
}

export interface ServerPorts {
  http: number;
  tcp: number;
  udpStart: number;
  udpEnd: number;
}

export const DEFAULT_PORTS: ServerPorts = { http: 7880, tcp: 7881, udpStart: 50000, udpEnd: 50100 };

async function tcpPortFree(port: number): Promise<boolean> {
  const probe = createServer();
  probe.listen(port, '127.0.0.1');
  try {
    await once(probe, 'listening');
    return true;
  } catch {
    return false;
  } finally {
    probe.close();
  }
}

export async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  probe.close();
  return port;
}

/** `count` different free ports: every probe stays open until all are chosen. */
export async function distinctFreePorts(count: number): Promise<number[]> {
  const probes = Array.from({ length: count }, () => createServer().listen(0, '127.0.0.1'));
  await Promise.all(probes.map((probe) => once(probe, 'listening')));
  const ports = probes.map((probe) => (probe.address() as { port: number }).port);
  await Promise.all(probes.map((probe) => new Promise((resolve) => probe.close(resolve))));
  return ports;
}

/** Free ports for a test server; the UDP range is random so parallel runs rarely meet. */
export async function freePorts(udpCount = 40): Promise<ServerPorts> {
  const udpStart = 40000 + Math.floor(Math.random() * 200) * 50;
  return { http: await freePort(), tcp: await freePort(), udpStart, udpEnd: udpStart + udpCount - 1 };
}

export interface RunningServer {
  url: string;
  httpUrl: string;
  process: ChildProcess;
  /** The server's recent log lines, for error messages. */
  logTail(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  binary: string;
  apiKey: string;
  apiSecret: string;
  ports?: ServerPorts;
  /** Where the server's own log lines go, besides the tail kept for errors. */
  onLog?: (line: string) => void;
  /**
   * host:port of a Redis that several servers share: they then act as one multi-node deployment
   * (rooms placed on any node, signal and agent jobs routed between nodes). Single node when absent.
   */
  redisAddress?: string;
  /** The address this node advertises to clients and other nodes; livekit-server picks one when absent. */
  nodeIp?: string;
  /** More settings, by their path in livekit.yaml (`{'room.empty_timeout': 10}`); they override the file. */
  config?: Record<string, string | number | boolean>;
}

export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const ports = opts.ports ?? DEFAULT_PORTS;
  for (const [what, port] of [
    ['signal/API', ports.http],
    ['ICE/TCP', ports.tcp],
  ] as const) {
    if (!(await tcpPortFree(port))) {
      throw new ServerSetupError(
        `port ${port} (${what}) is already in use: stop what holds it (another livekit-server?), ` +
          'or set LIVEKIT_URL to use a server that is already running',
      );
    }
  }

  const child = spawn(
    opts.binary,
    [
      '--config',
      SERVER_CONFIG,
      `--port=${ports.http}`,
      `--rtc.tcp_port=${ports.tcp}`,
      `--rtc.port_range_start=${ports.udpStart}`,
      `--rtc.port_range_end=${ports.udpEnd}`,
      ...(opts.redisAddress ? [`--redis.address=${opts.redisAddress}`] : []),
      ...(opts.nodeIp ? [`--node-ip=${opts.nodeIp}`] : []),
      // livekit-server generates one flag per config path, so no second config file is needed.
      ...Object.entries(opts.config ?? {}).map(([path, value]) => `--${path}=${value}`),
    ],
    {
      env: { ...process.env, LIVEKIT_KEYS: `${opts.apiKey}: ${opts.apiSecret}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const tail: string[] = [];
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      tail.push(line);
      if (tail.length > LOG_TAIL_LINES) tail.shift();
      opts.onLog?.(line);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = once(child, 'exit');

  const httpUrl = `http://127.0.0.1:${ports.http}`;
  const server: RunningServer = {
    url: `ws://127.0.0.1:${ports.http}`,
    httpUrl,
    process: child,
    logTail: () => tail.join('\n'),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };

  const running = () => child.exitCode === null && child.signalCode === null;
  const answersOk = async (res: Response) => res.ok && (await res.text()).trim() === 'OK';
  if (await httpReady(`${httpUrl}/`, READY_TIMEOUT_MS, running, answersOk)) return server;
  await server.stop();
  throw new ServerSetupError(
    `livekit-server did not become ready on ${httpUrl}${running() ? '' : ` (exited with ${child.exitCode})`}:\n${server.logTail()}`,
  );
}
