// The one place that reads the environment. Everything else receives a typed `Config`.
import { config as loadDotenv } from 'dotenv';
import { z } from 'zod';
import { DEFAULT_CHARACTER_DIR } from './avatar/character/manifest.ts';
import type { AvatarOptions, RendererChoice } from './avatar/options.ts';
import { OFFLINE_VOICES, type OfflineVoice } from './offline/flite.ts';
import { DEFAULT_LLM_MODEL_PATH, DEFAULT_STT_MODEL_PATH } from './offline/model_files.ts';

export const DEFAULT_AGENT_NAME = 'avatar-agent';
export const DEFAULT_AVATAR_WORKER_NAME = 'avatar-renderer';
/** The dev key pair `npm start` gives the local server; never use it on a reachable server. */
export const DEV_API_KEY = 'devkey';
export const DEV_API_SECRET = 'secret-for-local-development-only-0123456789';

const DEFAULT_INSTRUCTIONS = [
  'You are a friendly assistant with a face, talking with a person by voice.',
  'Answer in one to three short spoken sentences, in plain words:',
  'no lists, no markdown, no emoji. Ask back when something is unclear.',
].join(' ');
/** Small local models follow few, short rules; more instructions only confuse them. */
const DEFAULT_OFFLINE_INSTRUCTIONS = [
  'You are Juniper, a friendly avatar who talks with people by voice.',
  'Everything you say is spoken aloud, so reply in one to three short, simple sentences.',
  'Never use lists, markdown or emoji; describe steps in one flowing sentence.',
  'For example, asked how to make tea, you would say: boil some water, pour it over a tea bag,',
  'and let it steep for about three minutes.',
].join(' ');
const DEFAULT_GREETING = 'Hi! I can see and hear you are here. What would you like to talk about?';

/** Environment variables that are set but empty count as unset, as in most dotenv setups. */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const wsUrl = z
  .string()
  .url()
  .refine((u) => /^wss?:\/\//.test(u), 'must start with ws:// or wss://')
  // agents-js dials `${url}agent`: a path prefix would break worker registration.
  .refine((u) => !URL.canParse(u) || new URL(u).pathname.replace(/\/$/, '') === '', 'must not have a path');

const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'must start with http:// or https://');

const modelName = z.string().regex(/^[\w.:/@-]{1,128}$/, 'must be a model name such as gpt-4.1-mini');

const voiceName = z.string().regex(/^[\w-]{1,64}$/, 'must be a voice name such as alloy');

/** Where a stage's model runs: OpenAI (or a compatible server) or this machine. */
export const PROVIDERS = ['openai', 'offline'] as const;
export type Provider = (typeof PROVIDERS)[number];
export const STAGES = ['stt', 'llm', 'tts'] as const;
export type Stage = (typeof STAGES)[number];
const DEFAULT_OPENAI_VOICE = 'alloy';
const DEFAULT_OFFLINE_VOICE: OfflineVoice = 'slt';

const agentName = z.string().regex(/^[\w.-]{1,64}$/, 'must be 1-64 letters, digits, dots, dashes or underscores');

/** Cloud avatar providers, each through its agents-js plugin. */
export const CLOUD_AVATARS = ['bey', 'anam', 'lemonslice', 'hedra'] as const;
export type CloudAvatarProvider = (typeof CLOUD_AVATARS)[number];
export const AVATAR_MODES = ['local', 'remote', 'off', ...CLOUD_AVATARS] as const;
export type AvatarMode = (typeof AVATAR_MODES)[number];

const port = z.coerce.number().int().min(0).max(65535);

/** The avatar publishes 24 kHz audio: a frame rate must give whole samples per frame. */
export const AVATAR_SAMPLE_RATE = 24_000;

const videoSize = z.coerce
  .number()
  .int()
  .min(64)
  .max(1920)
  .refine((n) => n % 2 === 0, 'must be even (I420 video)');

const livekitSchema = z.object({
  LIVEKIT_URL: wsUrl.default('ws://localhost:7880'),
  LIVEKIT_API_KEY: z.string().min(1).default(DEV_API_KEY),
  LIVEKIT_API_SECRET: z.string().min(1).default(DEV_API_SECRET),
});

/** What the built-in renderer draws, in a job process (AVATAR=local) or in the avatar worker. */
const rendererSchema = z.object({
  /** `mouth-block` draws the mouth as a grey block: the measuring renderer of tests and benchmarks. */
  AVATAR_RENDERER: z.enum(['character', 'mouth-block']).default('character'),
  /** A character pack folder (see README); the built-in character when unset. */
  AVATAR_CHARACTER: optional(z.string()),
  AVATAR_WIDTH: videoSize.default(512),
  AVATAR_HEIGHT: videoSize.default(512),
  AVATAR_FPS: z.coerce
    .number()
    .int()
    .refine((fps) => fps >= 10 && fps <= 60 && AVATAR_SAMPLE_RATE % fps === 0, {
      message: `must be a frame rate from 10 to 60 that divides ${AVATAR_SAMPLE_RATE} (e.g. 25 or 30)`,
    })
    .default(30),
  AVATAR_MAX_BITRATE: z.coerce.number().int().min(100_000).max(20_000_000).default(1_200_000),
});

