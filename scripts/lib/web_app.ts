// Builds (when its sources changed) and runs the Next.js web app in frontend/ for `npm start` and tests.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { httpReady } from './http_ready.ts';

export const FRONTEND_DIR = resolve(import.meta.dirname, '../../frontend');
const NEXT_BIN = join(FRONTEND_DIR, 'node_modules', 'next', 'dist', 'bin', 'next');
const BUILD_ID = join(FRONTEND_DIR, '.next', 'BUILD_ID');
/** Generated or installed, not sources: changes there do not call for a build. */
const NOT_SOURCES = new Set(['node_modules', '.next', 'next-env.d.ts', 'tsconfig.tsbuildinfo']);
const READY_TIMEOUT_MS = 60_000;
const LOG_TAIL_LINES = 20;
/** Next.js would otherwise try to phone home, which this machine's network refuses. */
const NEXT_ENV = { NEXT_TELEMETRY_DISABLED: '1' };

export class WebAppError extends Error {
  override name = 'WebAppError';
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (NOT_SOURCES.has(entry.name)) continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** `next build` when there is no build or a source is newer than it; returns what it did. */
export function ensureWebAppBuilt(say: (line: string) => void = () => {}): string {
  if (existsSync(BUILD_ID) && statSync(BUILD_ID).mtimeMs >= newestSource(FRONTEND_DIR)) return 'up to date';
  say('building (next build, about a minute)');
  const build = spawnSync(process.execPath, [NEXT_BIN, 'build'], {
    cwd: FRONTEND_DIR,
    env: { ...process.env, ...NEXT_ENV, NODE_ENV: 'production' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (build.status !== 0) {
    const tail = `${build.stdout}\n${build.stderr}`.trim().split('\n').slice(-LOG_TAIL_LINES).join('\n');
    throw new WebAppError(`the web app did not build:\n${tail}`);
  }
  return 'built';
}

export interface WebAppOptions {
  port: number;
  /** The interface to listen on; loopback unless the app must be reachable from other machines. */
  host?: string;
  /** The token API's settings (LIVEKIT_*, AGENT_NAME, TOKEN_*). */
  env: Record<string, string>;
  onLog?: (line: string) => void;
}

export interface RunningWebApp {
  url: string;
  process: ChildProcess;
  logs(): string;
  stop(): Promise<void>;
}

/** `next start`: the production server, as deployments run it. */
export async function startWebApp(opts: WebAppOptions): Promise<RunningWebApp> {
  const host = opts.host ?? '127.0.0.1';
  const child = spawn(process.execPath, [NEXT_BIN, 'start', '--port', String(opts.port), '--hostname', host], {
    cwd: FRONTEND_DIR,
    env: { ...process.env, ...NEXT_ENV, NODE_ENV: 'production', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const line of chunk.toString().split('\n')) if (line.trim()) opts.onLog?.(line);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = once(child, 'exit');

  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${opts.port}`;
  const app: RunningWebApp = {
    url,
    process: child,
    logs: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
  if (await httpReady(url, READY_TIMEOUT_MS, () => child.exitCode === null)) return app;
  await app.stop();
  const tail = output.trim().split('\n').slice(-LOG_TAIL_LINES).join('\n');
  throw new WebAppError(`the web app did not start on ${url}:\n${tail}`);
}
