// Worker threads for engines that would block the job's event loop (and with it the avatar's video).
import { Worker } from 'node:worker_threads';

/**
 * Starts `module` in a worker thread. Threads do not inherit the `--import tsx` loader the worker runs
 * under, so TypeScript modules get it registered inside the thread first.
 */
export function startThread(module: URL): Worker {
  if (!module.pathname.endsWith('.ts')) return new Worker(module);
  const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(module.href)}); })`;
  return new Worker(boot, { eval: true });
}
