// How both workers (the agent and the avatar worker) start: user mistakes stop them with one line and
// exit code 2 before they register, then agents' CLI runs them.
import { cli, type JobRequest, ServerOptions } from '@livekit/agents';
import { CharacterPackError, loadCharacterPack } from './avatar/character/pack.ts';
import { type AvatarRendering, ConfigError, type LiveKitConfig, type WorkerConfig } from './config.ts';
import { serveWorkerMetrics } from './observability/worker_metrics.ts';
import { sessionLoad } from './worker_load.ts';

/** Runs a start-up check; a user mistake (`mistake(err)` gives its line) exits 2 with that line. */
export async function stopOnMistake(
  check: () => unknown,
  mistake: (err: unknown) => string | undefined,
): Promise<void> {
  try {
    await check();
  } catch (err) {
    const line = mistake(err);
    if (line === undefined) throw err;
    process.stderr.write(`config error: ${line}\n`);
    process.exit(2);
  }
}

export const configMistake = (err: unknown) => (err instanceof ConfigError ? err.message : undefined);

/** A broken character pack stops the worker here, not in every room it joins. */
export function checkCharacterPack(avatar: AvatarRendering): Promise<void> {
  if (avatar.renderer !== 'character') return Promise.resolve();
  return stopOnMistake(
    () => loadCharacterPack(avatar.character),
    (err) => (err instanceof CharacterPackError ? `AVATAR_CHARACTER: ${err.message}` : undefined),
  );
}

/**
 * How long a job process may take to warm up (load models, draw the character). agents' 10 s is too
 * short on a busy 2-core machine: processes that miss it are killed and respawned, and rooms wait.
 */
const PROCESS_WARM_UP_TIMEOUT_MS = 60_000;

/**
 * How long a job process gets to close after it is told to (Python agents' default; agents-js waits 60 s).
 * A process still starting when a drain begins never hears the request, so this bounds that overrun.
 */
export const JOB_SHUTDOWN_TIMEOUT_MS = 10_000;

export interface WorkerStart {
  /** The file with the agent definition (`import.meta.url` of the entry). */
  entry: string;
  agentName: string;
  port: number;
  livekit: LiveKitConfig;
  worker: WorkerConfig;
  requestFunc?: (request: JobRequest) => Promise<void>;
}

export async function runWorker({ entry, agentName, port, livekit, worker, requestFunc }: WorkerStart): Promise<void> {
  // Before agents forks any job process: they find the collector through the environment they inherit.
  if (worker.metricsPort > 0) {
    await stopOnMistake(
      () => serveWorkerMetrics(worker.metricsPort),
      (err) =>
        (err as NodeJS.ErrnoException).code === 'EADDRINUSE'
          ? `metrics port ${worker.metricsPort} is already in use: set METRICS_PORT (AVATAR_METRICS_PORT for the avatar worker) to a free port, or 0 to turn metrics off`
          : undefined,
    );
  }
  cli.runApp(
    new ServerOptions({
      agent: entry,
      agentName,
      ...(requestFunc && { requestFunc }),
      wsURL: livekit.url,
      apiKey: livekit.apiKey,
      apiSecret: livekit.apiSecret,
      port,
      numIdleProcesses: worker.idleProcesses,
      // SIGTERM (a deploy, a scale-down) stops new jobs and waits this long for running conversations.
      drainTimeout: worker.drainTimeoutMs,
      initializeProcessTimeout: PROCESS_WARM_UP_TIMEOUT_MS,
      shutdownProcessTimeout: JOB_SHUTDOWN_TIMEOUT_MS,
      ...(worker.maxSessions > 0 && { loadFunc: sessionLoad(worker.maxSessions) }),
    }),
  );
}
