// `npm start`: the local livekit-server (unless LIVEKIT_URL names another server), the worker and the
// web app, whose page is where a person talks to the avatar. Ctrl-C stops everything this started.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { loadConfig, STAGES } from '../src/config.ts';
import {
  DEFAULT_PORTS,
  ensureServerBinary,
  type RunningServer,
  ServerSetupError,
  startServer,
} from './lib/livekit_server.ts';
import { ensureOfflineModels, OfflineSetupError } from './lib/offline_models.ts';
import { fail, step } from './lib/progress.ts';
import { ensureWebAppBuilt, type RunningWebApp, startWebApp, WebAppError } from './lib/web_app.ts';

const WORKER_READY_TIMEOUT_MS = 120_000;
const WORKER_REGISTERED = 'registered worker';

const config = loadConfig();
const url = new URL(config.livekit.url);
const localServer = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
const children: ChildProcess[] = [];
let server: RunningServer | undefined;
let web: RunningWebApp | undefined;
let stopping = false;

async function serverAnswers(httpUrl: string): Promise<boolean> {
  try {
    return (await (await fetch(httpUrl)).text()).trim() === 'OK';
  } catch {
    return false;
  }
}

async function stopAll(code: number): Promise<never> {
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null ? once(c, 'exit') : undefined)));
  await web?.stop();
  await server?.stop();
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stopAll(0));

const onThisMachine = STAGES.filter((stage) => config.providers[stage] === 'offline');
if (onThisMachine.length > 0) {
  try {
    await ensureOfflineModels(config, (line) => step('offline models', line));
    step('offline models', `ready (${onThisMachine.join(', ')} on this machine)`);
  } catch (err) {
    if (err instanceof OfflineSetupError) fail(err.message);
    throw err;
  }
}

try {
  step(
    'web app',
    ensureWebAppBuilt((line) => step('web app', line)),
  );
} catch (err) {
  if (err instanceof WebAppError) fail(err.message);
  throw err;
}

try {
  if (!localServer) {
    step('livekit-server', `using ${config.livekit.url}`);
  } else if (await serverAnswers(`http://${url.host}/`)) {
    step('livekit-server', `already running at ${config.livekit.url}; using it`);
  } else {
    const binary = await ensureServerBinary((line) => step('livekit-server', line));
    const port = Number(url.port || DEFAULT_PORTS.http);
    server = await startServer({ binary, ...config.livekit, ports: { ...DEFAULT_PORTS, http: port } });
    step('livekit-server', `started at ${config.livekit.url} (${binary})`);
  }
} catch (err) {
  if (err instanceof ServerSetupError) fail(err.message);
  throw err;
}

/** Starts a worker (`src/<entry>`) and waits until it has registered with the server. */
async function startWorker(label: string, entry: string, agentName: string, metricsPort: number): Promise<void> {
  step(label, `starting "${agentName}"${metricsPort ? ` (metrics at http://localhost:${metricsPort}/metrics)` : ''}`);
  const child = spawn(process.execPath, ['--import', 'tsx', `src/${entry}`, 'start'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const registered = new Promise<void>((resolve) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      if (chunk.toString().includes(WORKER_REGISTERED)) resolve();
    });
  });
  child.on('exit', (code) => {
    if (stopping) return;
    step(label, `exited with code ${code}; stopping`);
    void stopAll(code || 1);
  });
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(resolve, WORKER_READY_TIMEOUT_MS, 'timeout').unref());
  if ((await Promise.race([registered, timeout])) === 'timeout') {
    step(label, `did not register with ${config.livekit.url} within ${WORKER_READY_TIMEOUT_MS / 1000} s`);
    await stopAll(1);
  }
}

// With AVATAR=remote the face comes from an avatar worker; here it runs beside the agent.
if (config.avatarMode === 'remote') {
  await startWorker('avatar worker', 'avatar_worker.ts', config.avatarWorker.name, config.avatarWorker.metricsPort);
}
await startWorker('worker', 'agent.ts', config.agentName, config.worker.metricsPort);

try {
  web = await startWebApp({
    port: config.webPort,
    host: 'localhost',
    env: {
      LIVEKIT_URL: config.livekit.url,
      LIVEKIT_API_KEY: config.livekit.apiKey,
      LIVEKIT_API_SECRET: config.livekit.apiSecret,
      AGENT_NAME: config.agentName,
    },
    onLog: (line) => console.log(`[web] ${line}`),
  });
} catch (err) {
  if (err instanceof WebAppError) {
    step('web app', err.message);
    await stopAll(1);
  }
  throw err;
}
step('ready', `agent "${config.agentName}" is registered; Ctrl-C stops everything`);
console.log(`
  Talk to the avatar: http://localhost:${config.webPort}
  (allow the microphone; share the invite link in the page to let others join the same room)
`);