/** How a worker process runs its jobs; the agent worker and the avatar worker read the same variables. */
const workerSchema = z.object({
  WORKER_IDLE_PROCESSES: optional(z.coerce.number().int().min(0).max(32)),
  /** Sessions one worker takes before it reports full; 0 reports CPU usage instead (LiveKit's default). */
  WORKER_MAX_SESSIONS: z.coerce.number().int().min(0).max(1000).default(4),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
  /** Seconds a stopping worker (SIGTERM) waits for running conversations to end before it closes them. */
  WORKER_DRAIN_TIMEOUT: z.coerce.number().int().min(1).max(86_400).default(600),
});

const avatarWorkerSchema = livekitSchema
  .extend(rendererSchema.shape)
  .extend({
    /** The avatar worker's agent name: `npm run avatar-worker` registers under it, AVATAR=remote dispatches it. */
    AVATAR_WORKER_NAME: agentName.default(DEFAULT_AVATAR_WORKER_NAME),
    /** Health port of the avatar worker (the agent worker has WORKER_PORT). */
    AVATAR_WORKER_PORT: port.default(8082),
    /** Prometheus /metrics of the avatar worker (0 = off). */
    AVATAR_METRICS_PORT: port.default(9465),
  })
  .extend(workerSchema.shape);

const schema = avatarWorkerSchema.extend({
  AGENT_NAME: agentName.default(DEFAULT_AGENT_NAME),

  /** `auto`: OpenAI when OPENAI_API_KEY is set, else every stage on this machine. */
  MODEL_PROVIDER: z.enum(['auto', ...PROVIDERS]).default('auto'),
  STT_PROVIDER: optional(z.enum(PROVIDERS)),
  LLM_PROVIDER: optional(z.enum(PROVIDERS)),
  TTS_PROVIDER: optional(z.enum(PROVIDERS)),
  OPENAI_API_KEY: optional(z.string()),
  OPENAI_BASE_URL: optional(httpUrl),
  STT_MODEL: modelName.default('gpt-4o-mini-transcribe'),
  STT_LANGUAGE: z
    .string()
    .regex(/^[a-z]{2,3}(-[A-Za-z]{2,4})?$/, 'must be a language code such as en or pt-BR')
    .default('en'),
  LLM_MODEL: modelName.default('gpt-4.1-mini'),
  TTS_MODEL: modelName.default('gpt-4o-mini-tts'),
  /** Default: alloy with OpenAI, slt offline. */
  TTS_VOICE: optional(voiceName),
  /** A speech model folder for the offline STT; the one the setup fetches when unset. */
  STT_MODEL_PATH: optional(z.string()),
  /** Any GGUF chat model for the offline LLM; the one the setup fetches when unset. */
  LLM_MODEL_PATH: optional(z.string()),

  /** Default: instructions suited to the LLM in use (shorter for a small offline model). */
  AGENT_INSTRUCTIONS: optional(z.string().min(1).max(8000)),
  /** Empty disables the greeting: the agent then waits for the user to speak first. */
  AGENT_GREETING: z.string().max(1000).default(DEFAULT_GREETING),
  TURN_DETECTION: z.enum(['model', 'vad']).default('model'),

  /**
   * Who draws the face: `local` in the job process, `remote` an avatar worker (`npm run avatar-worker`)
   * dispatched into the room, a cloud provider, or `off` (voice only).
   */
  AVATAR: z.enum(AVATAR_MODES).default('local'),
  /** How long the agent waits for its avatar to join before it speaks without one (seconds). */
  AVATAR_JOIN_TIMEOUT: z.coerce.number().min(1).max(300).default(20),
  /** The cloud avatar to use (AVATAR=bey, anam or lemonslice): the provider's avatar / agent id. */
  AVATAR_ID: optional(
    z.string().regex(/^[\w.:-]{1,128}$/, 'must be an id such as 694c83e2-8895-4a98-bd16-56332ca3f449'),
  ),
  /** The cloud provider's API address; its plugin's default when unset. */
  AVATAR_API_URL: optional(httpUrl),
  BEY_API_KEY: optional(z.string()),
  ANAM_API_KEY: optional(z.string()),
  LEMONSLICE_API_KEY: optional(z.string()),
  HEDRA_API_KEY: optional(z.string()),

  WORKER_PORT: port.default(8081),
  /** Prometheus /metrics of the agent worker, its job processes summed (0 = off). */
  METRICS_PORT: port.default(9464),
  /** Where `npm start` serves the web app (http://localhost:WEB_PORT). */
  WEB_PORT: port.default(3000),
});

