// `npm run bench -- pipeline`: the offline voice loop. Each engine alone first (the baseline), then
// spoken turns in a real room against a worker with every stage offline, measured at the subscriber.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initializeLogger } from '@livekit/agents';
import { AudioFrame } from '@livekit/rtc-node';
import type { LiveKitConfig } from '../src/config.ts';
import { ChatModel } from '../src/offline/chat_model.ts';
import { Flite, type FliteVoice } from '../src/offline/flite.ts';
import { DEFAULT_LLM_MODEL_PATH, DEFAULT_STT_MODEL_PATH } from '../src/offline/model_files.ts';
import { loadRecognizer } from '../src/offline/recognizer.ts';
import { OfflineSTT } from '../src/plugins/offline_stt.ts';
import { OfflineTTS } from '../src/plugins/offline_tts.ts';
import { percentile } from '../test/helpers/av_analysis.ts';
import { AvRecorder } from '../test/helpers/av_recorder.ts';
import { joinRoom, Microphone, uniqueRoom, waitForAgent } from '../test/helpers/participant.ts';
import { synthesize } from '../test/helpers/speech.ts';
import { startWorker } from '../test/helpers/worker.ts';
import { descendants, jobProcess, usage } from './processes.ts';
import type { Metrics } from './report.ts';
import { wordErrors, words } from './wer.ts';

const QUESTIONS = readFileSync(join(import.meta.dirname, 'data', 'questions.txt'), 'utf8')
  .trim()
  .split('\n');
/** Users' voices: Flite's, except slt, which is the agent's. */
const USER_VOICES: FliteVoice[] = ['kal16', 'awb', 'rms'];
/** Real read speech with transcripts, from Debian's pocketsphinx-testdata (when installed). */
const REAL_SPEECH = '/usr/share/pocketsphinx/test/data';
const TURNS = Number(process.env.BENCH_TURNS ?? 22);
const TTS_SENTENCE = 'The weather today is sunny and warm, perfect for a walk outside.';
const LLM_PROMPTS = [
  'Hi, who are you?',
  'Tell me a joke.',
  'How do I boil an egg?',
  'What can you do?',
  'Why is the sky blue?',
];
const REPEATS = 5;
const SOUND_RMS = 300;
/** Silence at the subscriber that marks the agent's answer as over. */
const ANSWER_OVER_MS = 1200;
const TURN_TIMEOUT_MS = 30_000;
const TRAILING_SILENCE = 200;
/** agents' VAD (Silero) starts each utterance 500 ms before the speech. */
const VAD_PRE_ROLL_MS = 500;
const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;
const median = (xs: number[]) => percentile(xs, 50);

interface Utterance {
  reference: string;
  pcm: Int16Array;
  sampleRate: number;
}

function wavPcm(path: string): { pcm: Int16Array; sampleRate: number } {
  const wav = readFileSync(path);
  const data = wav.indexOf('data') + 8;
  return {
    pcm: new Int16Array(wav.buffer.slice(wav.byteOffset + data, wav.byteOffset + wav.length)),
    sampleRate: wav.readUInt32LE(24),
  };
}

/** Debian's clips, each `<s> words </s> (id)` in a transcription file next to `<id>.wav`. */
function realSpeech(): Utterance[] {
  const sets = [
    ['librivox', 'transcription', (id: string) => `${id}.wav`],
    ['cards', 'cards.transcription', (id: string) => `${id}.wav`],
  ] as const;
  return sets.flatMap(([dir, list, file]) => {
    const path = join(REAL_SPEECH, dir, list);
    if (!existsSync(path)) return [];
    return readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .flatMap((line) => {
        const match = line.match(/<s>(.*)<\/s>\s*\((.+)\)/);
        if (!match) return [];
        return [
          { reference: (match[1] as string).trim(), ...wavPcm(join(REAL_SPEECH, dir, file(match[2] as string))) },
        ];
      });
  });
}

