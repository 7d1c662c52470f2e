// `npm run bench -- <suite>`: runs bench/<suite>.ts (against a real local livekit-server unless the
// suite says it needs none) and writes bench/results/<suite>.json.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { dispose } from '@livekit/rtc-node';
import { type Metrics, printTable, writeReport } from '../bench/report.ts';
import { type LiveKitConfig, parseConfig } from '../src/config.ts';
import { ensureServerBinary, freePorts, startServer } from './lib/livekit_server.ts';
import { ensureOfflineModels, OfflineSetupError } from './lib/offline_models.ts';
import { fail, step } from './lib/progress.ts';

const suite = process.argv[2];
const file = join(import.meta.dirname, '..', 'bench', `${suite}.ts`);
if (!suite || !existsSync(file)) fail(`usage: npm run bench -- <suite>  (no bench/${suite ?? ''}.ts)`);

/** What a suite may want to know about the run besides the server's address. */
interface SuiteContext {
  /** The local livekit-server's process, so a suite can count its CPU. */
  serverPid: number | undefined;
}

interface Suite {
  run: (livekit: LiveKitConfig, context: SuiteContext) => Promise<Metrics>;
  /** False for suites that measure code alone (no room). */
  needsServer?: boolean;
  /** UDP ports the server needs: one per peer connection, two per participant (many rooms at once). */
  udpPorts?: number;
}

const { run, needsServer = true, udpPorts } = (await import(file)) as Suite;
try {
  // Suites may run the offline engines: set them up as `npm test` does.
  await ensureOfflineModels(parseConfig({ MODEL_PROVIDER: 'offline' }), (line) => step('offline models', line));
} catch (err) {
  if (err instanceof OfflineSetupError) fail(err.message);
  throw err;
}
const keys = { apiKey: 'benchkey', apiSecret: `bench-secret-${crypto.randomUUID()}` };
const server = needsServer
  ? await startServer({
      binary: await ensureServerBinary((line) => step('livekit-server', line)),
      ...keys,
      ports: await freePorts(udpPorts),
    })
  : undefined;
if (server) step('livekit-server', `ready at ${server.url}`);
try {
  const metrics = await run({ url: server?.url ?? '', ...keys }, { serverPid: server?.process.pid });
  printTable(suite as string, metrics);
  step('results', await writeReport(suite as string, metrics));
} finally {
  await server?.stop();
  await dispose();
}
