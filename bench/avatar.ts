// `npm run bench -- avatar`: the avatar against an audio-only agent, in one run on one server. Both
// workers speak the same fixture voice; an rtc-node subscriber records what arrives.
import { readdirSync, readFileSync } from 'node:fs';
import type { Room } from '@livekit/rtc-node';
import { joinToken } from '../scripts/lib/tokens.ts';
import type { LiveKitConfig } from '../src/config.ts';
import { FIXTURE_API_KEY, type OpenAIFixture, startOpenAIFixture } from '../test/fixtures/openai_fixture.ts';
import { avOffset, type Offset, percentile, quietFrom } from '../test/helpers/av_analysis.ts';
import { type AudioSample, AvRecorder, type VideoSample } from '../test/helpers/av_recorder.ts';
import { joinRoom, sendChat, uniqueRoom, waitForAgent } from '../test/helpers/participant.ts';
import { type RunningWorker, startWorker } from '../test/helpers/worker.ts';
import { openViewer } from './browser/viewer.ts';
import type { Metrics } from './report.ts';

const FPS = 30;
const SOUND_RMS = 300;
const MOUTH_AT_REST = 0.08;
const FIRST_AUDIO_ROUNDS = 5;
const INTERRUPT_ROUNDS = 5;
const CPU_WINDOW_MS = 30_000;
const MONOLOGUE_MS = Number(process.env.BENCH_MONOLOGUE_MS ?? 5 * 60_000);
const OFFSET_WINDOW_MS = 20_000;
const BROWSER_MS = Number(process.env.BENCH_BROWSER_MS ?? 60_000);
const SETTLE_MS = 5_000;
const CLOCK_TICKS = 100;
const PAGE_KB = 4;

const SENTENCE = 'The avatar keeps talking so the benchmark can listen. ';
/** The fixture voices 55 ms per character. */
const textFor = (ms: number) => SENTENCE.repeat(Math.ceil(ms / 55 / SENTENCE.length));
const median = (xs: number[]) => percentile(xs, 50);
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Processes of a worker: its own process group (the worker, warm processes and job processes). */
function groupPids(worker: RunningWorker): number[] {
  const pgid = worker.process.pid as number;
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((d) => {
      try {
        const fields = readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
        return Number(fields[2]) === pgid ? [Number(d)] : [];
      } catch {
        return [];
      }
    });
}

interface Usage {
  pid: number;
  cpuSeconds: number;
  rssMB: number;
}

function usage(pid: number): Usage | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return {
      pid,
      cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS,
      rssMB: (Number(fields[21]) * PAGE_KB) / 1024,
    };
  } catch {
    return undefined; // the process ended between listing and reading
  }
}

function groupUsage(worker: RunningWorker): { cpuSeconds: number; processes: Usage[] } {
  const processes = groupPids(worker).flatMap((pid) => usage(pid) ?? []);
  return { cpuSeconds: processes.reduce((sum, p) => sum + p.cpuSeconds, 0), processes };
}

/** The job process of the live session: the group member (not the worker) busiest over the next `ms`. */
async function jobProcess(worker: RunningWorker, ms = 2000): Promise<Usage | undefined> {
  const before = groupUsage(worker).processes.filter((p) => p.pid !== worker.process.pid);
  await new Promise((resolve) => setTimeout(resolve, ms));
  const busy = before.flatMap((p) => {
    const now = usage(p.pid);
    return now ? [{ ...now, busy: now.cpuSeconds - p.cpuSeconds }] : [];
  });
  return busy.sort((a, b) => b.busy - a.busy)[0];
}

/** CPU of the worker's process group, as percent of one core, over `ms`. */
async function cpuPercent(worker: RunningWorker, ms: number): Promise<number> {
  const before = groupUsage(worker).cpuSeconds;
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ((groupUsage(worker).cpuSeconds - before) / ((performance.now() - t0) / 1000)) * 100;
}

export class Bench {
  rooms: Room[] = [];
  constructor(
    readonly livekit: LiveKitConfig,
    readonly fixture: OpenAIFixture,
  ) {}

  async join(worker: RunningWorker, greeting: string) {
    const room = await joinRoom(this.livekit, {
      room: uniqueRoom('bench'),
      dispatch: { agentName: worker.agentName, metadata: JSON.stringify({ greeting }) },
    });
    this.rooms.push(room);
    const agent = await waitForAgent(room, 30_000);
    return { room, rec: new AvRecorder(room, agent) };
  }

  async leave(room: Room, rec: AvRecorder) {
    await rec.close();
    await room.disconnect();
  }

  /** From the fixture handing over the greeting's audio to its first sound at the subscriber. */
  async firstAudioMs(worker: RunningWorker): Promise<number[]> {
    const results: number[] = [];
    for (let i = 0; i < FIRST_AUDIO_ROUNDS; i++) {
      const greeting = `Probe ${i} for ${worker.agentName}, one two three.`;
      const { room, rec } = await this.join(worker, greeting);
      const tts = await this.fixture.waitFor((r) => r.path === '/v1/audio/speech' && r.body.input === greeting);
      const sound = await rec.waitForAudio((s) => s.at > tts.at && s.rms > SOUND_RMS);
      results.push(sound.at - tts.at);
      await this.leave(room, rec);
    }
    return results;
  }

