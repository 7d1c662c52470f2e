// The offline stages' model files, checked once when the worker starts: a missing or wrong file is a
// setup mistake to report in one line with its fix, not a failure in every room.
import { open } from 'node:fs/promises';
import type { Config } from '../config.ts';
import { DEFAULT_LLM_MODEL_PATH, DEFAULT_STT_MODEL_PATH } from './model_files.ts';
import { checkRecognizerModel, RECOGNIZER_MODEL_FORMAT } from './recognizer.ts';

export class ModelFileError extends Error {
  override name = 'ModelFileError';
}

const GGUF_MAGIC = 'GGUF';

async function fileStart(path: string, bytes: number): Promise<Buffer | undefined> {
  const file = await open(path).catch(() => undefined);
  if (!file) return undefined;
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(bytes), 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

const missing = (variable: string, path: string, isDefault: boolean, what: string) =>
  new ModelFileError(
    `${variable}: ${path} does not exist; ${isDefault ? '`npm start` fetches the default model, or ' : ''}point ${variable} at ${what}`,
  );

/** The offline stages' model files are there and look like what their engines read. */
export async function checkModelFiles({ providers, offline }: Pick<Config, 'providers' | 'offline'>): Promise<void> {
  if (providers.llm === 'offline') {
    const head = await fileStart(offline.llmModelPath, GGUF_MAGIC.length);
    const isDefault = offline.llmModelPath === DEFAULT_LLM_MODEL_PATH;
    if (!head) throw missing('LLM_MODEL_PATH', offline.llmModelPath, isDefault, 'a GGUF file');
    if (head.toString('latin1') !== GGUF_MAGIC) {
      throw new ModelFileError(`LLM_MODEL_PATH: ${offline.llmModelPath} is not a GGUF model file`);
    }
  }
  if (providers.stt === 'offline') {
    const problem = await checkRecognizerModel(offline.sttModelPath);
    const isDefault = offline.sttModelPath === DEFAULT_STT_MODEL_PATH;
    if (problem === 'missing')
      throw missing('STT_MODEL_PATH', offline.sttModelPath, isDefault, RECOGNIZER_MODEL_FORMAT);
    if (problem) throw new ModelFileError(`STT_MODEL_PATH: ${offline.sttModelPath} ${problem}`);
  }
}