type Env = z.infer<typeof schema>;

/** Every variable the worker reads, for the docs check. */
export const CONFIG_VARIABLES = Object.keys(schema.shape);

export interface LiveKitConfig {
  url: string;
  apiKey: string;
  apiSecret: string;
}

export interface Config {
  livekit: LiveKitConfig;
  agentName: string;
  /** Which engine serves each stage. */
  providers: Record<Stage, Provider>;
  openai: {
    /** Empty when no stage uses OpenAI. */
    apiKey: string;
    baseURL: string | undefined;
    sttModel: string;
    sttLanguage: string;
    llmModel: string;
    ttsModel: string;
    ttsVoice: string;
  };
  offline: {
    sttModelPath: string;
    llmModelPath: string;
    ttsVoice: OfflineVoice;
  };
  instructions: string;
  greeting: string;
  turnDetection: Env['TURN_DETECTION'];
  /** Who draws the face; `off`: the agent publishes its voice only. */
  avatarMode: AvatarMode;
  /** What the built-in renderer draws, in the job process (`local`) or in the avatar worker. */
  avatar: AvatarRendering;
  avatarWorker: AvatarWorkerConfig['avatarWorker'] & {
    /** Milliseconds the agent waits for a remote or cloud avatar to join. */
    joinTimeoutMs: number;
  };
  /** Set when AVATAR names a cloud provider. */
  cloudAvatar: CloudAvatarConfig | undefined;
  /** Port of the web app `npm start` serves. */
  webPort: number;
  worker: WorkerConfig & { port: number };
}

export type AvatarRendering = AvatarOptions & RendererChoice;

export interface WorkerConfig {
  idleProcesses: number | undefined;
  /** 0 = report CPU usage as the load. */
  maxSessions: number;
  logLevel: Env['LOG_LEVEL'];
  drainTimeoutMs: number;
  /** Prometheus /metrics port; 0 = off. */
  metricsPort: number;
}

/** What `npm run avatar-worker` reads: no models, only the room connection and the drawing. */
export interface AvatarWorkerConfig {
  livekit: LiveKitConfig;
  avatar: AvatarRendering;
  avatarWorker: { name: string; port: number; metricsPort: number };
  worker: WorkerConfig;
}

export interface CloudAvatarConfig {
  provider: CloudAvatarProvider;
  apiKey: string;
  avatarId: string | undefined;
  apiUrl: string | undefined;
}

/** A user mistake in the settings: printed as one line, never as a stack trace. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function validate<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const variable = String(issue?.path[0] ?? 'configuration');
  const value = env[variable];
  const got = value === undefined ? '' : ` (got "${value.length > 40 ? `${value.slice(0, 40)}…` : value}")`;
  throw new ConfigError(`${variable} ${issue?.message ?? 'is invalid'}${got}`);
}

const toLiveKit = (e: z.infer<typeof livekitSchema>): LiveKitConfig => ({
  url: e.LIVEKIT_URL,
  apiKey: e.LIVEKIT_API_KEY,
  apiSecret: e.LIVEKIT_API_SECRET,
});

/** Only the LiveKit connection settings, for tools that run no models (the local server). */
export function parseLiveKitConfig(env: NodeJS.ProcessEnv): LiveKitConfig {
  return toLiveKit(validate(livekitSchema, env));
}

function resolveProviders(e: Env): Record<Stage, Provider> {
  const fallback: Provider = e.MODEL_PROVIDER === 'auto' ? (e.OPENAI_API_KEY ? 'openai' : 'offline') : e.MODEL_PROVIDER;
  const providers = {
    stt: e.STT_PROVIDER ?? fallback,
    llm: e.LLM_PROVIDER ?? fallback,
    tts: e.TTS_PROVIDER ?? fallback,
  };
  const needsKey = STAGES.find((stage) => providers[stage] === 'openai');
  if (needsKey && !e.OPENAI_API_KEY) {
    const variable = e[`${needsKey.toUpperCase() as Uppercase<Stage>}_PROVIDER`]
      ? `${needsKey.toUpperCase()}_PROVIDER`
      : 'MODEL_PROVIDER';
    throw new ConfigError(
      `${variable}=openai needs OPENAI_API_KEY: set it in .env (see .env.example; any key an OpenAI-compatible OPENAI_BASE_URL accepts), or use offline`,
    );
  }
  return providers;
}