  async interruptMs(worker: RunningWorker): Promise<number[]> {
    const results: number[] = [];
    this.fixture.behaviour.replyDelayMs = 2000;
    for (let i = 0; i < INTERRUPT_ROUNDS; i++) {
      const { room, rec } = await this.join(worker, textFor(10_000));
      const speaking = await rec.waitForAudio((s) => s.rms > SOUND_RMS);
      await rec.waitForAudio((s) => s.at > speaking.at + 1000);
      await sendChat(room, 'Stop there.');
      const line = await worker.waitForLog(new RegExp(`"room":"${room.name}".*avatar interrupted`));
      const clearedAt = (JSON.parse(line) as { clearedAt: number }).clearedAt;
      await rec.waitForAudio((s) => s.at > clearedAt + 1000);
      const silent = quietFrom(rec.audio, clearedAt, clearedAt + 1000, (s) => s.rms < SOUND_RMS);
      const rest = quietFrom(rec.video, clearedAt, clearedAt + 1000, (s) => s.openness < MOUTH_AT_REST);
      if (silent !== undefined && rest !== undefined) results.push(Math.max(silent, rest) - clearedAt);
      await this.leave(room, rec);
    }
    this.fixture.behaviour.replyDelayMs = 0;
    return results;
  }

  /** Speech CPU of a worker with one session, over a steady window of a long reply. */
  async speakingCpu(worker: RunningWorker): Promise<number> {
    this.fixture.behaviour.reply = () => textFor(CPU_WINDOW_MS + 15_000);
    const { room, rec } = await this.join(worker, '');
    await sendChat(room, 'Talk for a while.');
    const speaking = await rec.waitForAudio((s) => s.rms > SOUND_RMS, 30_000);
    await rec.waitForAudio((s) => s.at > speaking.at + 3000);
    const cpu = await cpuPercent(worker, CPU_WINDOW_MS);
    await this.leave(room, rec);
    return cpu;
  }

  /**
   * What a viewer gets: Chromium (its own lip-sync path) plays a monologue while the probe page
   * records display times of frames and output times of audio. Offsets over 10 s windows, and the
   * worst of the 1 s windows.
   */
  async browser(worker: RunningWorker, ms: number) {
    this.fixture.behaviour.reply = () => textFor(ms + 20_000);
    const viewer = await openViewer();
    const name = uniqueRoom('browser');
    const dispatch = { agentName: worker.agentName, metadata: JSON.stringify({ greeting: '' }) };
    try {
      await viewer.join(this.livekit.url, await joinToken(this.livekit, { room: name, identity: 'viewer', dispatch }));
      const observer = await joinRoom(this.livekit, { room: name, hidden: true });
      this.rooms.push(observer);
      const rec = new AvRecorder(observer, await waitForAgent(observer, 30_000));
      await rec.waitForFrames(10, 30_000);
      await viewer.chat('Tell me a long story.');
      const onset = (await rec.waitForAudio((s) => s.rms > SOUND_RMS, 30_000)).at;
      const audio: AudioSample[] = [];
      const video: VideoSample[] = [];
      for (let t = 5_000; t <= ms; t += 5_000) {
        await rec.waitForAudio((s) => s.at > onset + t, 30_000);
        const got = await viewer.read();
        audio.push(...got.audio);
        video.push(...got.video);
      }
      await this.leave(observer, rec);
      const windows = (size: number) => {
        const out: Offset[] = [];
        for (let from = onset + SETTLE_MS; from + size <= onset + ms; from += size)
          out.push(avOffset(audio, video, from, from + size));
        return out;
      };
      const tenSecond = windows(10_000);
      const oneSecond = windows(1_000).filter((w) => w.correlation > 0.5);
      const worst = oneSecond.reduce((a, b) => (Math.abs(b.offsetMs) > Math.abs(a.offsetMs) ? b : a), {
        offsetMs: 0,
        correlation: 0,
      });
      return {
        tenSecond,
        oneSecond: oneSecond.length,
        worst: worst.offsetMs,
        audioSamples: audio.length,
        videoSamples: video.length,
      };
    } finally {
      await viewer.close();
    }
  }

