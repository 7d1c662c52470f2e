// `npm run models`: the offline stages' Python runtime and default models into the cache
// ($XDG_CACHE_HOME/livekit-avatar-agent), without starting anything. The worker image runs it at build
// time, so its containers start with no downloads. Idempotent: what is already there is kept.
import { cacheDir, DEFAULT_LLM_MODEL_PATH, DEFAULT_STT_MODEL_PATH } from '../src/offline/model_files.ts';
import { ensureOfflineModels, OfflineSetupError } from './lib/offline_models.ts';
import { fail, step } from './lib/progress.ts';

const STEP = 'offline models';

// Everything, whatever this machine's settings say: an image serves any MODEL_PROVIDER it is run with.
const EVERY_STAGE_OFFLINE = {
  providers: { stt: 'offline', llm: 'offline', tts: 'offline' },
  offline: { sttModelPath: DEFAULT_STT_MODEL_PATH, llmModelPath: DEFAULT_LLM_MODEL_PATH, ttsVoice: 'slt' },
} as const;

try {
  await ensureOfflineModels(EVERY_STAGE_OFFLINE, (line) => step(STEP, line));
} catch (err) {
  if (err instanceof OfflineSetupError) fail(err.message);
  throw err;
}
step(STEP, `ready in ${cacheDir()}`);