function offlineVoice(e: Env): OfflineVoice {
  const voice = e.TTS_VOICE ?? DEFAULT_OFFLINE_VOICE;
  if (!(OFFLINE_VOICES as readonly string[]).includes(voice)) {
    throw new ConfigError(
      `TTS_VOICE must be one of ${OFFLINE_VOICES.join(', ')} for the offline voice (got "${voice}")`,
    );
  }
  return voice as OfflineVoice;
}

const CLOUD_KEY_VARIABLES = {
  bey: 'BEY_API_KEY',
  anam: 'ANAM_API_KEY',
  lemonslice: 'LEMONSLICE_API_KEY',
  hedra: 'HEDRA_API_KEY',
} as const satisfies Record<CloudAvatarProvider, keyof Env>;

function cloudAvatar(e: Env): CloudAvatarConfig | undefined {
  const provider = e.AVATAR;
  if (!(CLOUD_AVATARS as readonly string[]).includes(provider)) return undefined;
  const keyVariable = CLOUD_KEY_VARIABLES[provider as CloudAvatarProvider];
  const apiKey = e[keyVariable];
  if (!apiKey) throw new ConfigError(`AVATAR=${provider} needs ${keyVariable}: set it in .env, or use AVATAR=local`);
  return { provider: provider as CloudAvatarProvider, apiKey, avatarId: e.AVATAR_ID, apiUrl: e.AVATAR_API_URL };
}

type AvatarWorkerEnv = z.infer<typeof avatarWorkerSchema>;

const toAvatarWorker = (e: AvatarWorkerEnv): AvatarWorkerConfig => ({
  livekit: toLiveKit(e),
  avatar: {
    width: e.AVATAR_WIDTH,
    height: e.AVATAR_HEIGHT,
    fps: e.AVATAR_FPS,
    sampleRate: AVATAR_SAMPLE_RATE,
    maxBitrate: e.AVATAR_MAX_BITRATE,
    renderer: e.AVATAR_RENDERER,
    character: e.AVATAR_CHARACTER ?? DEFAULT_CHARACTER_DIR,
  },
  avatarWorker: { name: e.AVATAR_WORKER_NAME, port: e.AVATAR_WORKER_PORT, metricsPort: e.AVATAR_METRICS_PORT },
  worker: {
    idleProcesses: e.WORKER_IDLE_PROCESSES,
    maxSessions: e.WORKER_MAX_SESSIONS,
    logLevel: e.LOG_LEVEL,
    drainTimeoutMs: e.WORKER_DRAIN_TIMEOUT * 1000,
    metricsPort: e.AVATAR_METRICS_PORT,
  },
});

export function parseAvatarWorkerConfig(env: NodeJS.ProcessEnv): AvatarWorkerConfig {
  return toAvatarWorker(validate(avatarWorkerSchema, env));
}

export function parseConfig(env: NodeJS.ProcessEnv): Config {
  const e = validate(schema, env);
  const providers = resolveProviders(e);
  const shared = toAvatarWorker(e);
  return {
    livekit: shared.livekit,
    agentName: e.AGENT_NAME,
    providers,
    openai: {
      apiKey: e.OPENAI_API_KEY ?? '',
      baseURL: e.OPENAI_BASE_URL,
      sttModel: e.STT_MODEL,
      sttLanguage: e.STT_LANGUAGE,
      llmModel: e.LLM_MODEL,
      ttsModel: e.TTS_MODEL,
      ttsVoice: e.TTS_VOICE ?? DEFAULT_OPENAI_VOICE,
    },
    offline: {
      sttModelPath: e.STT_MODEL_PATH ?? DEFAULT_STT_MODEL_PATH,
      llmModelPath: e.LLM_MODEL_PATH ?? DEFAULT_LLM_MODEL_PATH,
      ttsVoice: providers.tts === 'offline' ? offlineVoice(e) : DEFAULT_OFFLINE_VOICE,
    },
    instructions:
      e.AGENT_INSTRUCTIONS ?? (providers.llm === 'offline' ? DEFAULT_OFFLINE_INSTRUCTIONS : DEFAULT_INSTRUCTIONS),
    greeting: e.AGENT_GREETING,
    turnDetection: e.TURN_DETECTION,
    avatarMode: e.AVATAR,
    avatar: shared.avatar,
    avatarWorker: { ...shared.avatarWorker, joinTimeoutMs: e.AVATAR_JOIN_TIMEOUT * 1000 },
    cloudAvatar: cloudAvatar(e),
    webPort: e.WEB_PORT,
    worker: { ...shared.worker, port: e.WORKER_PORT, metricsPort: e.METRICS_PORT },
  };
}

/** Reads `.env` (the environment wins), validates, and on a mistake prints one line and exits 2. */
export function loadConfig<T = Config>(parse: (env: NodeJS.ProcessEnv) => T = parseConfig as never): T {
  loadDotenv({ quiet: true });
  try {
    return parse(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`config error: ${err.message}\n`);
    process.exit(2);
  }
}