async function measureStt(): Promise<{ wer: number; realWer: number | null; ms: number; rtf: number; count: number }> {
  const recognizer = await loadRecognizer(DEFAULT_STT_MODEL_PATH);
  const stt = new OfflineSTT(recognizer, 'en');
  const synthetic: Utterance[] = [];
  for (const [i, text] of QUESTIONS.entries()) {
    synthetic.push({ reference: text, ...(await synthesize(text, USER_VOICES[i % USER_VOICES.length])) });
  }
  const real = realSpeech();
  let errors = 0;
  let total = 0;
  let realErrors = 0;
  let realTotal = 0;
  const times: number[] = [];
  let audioSeconds = 0;
  for (const u of [...synthetic, ...real]) {
    // As the VAD hands an utterance over: with its pre-roll of what came before the speech.
    const pcm = new Int16Array((u.sampleRate * VAD_PRE_ROLL_MS) / 1000 + u.pcm.length);
    pcm.set(u.pcm, pcm.length - u.pcm.length);
    const started = performance.now();
    const event = await stt.recognize([new AudioFrame(pcm, u.sampleRate, 1, pcm.length)]);
    times.push(performance.now() - started);
    audioSeconds += u.pcm.length / u.sampleRate;
    const ref = words(u.reference);
    const e = wordErrors(ref, words(event.alternatives?.[0]?.text ?? ''));
    errors += e;
    total += ref.length;
    if (real.includes(u)) {
      realErrors += e;
      realTotal += ref.length;
    }
  }
  await recognizer.close();
  return {
    wer: (100 * errors) / total,
    realWer: realTotal ? (100 * realErrors) / realTotal : null,
    ms: median(times),
    rtf: times.reduce((a, b) => a + b, 0) / 1000 / audioSeconds,
    count: synthetic.length + real.length,
  };
}

async function measureLlm(): Promise<{ ttft: number; tokensPerSecond: number; loadMs: number }> {
  const started = performance.now();
  const model = await ChatModel.load(DEFAULT_LLM_MODEL_PATH);
  const loadMs = performance.now() - started;
  const system = {
    role: 'system' as const,
    content: 'You are a friendly avatar. Reply in one or two short sentences.',
  };
  await model.warmUp([system]);
  const ttfts: number[] = [];
  let tokens = 0;
  let generating = 0;
  for (let r = 0; r < REPEATS; r++) {
    for (const prompt of LLM_PROMPTS) {
      const asked = performance.now();
      let first: number | undefined;
      let text = '';
      for await (const chunk of model.reply([system, { role: 'user', content: prompt }])) {
        first ??= performance.now();
        text += chunk;
      }
      if (first === undefined) continue;
      ttfts.push(first - asked);
      tokens += model.countTokens(text) - 1;
      generating += performance.now() - first;
    }
  }
  await model.close();
  return { ttft: median(ttfts), tokensPerSecond: tokens / (generating / 1000), loadMs };
}

async function measureTts(): Promise<{ ttfb: number; rawMs: number }> {
  const flite = new Flite();
  const tts = new OfflineTTS('slt', flite);
  await flite.synthesize('Warm up.', 'slt');
  const ttfbs: number[] = [];
  const raw: number[] = [];
  for (let r = 0; r < REPEATS * 2; r++) {
    const started = performance.now();
    for await (const _ of tts.synthesize(TTS_SENTENCE)) {
      ttfbs.push(performance.now() - started);
      break;
    }
    const engineStarted = performance.now();
    await flite.synthesize(TTS_SENTENCE, 'slt');
    raw.push(performance.now() - engineStarted);
  }
  await flite.close();
  return { ttfb: median(ttfbs), rawMs: median(raw) };
}

/** The speech without Flite's trailing silence, so its end is when the words end. */
function trimmed(pcm: Int16Array): Int16Array {
  let end = pcm.length;
  while (end > 0 && Math.abs(pcm[end - 1] as number) < TRAILING_SILENCE) end--;
  return pcm.slice(0, end);
}

interface TurnStages {
  sttMs?: number;
  llmFirstTokenMs?: number;
  ttsFirstAudioMs?: number;
  totalMs?: number;
}

async function measureTurns(livekit: LiveKitConfig, turnDetection: 'vad' | 'model') {
  const worker = await startWorker(livekit, {
    MODEL_PROVIDER: 'offline',
    OPENAI_API_KEY: '',
    AGENT_GREETING: '',
    TURN_DETECTION: turnDetection,
  });
  try {
    await worker.processesReady(1);
    const name = uniqueRoom('pipeline');
    const room = await joinRoom(livekit, { room: name, dispatch: { agentName: worker.agentName } });
    const agent = await waitForAgent(room, 30_000);
    const rec = new AvRecorder(room, agent, () => 0);
    const mic = await Microphone.publish(room, 16_000);
    const pid = await jobProcess(worker, name);
    // The worker replaces the process the job took, loading every model; turns are measured after that.
    await worker.processesReady(2);
    const latencies: number[] = [];
    let missed = 0;
    for (let turn = 0; turn < TURNS; turn++) {
      const text = QUESTIONS[turn % QUESTIONS.length] as string;
      const speech = await synthesize(text, USER_VOICES[turn % USER_VOICES.length]);
      const ended = await mic.say(trimmed(speech.pcm)).done;
      const answer = await rec
        .waitForAudio((s) => s.at > ended && s.rms > SOUND_RMS, TURN_TIMEOUT_MS)
        .catch(() => undefined);
      if (!answer) {
        missed++;
        continue;
      }
      latencies.push(answer.at - ended);
      let lastSound = answer.at;
      await rec.waitForAudio((s) => {
        if (s.rms > SOUND_RMS) lastSound = s.at;
        return s.at - lastSound >= ANSWER_OVER_MS;
      }, 60_000);
    }
    const processes = [pid, ...descendants(pid)].flatMap((p) => usage(p) ?? []);
    const rssMB = processes.reduce((sum, p) => sum + p.rssMB, 0);
    const stages = worker
      .lines(new RegExp(`"room":"${name}".*"turn timings"`))
      .map((line) => (JSON.parse(line) as { turn: TurnStages }).turn)
      .filter((t) => t.sttMs !== undefined);
    await rec.close();
    await mic.close();
    await room.disconnect();
    return { latencies, missed, rssMB, stages };
  } finally {
    await worker.stop();
  }
}

