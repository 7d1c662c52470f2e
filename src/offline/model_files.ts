// Where the offline models live: a per-user cache outside the repository, filled by the setup that
// `npm start` and `npm test` run (scripts/lib/offline_models.ts). Models never land in git.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function cacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'livekit-avatar-agent');
}

export const MODELS_DIR = join(cacheDir(), 'models');
export const DEFAULT_STT_MODEL_PATH = join(MODELS_DIR, 'whisper-base');
/** A Python environment with the recognizer's runtime (ctranslate2, numpy, tokenizers from PyPI). */
export const STT_PYTHON_DIR = join(cacheDir(), 'stt-python');
export const STT_PYTHON = join(STT_PYTHON_DIR, 'bin', 'python');
export const DEFAULT_LLM_MODEL_PATH = join(MODELS_DIR, 'llm', 'model.gguf');
