// Which engine serves each stage: OpenAI's plugin (OpenAI or a compatible server) or an offline engine
// on this machine, chosen stage by stage by the config.
import { type llm, log, type stt, type tts } from '@livekit/agents';
import type { Config } from '../config.ts';
import { errorText } from '../error_text.ts';
import { ChatModel } from '../offline/chat_model.ts';
import { Flite, OFFLINE_VOICES, type OfflineVoice, type Speech } from '../offline/flite.ts';
import { loadRecognizer } from '../offline/recognizer.ts';
import { GuardedLLM } from './guarded_llm.ts';
import { GuardedSTT } from './guarded_stt.ts';
import { GuardedTTS } from './guarded_tts.ts';
import { OfflineLLM } from './offline_llm.ts';
import { OfflineSTT, type SpeechRecognizer } from './offline_stt.ts';
import { OfflineTTS, TTS_APOLOGY } from './offline_tts.ts';
import { openaiLLM, openaiSTT, openaiTTS } from './openai_models.ts';
import { CLOUD_LIMITS, OFFLINE_LIMITS } from './stage_guard.ts';

/** The offline engines a job process loads once, before its job: only those the config uses. */
export interface OfflineEngines {
  recognizer?: SpeechRecognizer;
  chat?: ChatModel;
  flite?: Flite;
  /** TTS_APOLOGY in Flite's voice, for when the TTS itself fails (GuardedTTS); undefined if Flite failed too. */
  apology?: () => Promise<Speech | undefined>;
}

/** Loads and warms them: the first turn should not pay for thread start-up or the system prompt's prefill. */
export async function loadOfflineEngines({ providers, offline, instructions }: Config): Promise<OfflineEngines> {
  const flite = providers.tts === 'offline' ? new Flite() : undefined;
  const [recognizer, chat] = await Promise.all([
    providers.stt === 'offline' ? loadRecognizer(offline.sttModelPath) : undefined,
    providers.llm === 'offline' ? ChatModel.load(offline.llmModelPath) : undefined,
    flite?.synthesize(WARM_UP_TEXT, offline.ttsVoice),
  ]);
  await chat?.warmUp([{ role: 'system', content: instructions }]);
  return { recognizer, chat, flite, apology: recordApologyOnce(flite, offline.ttsVoice) };
}

/**
 * TTS_APOLOGY spoken by `flite`, or by a Flite started for it and stopped again (its thread costs ~100 MB
 * and a second or more of CPU to start): recorded the first time a TTS fails, then kept for the process.
 */
function recordApologyOnce(flite: Flite | undefined, voice: OfflineVoice): () => Promise<Speech | undefined> {
  let recorded: Promise<Speech | undefined> | undefined;
  const record = async () => {
    let own: Flite | undefined;
    try {
      own = flite ? undefined : new Flite();
      return await (flite ?? (own as Flite)).synthesize(TTS_APOLOGY, voice);
    } catch (err) {
      log().warn(`could not record the TTS apology (${errorText(err)}); its text is sent alone`);
      recorded = undefined; // the next failure tries again
      return undefined;
    } finally {
      await own?.close();
    }
  };
  return () => {
    recorded ??= record();
    return recorded;
  };
}

const WARM_UP_TEXT = 'Hello.';

export interface ModelChoices {
  /** The room's voice from its dispatch metadata; the configured one when absent. */
  voice?: string;
  /** Runs when the offline STT fails on an utterance (the agent asks the user to repeat). */
  onSttFailure?: () => void;
}

export interface SessionModels {
  stt: stt.STT;
  llm: llm.LLM;
  tts: tts.TTS;
}

/** One session's models; `engines` are what loadOfflineEngines gave for the same config. */
export function createModels(
  config: Config,
  engines: OfflineEngines,
  choices: ModelChoices,
  logger: ReturnType<typeof log>,
): SessionModels {
  const { providers, openai, offline } = config;
  const loaded = <T>(engine: T | undefined, stage: string): T => {
    if (!engine) throw new Error(`the offline ${stage} engine was not loaded for this config`);
    return engine;
  };
  return {
    stt:
      providers.stt === 'openai'
        ? openaiSTT(openai)
        : new OfflineSTT(loaded(engines.recognizer, 'STT'), openai.sttLanguage, choices.onSttFailure),
    llm: providers.llm === 'openai' ? openaiLLM(openai) : new OfflineLLM(loaded(engines.chat, 'LLM')),
    tts:
      providers.tts === 'openai'
        ? openaiTTS(openai, choices.voice ?? openai.ttsVoice)
        : new OfflineTTS(offlineVoice(offline.ttsVoice, choices.voice, logger), loaded(engines.flite, 'TTS')),
  };
}

/**
 * createModels' models, each guarded (stage_guard.ts): bounded waits by provider, and a short line to
 * the user instead of silence when a stage fails or hangs. `onSttFailure` says the STT's line.
 */
export function createGuardedModels(
  config: Config,
  engines: OfflineEngines,
  choices: ModelChoices,
  logger: ReturnType<typeof log>,
): SessionModels {
  const { stt, llm, tts } = createModels(config, engines, choices, logger);
  const { providers } = config;
  const limits = (provider: string) => (provider === 'openai' ? CLOUD_LIMITS : OFFLINE_LIMITS);
  return {
    stt: new GuardedSTT(stt, limits(providers.stt).stt, logger, choices.onSttFailure),
    llm: new GuardedLLM(llm, limits(providers.llm).llm, logger),
    tts: new GuardedTTS(tts, engines.apology ?? (async () => undefined), limits(providers.tts).tts, logger),
  };
}

function offlineVoice(configured: OfflineVoice, chosen: string | undefined, logger: ReturnType<typeof log>) {
  if (chosen === undefined || (OFFLINE_VOICES as readonly string[]).includes(chosen)) {
    return (chosen as OfflineVoice | undefined) ?? configured;
  }
  logger.warn(
    `dispatch metadata field "voice" must be one of ${OFFLINE_VOICES.join(', ')} offline; using ${configured}`,
  );
  return configured;
}

/** One line for the worker's log: which engine serves each stage. */
export function describeModels({ providers, openai, offline }: Config): string {
  const stt = providers.stt === 'openai' ? `openai ${openai.sttModel}` : `offline ${offline.sttModelPath}`;
  const llm = providers.llm === 'openai' ? `openai ${openai.llmModel}` : `offline ${offline.llmModelPath}`;
  const tts =
    providers.tts === 'openai'
      ? `openai ${openai.ttsModel} (${openai.ttsVoice})`
      : `offline flite (${offline.ttsVoice})`;
  return `STT ${stt}; LLM ${llm}; TTS ${tts}`;
}
