// `npm run bench -- load`: how many avatar sessions one worker serves on this machine. N rooms at once,
// each with one person who watches the avatar (an rtc-node subscriber recording its audio and video) and
// talks to it (questions spoken into a microphone whenever the agent listens). The agent runs as in
// production (its real worker, one job process per room, the built-in character, Flite for its voice,
// VAD), with STT and LLM served by the OpenAI fixture, so that the avatar is what is measured. N grows
// (LOAD_STEPS) until the median session falls below 29 fps or its A/V offset moves more than one frame
// from the one-room baseline of the same run; CPU and memory of the worker's processes at each step.
// With LOAD_SOAK_MINUTES the largest passing N (or LOAD_SOAK_ROOMS) then talks that long in a fresh
// worker, and the growth of its memory is the soak figure.
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { VideoFrame } from '@livekit/rtc-node';
import { readMouthOpenness } from '../src/avatar/renderers/mouth_block.ts';
import type { LiveKitConfig } from '../src/config.ts';
import { resampleMono } from '../src/offline/resample.ts';
import { FIXTURE_API_KEY, type OpenAIFixture, startOpenAIFixture } from '../test/fixtures/openai_fixture.ts';
import { epochNow } from '../test/helpers/av_recorder.ts';
import { synthesize } from '../test/helpers/speech.ts';
import { type RunningWorker, startWorker } from '../test/helpers/worker.ts';
import { characterMouthArea } from './load/character_mouth.ts';
import { median, type RoomFigures, roomFigures } from './load/figures.ts';
import { cpuPercent, cpuSnapshot, MachineCpu, memoryOf } from './load/machine.ts';
import { type Growth, MemoryTrend } from './load/memory_trend.ts';
import { LoadSession, type Question } from './load/session.ts';
import { WorkerLines } from './load/worker_lines.ts';
import { groupPids } from './processes.ts';
import type { Metrics } from './report.ts';