export async function run(livekit: LiveKitConfig): Promise<Metrics> {
  initializeLogger({ pretty: false, level: 'fatal' });
  console.log('» STT alone (word error rate)');
  const stt = await measureStt();
  console.log(`  ${JSON.stringify(stt)}`);
  console.log('» LLM alone');
  const llm = await measureLlm();
  console.log(`  ${JSON.stringify(llm)}`);
  console.log('» TTS alone');
  const tts = await measureTts();
  console.log(`  ${JSON.stringify(tts)}`);
  console.log(`» ${TURNS} spoken turns in a live room, turns ended by silence (TURN_DETECTION=vad)`);
  const turns = await measureTurns(livekit, 'vad');
  console.log(`» ${TURNS} spoken turns, turns ended by LiveKit's end-of-turn model (TURN_DETECTION=model)`);
  const modelTurns = await measureTurns(livekit, 'model');
  const stage = (key: keyof TurnStages) => round(median(turns.stages.flatMap((t) => t[key] ?? [])));
  return {
    turn_p50_ms: { value: round(percentile(turns.latencies, 50)), unit: 'ms (TURN_DETECTION=vad)', goal: '<= 1000' },
    turn_p90_ms: { value: round(percentile(turns.latencies, 90)), unit: 'ms', goal: '<= 1600' },
    turns_measured: { value: turns.latencies.length, unit: 'turns', goal: `>= 20 (${turns.missed} unanswered)` },
    turn_eot_model_p50_ms: {
      value: round(percentile(modelTurns.latencies, 50)),
      unit: 'ms',
      goal: `report (${modelTurns.latencies.length} turns; the model holds up to 2.5 s when unsure)`,
    },
    turn_eot_model_p90_ms: { value: round(percentile(modelTurns.latencies, 90)), unit: 'ms', goal: 'report' },
    turn_stage_stt_ms: { value: stage('sttMs'), unit: 'ms', goal: 'report (end of speech → transcript, in the room)' },
    turn_stage_llm_ttft_ms: { value: stage('llmFirstTokenMs'), unit: 'ms', goal: 'report (in the room)' },
    turn_stage_tts_ttfb_ms: { value: stage('ttsFirstAudioMs'), unit: 'ms', goal: 'report (in the room)' },
    stt_wer_pct: { value: round(stt.wer, 1), unit: '%', goal: `report; lower is better (${stt.count} utterances)` },
    stt_real_speech_wer_pct: {
      value: stt.realWer === null ? null : round(stt.realWer, 1),
      unit: '%',
      goal: 'report (Debian test clips)',
    },
    stt_median_ms: { value: round(stt.ms), unit: 'ms', goal: 'report (alone)' },
    stt_rtf: { value: round(stt.rtf, 3), unit: 'x', goal: 'report (alone)' },
    llm_ttft_ms: { value: round(llm.ttft), unit: 'ms', goal: 'report (alone, system prompt cached)' },
    llm_tokens_per_s: { value: round(llm.tokensPerSecond, 1), unit: 'tok/s', goal: 'report (alone, 1 thread)' },
    llm_load_ms: { value: round(llm.loadMs), unit: 'ms', goal: 'report' },
    tts_ttfb_ms: { value: round(tts.ttfb), unit: 'ms', goal: '<= 150' },
    tts_engine_ms: { value: round(tts.rawMs), unit: 'ms', goal: 'report (Flite alone, whole sentence)' },
    worker_rss_mb: { value: round(turns.rssMB), unit: 'MB', goal: '<= 1500 (job process + recognizer)' },
  };
}
