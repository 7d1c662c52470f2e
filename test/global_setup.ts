// One real livekit-server for the whole run, on free ports, with its own key pair.
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { ensureServerBinary, freePorts, type RunningServer, startServer } from '../scripts/lib/livekit_server.ts';
import type { LiveKitConfig } from '../src/config.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    livekit: LiveKitConfig;
  }
}

/** The test server's log, kept after the run. */
export const SERVER_LOG = join(tmpdir(), 'livekit-avatar-agent-test-server.log');

let server: RunningServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  const livekit = { apiKey: 'testkey', apiSecret: `test-secret-${crypto.randomUUID()}` };
  // The server's log goes to a file: it is the first thing to read when an integration test fails.
  const log = createWriteStream(SERVER_LOG);
  server = await startServer({
    binary: await ensureServerBinary(),
    ...livekit,
    ports: await freePorts(),
    onLog: (line) => log.write(`${line}\n`),
  });
  project.provide('livekit', { url: server.url, ...livekit });
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