const FPS = 30;
const FRAME_MS = 1000 / FPS;
/** The avatar's video size (the default); frames at another size came on a lower layer. */
const VIDEO_SIZE = 512;
/** A session passes when its subscriber gets at least this many frames per second (median room). */
const MIN_FPS = 29;
const envNumber = (name: string, fallback: number) => {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number ≥ 0 (got "${raw}")`);
  return value;
};
/** Rooms at each step; the ramp stops at the first step that fails. 1 is the baseline and always runs. */
const STEPS = [
  ...new Set([
    1,
    ...(process.env.LOAD_STEPS ?? '2,3,4,5,6,8,10,12,15,18')
      .split(',')
      .filter((s) => s.trim() !== '')
      .map((s) => {
        const n = Number(s);
        if (!Number.isInteger(n) || n < 1) throw new Error(`LOAD_STEPS: "${s}" is not a room count`);
        return n;
      }),
  ]),
].sort((a, b) => a - b);
const STEP_MS = envNumber('LOAD_STEP_SECONDS', 60) * 1000;
/** The baseline is measured twice as long: every later step is judged against it. */
const BASELINE_MS = 2 * STEP_MS;
const SOAK_MINUTES = envNumber('LOAD_SOAK_MINUTES', 0);
/** What the avatar draws: the built-in character (what people see; default) or the measuring block. */
const RENDERER = process.env.LOAD_RENDERER === 'mouth-block' ? 'mouth-block' : 'character';
/** Warm job processes the worker keeps ready, as in production; constant, so memory per room is what rooms add. */
const IDLE_PROCESSES = 2;
/** Joining a room waits for a job process, which warms one at a time on a busy machine. */
const OPEN_TIMEOUT_MS = 180_000;
/** agents' debug line when a job process has run its prewarm (as test/helpers/worker.ts reads it). */
const PROCESS_READY = /job runner initialized/;
/** agents' lines when a process did not warm within its 10 s (it kills it and starts another). */
const PROCESS_FAILED = /runner initialization timed out|process exited before initializing/;
const WARM_TIMEOUT_MS = 180_000;
/**
 * After each room's first reply: the subscribers' jitter buffers and the new processes settle. In the
 * first half minute after rooms opened, offsets read 100 ms and more off and frames came at lower layers.
 */
const SETTLE_MS = 30_000;
const SOAK_SAMPLE_MS = 10_000;
/**
 * The soak counts from this long after its rooms opened: until then V8 still grows and trims the heaps
 * the start-up left (100–150 MB more RSS in the first minutes of our runs), which would hide a leak.
 */
const SOAK_WARM_UP_MS = Math.min(2 * 60_000, (SOAK_MINUTES * 60_000) / 5);
/** The soak compares its first and last five minutes (a third each of a shorter soak). */
const SOAK_EDGE_MS = Math.min(5 * 60_000, (SOAK_MINUTES * 60_000) / 3);
const SOAK_REPORT_MS = 60_000;
const QUESTION_COUNT = 8;
/** The question voice: Flite's kal16, unlike the agent's (slt), at its own 16 kHz. */
const QUESTION_RATE = 16_000;
/** Sentences per reply: about 9 s of Flite speech. */
const REPLY_SENTENCES = 3;
/**
 * livekit-server takes one UDP port per peer connection and each participant has two (publish,
 * subscribe): four per room, plus margin.
 */
export const udpPorts = 4 * Math.max(...STEPS, envNumber('LOAD_SOAK_ROOMS', 0)) + 20;

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
const lines = (file: string) =>
  readFileSync(new URL(`data/${file}`, import.meta.url), 'utf8')
    .trim()
    .split('\n');

/** What the subscribers received in a step. */
interface Received {
  rooms: number;
  fpsMedian: number;
  fpsMin: number;
  senderFps: number;
  fullSizePct: number;
  frameIntervalP99: number;
  offsetMs: number;
  offsetRooms: number;
  correlation: number;
  offsetSpreadMs: number;
  replyLatencyMs: number;
  replies: number;
  unanswered: number;
}

/** What it cost. */
interface Usage {
  /** % of one core: the worker's processes per room, livekit-server, this process, the whole machine. */
  cpuPerRoom: number;
  cpuServer: number;
  cpuBench: number;
  cpuMachine: number;
  /** The rest of the machine: anything else running takes these cores from the rooms. */
  cpuOthers: number;
  /** The job processes of the rooms, mean per room, and every process of the worker together, MB. */
  rssPerRoom: number;
  pssPerRoom: number;
  workerRss: number;
  workerPss: number;
  /** This process's event loop, p99 ms: when high, its arrival times are late and its figures suspect. */
  loopDelayP99: number;
  /** Processes that failed to warm while the step's rooms opened (a saturated machine). */
  warmFailures: number;
}

type Step = Received & Usage;

function summarize(rooms: number, figures: RoomFigures[]): Received {
  const offsets = figures.flatMap((f) => (f.offsetMs === undefined ? [] : [f.offsetMs]));
  const latencies = figures.flatMap((f) => f.replyLatencies);
  return {
    rooms,
    fpsMedian: median(figures.map((f) => f.fps)),
    fpsMin: Math.min(...figures.map((f) => f.fps)),
    senderFps: median(figures.flatMap((f) => (f.senderFps === undefined ? [] : [f.senderFps]))),
    fullSizePct: median(figures.map((f) => f.fullSizePct)),
    frameIntervalP99: median(figures.map((f) => f.frameIntervalP99)),
    offsetMs: median(offsets),
    offsetRooms: offsets.length,
    correlation: median(figures.map((f) => f.correlation)),
    offsetSpreadMs: median(figures.map((f) => f.offsetSpreadMs)),
    replyLatencyMs: median(latencies),
    replies: latencies.length,
    unanswered: figures.reduce((n, f) => n + f.unanswered, 0),
  };
}

/** A worker, its rooms, and what it takes to measure them. */
class Load {
  readonly sessions: LoadSession[] = [];
  readonly #lines: WorkerLines<'ready' | 'failed'>;
  #jobsTaken = 0;

  constructor(
    readonly livekit: LiveKitConfig,
    readonly worker: RunningWorker,
    readonly questions: Question[],
    readonly serverPid: number | undefined,
  ) {
    this.#lines = new WorkerLines(worker, { ready: PROCESS_READY, failed: PROCESS_FAILED });
  }

  /** Opens rooms until there are `n`, each conversing, the worker's warm processes replaced, every new room answered. */
  async grow(n: number): Promise<void> {
    const readMouth: (frame: VideoFrame) => number = RENDERER === 'character' ? characterMouthArea : readMouthOpenness;
    const opening = Array.from({ length: n - this.sessions.length }, () =>
      LoadSession.open(this.livekit, this.worker.agentName, QUESTION_RATE, readMouth, OPEN_TIMEOUT_MS),
    );
    this.#jobsTaken += opening.length;
    const opened = await Promise.allSettled(opening);
    const added = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    this.sessions.push(...added);
    const failed = opened.find((o) => o.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const joinedAt = epochNow();
    for (const s of added) s.converse(this.questions);
    // On 2 cores a process warming up starves the running rooms for seconds: not what a step measures.
    await this.#lines
      .waitFor('ready', this.#jobsTaken + IDLE_PROCESSES, WARM_TIMEOUT_MS)
      .catch(() =>
        console.log('  warning: the worker has not warmed its replacement processes; measuring during the warm-up'),
      );
    await Promise.all(added.map((s) => s.heardAfter(joinedAt, OPEN_TIMEOUT_MS)));
    await sleep(SETTLE_MS);
  }

  /** Processes that failed to warm so far. */
  warmFailures(): number {
    return this.#lines.count('failed');
  }

  /** Measures every room over the next `ms`. */
  async measure(ms: number, warmFailuresBefore: number): Promise<Step> {
    const group = () => groupPids(this.worker);
    const self = () => [process.pid];
    const server = () => (this.serverPid ? [this.serverPid] : []);
    const before = { group: cpuSnapshot(group()), self: cpuSnapshot(self()), server: cpuSnapshot(server()) };
    const machine = new MachineCpu();
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const from = epochNow();
    await sleep(ms);
    const to = epochNow();
    loop.disable();
    const seconds = (to - from) / 1000;
    const cpu = (pids: () => number[], start: Map<number, number>) => cpuPercent(start, cpuSnapshot(pids()), seconds);
    const cpuGroup = cpu(group, before.group);
    const cpuServer = cpu(server, before.server);
    const cpuBench = cpu(self, before.self);
    const cpuMachine = machine.percent(availableParallelism());
    // Read now, not when the rooms opened: a job whose process failed is relaunched in another.
    const rooms = memoryOf(this.sessions.flatMap((s) => this.#lines.roomPids.get(s.name) ?? []));
    const all = memoryOf(group());
    const n = this.sessions.length;
    const figures = this.sessions.map((s) => roomFigures(s, from, to, VIDEO_SIZE));
    for (const s of this.sessions) {
      for (const problem of s.problems.splice(0)) console.log(`  ${problem}`);
      s.forget(to);
    }
    return {
      ...summarize(n, figures),
      cpuPerRoom: cpuGroup / n,
      cpuServer,
      cpuBench,
      cpuMachine,
      cpuOthers: Math.max(0, cpuMachine - cpuGroup - cpuServer - cpuBench),
      rssPerRoom: rooms.rssMB / n,
      pssPerRoom: rooms.pssMB / n,
      workerRss: all.rssMB,
      workerPss: all.pssMB,
      loopDelayP99: loop.percentile(99) / 1e6,
      warmFailures: this.warmFailures() - warmFailuresBefore,
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.sessions.map((s) => s.close().catch(() => {})));
    await this.worker.stop();
  }
}

function describe(step: Step, baseline: Step | undefined): string {
  const shift = baseline
    ? ` (${step.offsetMs - baseline.offsetMs >= 0 ? '+' : ''}${round(step.offsetMs - baseline.offsetMs)})`
    : '';
  return [
    `N=${step.rooms}`,
    `fps ${round(step.fpsMedian)} (min ${round(step.fpsMin)}, sent ${round(step.senderFps)}, full size ${round(step.fullSizePct, 0)} %, p99 interval ${round(step.frameIntervalP99, 0)} ms)`,
    `offset ${round(step.offsetMs)} ms${shift} [${step.offsetRooms} rooms, correlation ${round(step.correlation, 2)}, 10 s windows spread ${round(step.offsetSpreadMs, 0)} ms]`,
    `reply ${round(step.replyLatencyMs, 0)} ms (${step.replies} replies, ${step.unanswered} unanswered)`,
    `CPU/room ${round(step.cpuPerRoom)} %, server ${round(step.cpuServer)} %, bench ${round(step.cpuBench)} %, others ${round(step.cpuOthers)} %, machine ${round(step.cpuMachine)} % of ${availableParallelism() * 100}`,
    `RSS/room ${round(step.rssPerRoom, 0)} MB (PSS ${round(step.pssPerRoom, 0)}), worker total ${round(step.workerRss, 0)} MB (PSS ${round(step.workerPss, 0)})`,
    `bench loop p99 ${round(step.loopDelayP99, 0)} ms`,
    ...(step.warmFailures > 0 ? [`${step.warmFailures} process warm-ups timed out`] : []),
  ].join('; ');
}

/** Why a step fails against the baseline, or undefined when it passes. */
function verdict(step: Step, baseline: Step): string | undefined {
  if (!(step.fpsMedian >= MIN_FPS)) return `median room at ${round(step.fpsMedian)} fps, below ${MIN_FPS}`;
  if (Number.isNaN(step.offsetMs)) return 'no room had a window with speech to read the offset from';
  const shift = step.offsetMs - baseline.offsetMs;
  if (Math.abs(shift) > FRAME_MS) return `offset moved ${round(shift)} ms from N=1, more than one frame`;
  return undefined;
}

async function questions(): Promise<Question[]> {
  const texts = lines('questions.txt').slice(0, QUESTION_COUNT);
  return Promise.all(
    texts.map(async (text) => {
      const speech = await synthesize(text, 'kal16');
      return { pcm: resampleMono(speech.pcm, speech.sampleRate, QUESTION_RATE), sampleRate: QUESTION_RATE };
    }),
  );
}

function startFixture(): Promise<OpenAIFixture> {
  const sentences = lines('sentences.txt');
  let replies = 0;
  return startOpenAIFixture({
    transcript: () => 'What is the weather going to be like tomorrow morning?',
    reply: () => {
      const at = (replies++ * REPLY_SENTENCES) % sentences.length;
      return [...sentences, ...sentences].slice(at, at + REPLY_SENTENCES).join(' ');
    },
  });
}

function startLoadWorker(livekit: LiveKitConfig, fixture: OpenAIFixture, maxSessions: number) {
  return startWorker(livekit, {
    OPENAI_API_KEY: FIXTURE_API_KEY,
    OPENAI_BASE_URL: fixture.baseURL,
    STT_PROVIDER: 'openai',
    LLM_PROVIDER: 'openai',
    // A real voice, synthesized in each job process: its envelope is what the mouth follows.
    TTS_PROVIDER: 'offline',
    TURN_DETECTION: 'vad',
    AVATAR: 'local',
    AVATAR_RENDERER: RENDERER,
    AVATAR_FPS: String(FPS),
    WORKER_IDLE_PROCESSES: String(IDLE_PROCESSES),
    WORKER_MAX_SESSIONS: String(maxSessions),
    // Debug: PROCESS_READY is agents' debug line of a warmed process.
    LOG_LEVEL: 'debug',
  });
}

interface Failure {
  rooms: number;
  reason: string;
  /** What was measured, when the rooms opened. */
  step?: Step;
}

interface Soak {
  rooms: number;
  minutes: number;
  growth: Growth;
  fpsFirst: number;
  fpsLast: number;
  offsetShiftMs: number;
}

async function soak(load: Load, minutes: number): Promise<Soak> {
  const memory = new MemoryTrend();
  const minutesOf: Step[] = [];
  console.log(`  warming up for ${round(SOAK_WARM_UP_MS / 60_000)} min (not counted)`);
  await load.measure(SOAK_WARM_UP_MS, load.warmFailures());
  const start = epochNow();
  const end = start + minutes * 60_000;
  const sample = () => memory.sample(groupPids(load.worker), epochNow());
  sample();
  while (epochNow() < end) {
    // Each minute is measured as a ramp step is; memory is sampled throughout.
    const sampler = setInterval(sample, SOAK_SAMPLE_MS);
    const step = await load.measure(Math.min(SOAK_REPORT_MS, end - epochNow()), load.warmFailures());
    clearInterval(sampler);
    sample();
    minutesOf.push(step);
    const elapsed = (epochNow() - start) / 60_000;
    console.log(`  ${round(elapsed)} min: ${describe(step, minutesOf[0])}`);
  }
  const growth = memory.growth(start, end, SOAK_EDGE_MS);
  const edgeSteps = Math.max(1, Math.round(SOAK_EDGE_MS / SOAK_REPORT_MS));
  const fps = (steps: Step[]) => median(steps.map((s) => s.fpsMedian));
  const offset = (steps: Step[]) => median(steps.map((s) => s.offsetMs));
  const first = minutesOf.slice(0, edgeSteps);
  const last = minutesOf.slice(-edgeSteps);
  console.log(
    `  memory: ${growth.processes} processes lived through the soak (${growth.changed} came or went, not counted); RSS ${round(growth.firstRssMB, 0)} MB at the start, ${round(growth.rssMB)} MB growth (slope ${round(growth.rssSlopeMB)} MB), PSS ${round(growth.pssMB)} MB`,
  );
  return {
    rooms: load.sessions.length,
    minutes,
    growth,
    fpsFirst: fps(first),
    fpsLast: fps(last),
    offsetShiftMs: offset(last) - offset(first),
  };
}

export async function run(livekit: LiveKitConfig, context: { serverPid?: number } = {}): Promise<Metrics> {
  const started = performance.now();
  const elapsed = () => `${Math.round((performance.now() - started) / 1000)} s`;
  const fixture = await startFixture();
  const asked = await questions();
  const steps: Step[] = [];
  let failure: Failure | undefined;
  let load: Load | undefined;
  let soaked: Soak | undefined;
  let soakFailure: string | undefined;
  try {
    load = new Load(livekit, await startLoadWorker(livekit, fixture, Math.max(...STEPS)), asked, context.serverPid);
    console.log(
      `» ramp: ${STEPS.join(', ')} rooms, ${STEP_MS / 1000} s each (baseline ${BASELINE_MS / 1000} s), renderer ${RENDERER}`,
    );
    for (const n of STEPS) {
      console.log(`» ${n} rooms: opening (${elapsed()}; load average ${round(loadavg()[0] ?? 0)})`);
      const warmFailures = load.warmFailures();
      try {
        await load.grow(n);
      } catch (err) {
        failure = { rooms: n, reason: `rooms did not open: ${(err as Error).message.split('\n')[0]}` };
        console.log(`  N=${n}: ${failure.reason}`);
        break;
      }
      const step = await load.measure(n === 1 ? BASELINE_MS : STEP_MS, warmFailures);
      console.log(`  ${describe(step, steps[0])}`);
      const why = verdict(step, steps[0] ?? step);
      if (why) {
        failure = { rooms: n, reason: why, step };
        console.log(`  N=${n} fails: ${why}`);
        break;
      }
      steps.push(step);
    }
    await load.close();
    load = undefined;
    const soakRooms = envNumber('LOAD_SOAK_ROOMS', 0) || Math.max(1, steps.at(-1)?.rooms ?? 1);
    if (SOAK_MINUTES > 0) {
      console.log(`» soak: ${soakRooms} rooms for ${SOAK_MINUTES} min in a fresh worker (${elapsed()})`);
      load = new Load(livekit, await startLoadWorker(livekit, fixture, soakRooms), asked, context.serverPid);
      try {
        await load.grow(soakRooms);
        soaked = await soak(load, SOAK_MINUTES);
      } catch (err) {
        soakFailure = (err as Error).message.split('\n')[0];
        console.log(`  the soak did not run: ${soakFailure}`);
      }
      await load.close();
      load = undefined;
    }
    console.log(`» done (${elapsed()})`);
  } finally {
    await load?.close();
    await fixture.close();
  }
  return metrics(steps, failure, soaked, soakFailure);
}

function metrics(
  steps: Step[],
  failure: Failure | undefined,
  soaked: Soak | undefined,
  soakFailure: string | undefined,
): Metrics {
  const failed = failure?.step;
  const baseline = steps[0] ?? failed;
  const best = steps.at(-1);
  const frame = round(FRAME_MS);
  const ramp = `ramp ${STEPS.join(', ')}; ${failure ? `N = ${failure.rooms} failed: ${failure.reason}` : 'no step failed: at least this many'}`;
  const atBest = (f: (s: Step) => number, digits = 1) => (best ? round(f(best), digits) : null);
  const atFailed = (f: (s: Step) => number, digits = 1) => (failed ? round(f(failed), digits) : null);
  const shift = (s: Step) => s.offsetMs - (baseline as Step).offsetMs;
  return {
    max_sessions: {
      value: best?.rooms ?? 0,
      unit: `rooms at >= ${MIN_FPS} fps (median room) and offset within one frame of N=1 (${ramp}; 2 cores, ${RENDERER} at ${VIDEO_SIZE}×${VIDEO_SIZE}/${FPS})`,
      goal: '>= 15',
    },
    fps_at_max: {
      value: atBest((s) => s.fpsMedian),
      unit: 'fps at the subscriber (median room)',
      goal: `>= ${MIN_FPS}`,
    },
    fps_min_room_at_max: { value: atBest((s) => s.fpsMin), unit: 'fps (worst room)', goal: 'report' },
    fps_baseline: { value: baseline ? round(baseline.fpsMedian) : null, unit: 'fps (N=1)', goal: 'report (baseline)' },
    fps_ratio_at_max: {
      value: best && baseline ? round(best.fpsMedian / baseline.fpsMedian, 3) : null,
      unit: 'ratio (at max / N=1)',
      goal: 'report',
    },
    av_offset_shift_at_max_ms: {
      value: atBest(shift),
      unit: 'ms (median room offset at max − N=1 offset; rtc-node subscriber, + = audio early)',
      goal: `|x| <= ${frame}`,
    },
    av_offset_baseline_ms: {
      value: baseline ? round(baseline.offsetMs) : null,
      unit: 'ms (N=1, rtc-node subscriber: no lip-sync stage, reads about −45 ms and wanders; judged by the shift)',
      goal: 'report (baseline)',
    },
    reply_latency_at_max_ms: {
      value: atBest((s) => s.replyLatencyMs, 0),
      unit: 'ms (end of question → first sound of the reply at the subscriber, median)',
      goal: 'report',
    },
    reply_latency_baseline_ms: {
      value: baseline ? round(baseline.replyLatencyMs, 0) : null,
      unit: 'ms (N=1)',
      goal: 'report (baseline)',
    },
    fps_at_first_failing: {
      value: atFailed((s) => s.fpsMedian),
      unit: 'fps (median room, first failing N)',
      goal: 'report',
    },
    av_offset_shift_at_first_failing_ms: { value: atFailed(shift), unit: 'ms (first failing N)', goal: 'report' },
    cpu_per_session_pct: {
      value: atBest((s) => s.cpuPerRoom),
      unit: "% of one core (worker's processes at max / rooms)",
      goal: 'report',
    },
    cpu_machine_at_max_pct: {
      value: atBest((s) => s.cpuMachine, 0),
      unit: '% of one core, whole machine (200 = both cores), incl. livekit-server and the subscribers',
      goal: 'report',
    },
    cpu_bench_at_max_pct: {
      value: atBest((s) => s.cpuBench),
      unit: '% of one core (this process: N subscribers decoding 512×512 video, N microphones)',
      goal: 'report',
    },
    cpu_others_at_max_pct: {
      value: atBest((s) => s.cpuOthers),
      unit: '% of one core (the rest of the machine; should be near 0 for a valid run)',
      goal: 'report',
    },
    cpu_server_at_max_pct: {
      value: atBest((s) => s.cpuServer),
      unit: '% of one core (livekit-server)',
      goal: 'report',
    },
    rss_per_session_mb: {
      value: atBest((s) => s.rssPerRoom, 0),
      unit: "MB (RSS of a room's job process, mean at max)",
      goal: 'report',
    },
    pss_per_session_mb: {
      value: atBest((s) => s.pssPerRoom, 0),
      unit: 'MB (PSS: shared libraries divided among the processes)',
      goal: 'report',
    },
    worker_rss_at_max_mb: {
      value: atBest((s) => s.workerRss, 0),
      unit: `MB (every process of the worker: main, job processes, ${IDLE_PROCESSES} warm)`,
      goal: 'report',
    },
    soak_rss_growth_mb: {
      value: soaked ? round(soaked.growth.rssMB) : null,
      unit: soaked
        ? `MB (RSS of the worker's processes that lived throughout, mean of the last ${round(SOAK_EDGE_MS / 60_000)} min − the first; ${soaked.rooms} rooms talking for ${soaked.minutes} min)`
        : soakFailure
          ? `MB (the soak did not run: ${soakFailure})`
          : 'MB (not run: set LOAD_SOAK_MINUTES=30)',
      goal: '<= 50',
    },
    soak_rss_slope_growth_mb: {
      value: soaked ? round(soaked.growth.rssSlopeMB) : null,
      unit: 'MB (least-squares slope over the soak × its length)',
      goal: 'report',
    },
    soak_pss_growth_mb: {
      value: soaked ? round(soaked.growth.pssMB) : null,
      unit: 'MB (same windows, PSS)',
      goal: 'report',
    },
    soak_rss_start_mb: {
      value: soaked ? round(soaked.growth.firstRssMB, 0) : null,
      unit: soaked
        ? `MB (${soaked.growth.processes} processes, first window; ${soaked.growth.changed} others came or went)`
        : 'MB',
      goal: 'report',
    },
    soak_fps_change: {
      value: soaked ? round(soaked.fpsLast - soaked.fpsFirst, 2) : null,
      unit: soaked ? `fps (median room, last − first window; first ${round(soaked.fpsFirst)})` : 'fps',
      goal: 'report',
    },
    soak_offset_shift_ms: {
      value: soaked ? round(soaked.offsetShiftMs) : null,
      unit: 'ms (last − first window)',
      goal: 'report',
    },
  };
}
