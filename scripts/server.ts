// `npm run server`: only the local livekit-server, in the foreground, with the configured keys.
import { loadConfig, parseLiveKitConfig } from '../src/config.ts';
import { ensureServerBinary, ServerSetupError, startServer } from './lib/livekit_server.ts';
import { fail, step } from './lib/progress.ts';

const livekit = loadConfig(parseLiveKitConfig);
try {
  const binary = await ensureServerBinary((line) => step('livekit-server', line));
  const server = await startServer({ binary, ...livekit, onLog: (line) => console.log(line) });
  step('livekit-server', `ready at ${server.url} (Ctrl-C stops it)`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void server.stop());
  server.process.on('exit', (code) => process.exit(code ?? 0));
} catch (err) {
  if (err instanceof ServerSetupError) fail(err.message);
  throw err;
}