  /** A long monologue: offset per window (drift), and memory from the first minute to the end. */
  async monologue(worker: RunningWorker) {
    this.fixture.behaviour.reply = () => textFor(MONOLOGUE_MS + 20_000);
    const { room, rec } = await this.join(worker, '');
    await sendChat(room, 'Tell me a long story.');
    const onset = (await rec.waitForAudio((s) => s.rms > SOUND_RMS, 30_000)).at;
    await rec.waitForAudio((s) => s.at > onset + 60_000, 90_000);
    const job = await jobProcess(worker);
    await rec.waitForAudio((s) => s.at > onset + MONOLOGUE_MS, MONOLOGUE_MS + 30_000);
    const rssAtMinute = job?.rssMB ?? Number.NaN;
    const rssAtEnd = job ? (usage(job.pid)?.rssMB ?? Number.NaN) : Number.NaN;
    const windows: { at: number; offsetMs: number; correlation: number }[] = [];
    for (let from = onset + SETTLE_MS; from + OFFSET_WINDOW_MS <= onset + MONOLOGUE_MS; from += OFFSET_WINDOW_MS) {
      windows.push({ at: from - onset, ...avOffset(rec.audio, rec.video, from, from + OFFSET_WINDOW_MS) });
    }
    const intervals = rec.video.slice(1).map((s, i) => s.at - (rec.video[i]?.at ?? s.at));
    await this.leave(room, rec);
    return { windows, rssGrowthMB: rssAtEnd - rssAtMinute, frameIntervalP99: percentile(intervals, 99) };
  }
}

export async function run(livekit: LiveKitConfig): Promise<Metrics> {
  const fixture = await startOpenAIFixture({ reply: () => 'Sure.', transcript: () => '' });
  const env = {
    OPENAI_API_KEY: FIXTURE_API_KEY,
    OPENAI_BASE_URL: fixture.baseURL,
    TURN_DETECTION: 'vad',
    LOG_LEVEL: 'info',
    AVATAR_FPS: String(FPS),
  };
  const avatar = await startWorker(livekit, { ...env, AVATAR: 'local' });
  const audioOnly = await startWorker(livekit, { ...env, AVATAR: 'off' });
  const bench = new Bench(livekit, fixture);
  try {
    console.log('» first audio: avatar and audio-only, alternating workers');
    const firstAvatar: number[] = [];
    const firstAudioOnly: number[] = [];
    firstAudioOnly.push(...(await bench.firstAudioMs(audioOnly)));
    firstAvatar.push(...(await bench.firstAudioMs(avatar)));
    console.log('» interruptions');
    const interrupts = await bench.interruptMs(avatar);
    console.log('» CPU while speaking: audio-only, then avatar');
    const cpuAudioOnly = await bench.speakingCpu(audioOnly);
    const cpuAvatar = await bench.speakingCpu(avatar);
    console.log(`» Chromium viewer, ${BROWSER_MS / 1000} s of speech`);
    const browser = await bench.browser(avatar, BROWSER_MS);
    const browserOffsets = browser.tenSecond.map((w) => w.offsetMs);
    console.log(`  offsets per 10 s window: ${browserOffsets.join(', ')} ms; worst 1 s window ${browser.worst} ms`);
    console.log(`» monologue of ${MONOLOGUE_MS / 1000} s`);
    const mono = await bench.monologue(avatar);
    const offsets = mono.windows.map((w) => w.offsetMs);
    const firstMinute = mono.windows.filter((w) => w.at < 60_000).map((w) => w.offsetMs);
    const lastMinute = mono.windows
      .filter((w) => w.at >= MONOLOGUE_MS - 60_000 - OFFSET_WINDOW_MS)
      .map((w) => w.offsetMs);
    console.log(`  offsets per ${OFFSET_WINDOW_MS / 1000} s window: ${offsets.join(', ')} ms`);
    console.log(`  correlations: ${mono.windows.map((w) => w.correlation.toFixed(2)).join(', ')}`);

    const frameMs = 1000 / FPS;
    return {
      av_offset_browser_median_ms: { value: median(browserOffsets), unit: 'ms (+ = audio early)', goal: '|x| <= 10' },
      av_offset_browser_worst_ms: { value: browser.worst, unit: 'ms (worst 1 s window)', goal: 'within +40/-60' },
      av_offset_sdk_median_ms: { value: median(offsets), unit: 'ms', goal: 'report (rtc-node has no lip-sync stage)' },
      drift_ms: { value: round(Math.abs(median(lastMinute) - median(firstMinute))), unit: 'ms', goal: '<= 5' },
      added_first_audio_ms: {
        value: round(median(firstAvatar) - median(firstAudioOnly)),
        unit: 'ms',
        goal: `<= ${round(frameMs)}`,
      },
      first_audio_avatar_ms: { value: round(median(firstAvatar)), unit: 'ms', goal: 'report' },
      first_audio_audio_only_ms: { value: round(median(firstAudioOnly)), unit: 'ms', goal: 'report (baseline)' },
      interrupt_ms: { value: round(median(interrupts)), unit: 'ms', goal: '<= 100' },
      cpu_per_session_pct: { value: round(cpuAvatar), unit: '% of one core', goal: 'report; <= 10 is the goal' },
      cpu_audio_only_pct: { value: round(cpuAudioOnly), unit: '% of one core', goal: 'report (baseline)' },
      rss_growth_mb: { value: round(mono.rssGrowthMB), unit: 'MB (job process, minute 1 to end)', goal: '<= 20' },
      frame_interval_p99_ms: { value: round(mono.frameIntervalP99), unit: 'ms', goal: '<= 50' },
    };
  } finally {
    for (const room of bench.rooms) await room.disconnect().catch(() => {});
    await avatar.stop();
    await audioOnly.stop();
    await fixture.close();
  }
}
