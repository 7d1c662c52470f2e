// `npm run bench -- remote`: the avatar drawn by an avatar worker (AVATAR=remote: the agent streams its
// speech to a second participant, which publishes the face on the agent's behalf) against the
// in-process avatar (AVATAR=local), in one run on one server. Both use the measuring renderer and the
// fixture voice; turns alternate between the two setups, and the two Chromium viewers play at the same
// time, so load changes on the machine (others' tests share its 2 cores) hit both alike.
import type { RemoteParticipant, Room } from '@livekit/rtc-node';
import { joinToken } from '../scripts/lib/tokens.ts';
import { PUBLISH_ON_BEHALF_ATTRIBUTE } from '../src/avatar/remote/protocol.ts';
import type { LiveKitConfig } from '../src/config.ts';
import { FIXTURE_API_KEY, type OpenAIFixture, startOpenAIFixture } from '../test/fixtures/openai_fixture.ts';
import { avOffset, interruption, percentile } from '../test/helpers/av_analysis.ts';
import { type AudioSample, AvRecorder, epochNow, type VideoSample } from '../test/helpers/av_recorder.ts';
import {
  isAgent,
  joinRoom,
  sendChat,
  uniqueRoom,
  waitForAttribute,
  waitForParticipant,
} from '../test/helpers/participant.ts';
import { type RunningWorker, startAvatarWorker, startWorker } from '../test/helpers/worker.ts';
import { Bench } from './avatar.ts';
import type { ProbeStats, Watch } from './browser/probe.ts';
import { openViewer, type Viewer } from './browser/viewer.ts';
import { descendants, jobProcess, usage } from './processes.ts';
import type { Metrics } from './report.ts';

const FPS = 30;
const FRAME_MS = 1000 / FPS;
const SOUND_RMS = 300;
const AGENT_STATE = 'lk.agent.state';
/** Silence at the subscriber that marks a reply as over (as in bench/avatar.ts). */
const TURN_QUIET_MS = 500;
/** Turns per setup, alternating (as bench/avatar.ts). */
const FIRST_AUDIO_ROUNDS = 10;
const WARM_UP_ROUNDS = 1;
/**
 * What the split may add to the first audio of a reply. The remote path has one more hop (agent job →
 * server → avatar job as a data stream, then published again) and a second process that must be
 * scheduled on a busy machine; 60 ms keeps it under two frames at 30 fps and a small part of the
 * ≈ 250 ms from the agent's audio output to the listener's ear (README, offline voice loop).
 */
const ADDED_FIRST_AUDIO_GOAL_MS = 60;
const INTERRUPT_ROUNDS = 3;
/**
 * As test/remote_avatar.integration.test.ts holds it: the in-process avatar's 100 ms (bench/avatar.ts)
 * with three processes sharing 2 cores (agent job, avatar job, subscriber) and a deeper jitter buffer.
 */
const REMOTE_INTERRUPT_GOAL_MS = 200;
/** Speech heard before the interruption: the subscriber's jitter buffer settles after the reply's onset. */
const INTERRUPT_AFTER_MS = 2000;
/** The reply to the interrupting message waits this long, so that it is not heard in the measured second. */
const INTERRUPT_REPLY_DELAY_MS = 2000;
/** The measured span after the clear: silence and rest must hold from a moment within it to its end. */
const INTERRUPT_SPAN_MS = 1000;
/** Rooms that speak at once while the CPU of their job processes is measured. */
const CPU_ROOMS = 2;
const CPU_WINDOW_MS = 20_000;
/** Measured from this far into the speech: past the reply's start-up (first chunks, the subscription). */
const CPU_FROM_ONSET_MS = 3000;
/**
 * Goal for the avatar worker's CPU per room, as a multiple of this run's in-process avatar (the agent job
 * with AVATAR=local less the agent job with AVATAR=remote, which does not draw; bench/avatar.ts measures
 * the same share against an audio-only agent). The avatar worker repeats that work (runner, renderer,
 * VP8 simulcast encoding, publishing) in a job process of its own with its own room connection, which
 * costs about as much again at 512×512 / 30 fps (the remote agent job, which only streams speech,
 * takes 5–6 % of a core). So twice the in-process avatar: once for the work, once for the process it
 * runs in. A fixed figure would not do: on this shared machine every job's CPU rose by a quarter
 * between runs, the ratio did not.
 */
const CPU_GOAL_RATIO = 2;
/** Speech per Chromium run: the offset is read from 10 s windows after Chromium's lip sync settled. */
const BROWSER_MS = Number(process.env.BENCH_BROWSER_MS ?? 90_000);
/** As in bench/avatar.ts: Chromium's lip sync needs about this long to settle its own estimate. */
const BROWSER_SETTLE_MS = 30_000;
const BROWSER_READ_MS = 5_000;
const BROWSER_WINDOW_MS = 10_000;

const SENTENCE = 'The avatar keeps talking so the benchmark can listen. ';
/** The fixture voices 55 ms per character. */
const textFor = (ms: number) => SENTENCE.repeat(Math.ceil(ms / 55 / SENTENCE.length));
const median = (xs: number[]) => percentile(xs, 50);
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One way to give the agent a face. */
interface Setup {
  name: 'local' | 'remote';
  /** The worker dispatched into the room. */
  agent: RunningWorker;
  /** The worker whose job draws the face (and logs its interruptions). */
  face: RunningWorker;
  /** Every worker that takes a job for a room of this setup. */
  workers: RunningWorker[];
  /** Which participant the browser records. */
  watch: Watch;
}

interface Conversation {
  setup: Setup;
  room: Room;
  /** The agent (its state attribute). */
  agent: RemoteParticipant;
  /** The participant publishing the face: the agent itself in-process, else its avatar. */
  face: RemoteParticipant;
  rec: AvRecorder;
}

/** The agent, and the participant that publishes its face (for AVATAR=remote, the one on its behalf). */
async function findFace(room: Room, setup: Setup) {
  const agent = await waitForParticipant(
    room,
    (p) => isAgent(p) && !p.attributes[PUBLISH_ON_BEHALF_ATTRIBUTE],
    30_000,
    'the agent',
  );
  const face =
    setup.name === 'local'
      ? agent
      : await waitForParticipant(
          room,
          (p) => isAgent(p) && p.attributes[PUBLISH_ON_BEHALF_ATTRIBUTE] === agent.identity,
          30_000,
          'the avatar for the agent',
        );
  return { agent, face };
}

interface BrowserRun {
  /** Offsets per window, Chromium's and the rtc-node observer's, ms (+ = audio early). */
  browser: number[];
  sdk: number[];
}

interface Interrupt {
  fromClear: number;
  fromChat: number;
}

class RemoteBench {
  readonly rooms: Room[] = [];
  /** Jobs taken per worker: each makes the worker start a replacement process. */
  readonly #jobs = new Map<RunningWorker, number>();
  readonly #turns: Bench;

  constructor(
    readonly livekit: LiveKitConfig,
    readonly fixture: OpenAIFixture,
    readonly workers: RunningWorker[],
  ) {
    this.#turns = new Bench(livekit, fixture);
  }

  #tookJob(setup: Setup) {
    for (const w of setup.workers) this.#jobs.set(w, (this.#jobs.get(w) ?? 0) + 1);
  }

  /**
   * Waits until every worker has warmed the processes that replace those its jobs took: on 2 cores
   * that warm-up starves the speech for seconds and the subscriber's jitter buffer grows with it
   * (test/remote_avatar.integration.test.ts), which would be measured as the avatar's doing.
   */
  async settled(): Promise<void> {
    await Promise.all(
      this.workers.map((w) =>
        w.processesReady((this.#jobs.get(w) ?? 0) + 1).catch(() => {
          // agents gives up on a process that does not start in time (a machine loaded by others) and
          // starts another; the figures that follow are then taken during a warm-up, and say so.
          console.log(`  warning: ${w.agentName} has no warm process yet; measuring during its warm-up`);
        }),
      ),
    );
  }

  async join(setup: Setup): Promise<Conversation> {
    const room = await joinRoom(this.livekit, {
      room: uniqueRoom(`bench-${setup.name}`),
      dispatch: { agentName: setup.agent.agentName, metadata: JSON.stringify({ greeting: '' }) },
    });
    this.rooms.push(room);
    this.#tookJob(setup);
    const { agent, face } = await findFace(room, setup);
    const rec = new AvRecorder(room, face);
    // As bench/avatar.ts opens its turns: the face's audio arriving and the agent listening.
    await rec.waitForAudio(() => true, 30_000);
    await waitForAttribute(agent, room, AGENT_STATE, 30_000, (v) => v === 'listening');
    return { setup, room, agent, face, rec };
  }

  async leave(c: Conversation) {
    await this.#turns.leave(c.room, c.rec);
  }

  /** First audio of a reply at the subscriber, from the fixture handing over its speech (bench/avatar.ts). */
  firstAudioMs(c: Conversation, round: number): Promise<number> {
    return this.#turns.firstAudioMs({ worker: c.setup.agent, room: c.room, agent: c.agent, rec: c.rec }, round);
  }

  /**
   * Until the reply `text` has been heard, the agent listens again and the subscriber has had
   * `TURN_QUIET_MS` of quiet: the next measurement starts from a quiet room, not on this reply's tail.
   */
  async untilAnswered(c: Conversation, text: string): Promise<void> {
    const tts = await this.fixture.waitFor((r) => r.path === '/v1/audio/speech' && r.body.input === text);
    await c.rec.waitForAudio((s) => s.at > tts.at && s.rms > SOUND_RMS, 30_000);
    // While the answer sounds the agent is thinking or speaking, never still listening from before it.
    await waitForAttribute(c.agent, c.room, AGENT_STATE, 30_000, (v) => v === 'listening');
    await c.rec.waitForQuiet(epochNow(), SOUND_RMS, TURN_QUIET_MS, 30_000);
  }

  /**
   * An interruption in a live conversation: a typed message while the face speaks. Timed from the clear
   * in the job that draws the face (its "avatar interrupted" log line, as bench/avatar.ts does) and from
   * the message being sent (for AVATAR=remote that also holds the agent's lk.clear_buffer to its avatar),
   * each to the subscriber hearing silence with the mouth at rest.
   */
  async interrupt(c: Conversation, round: number): Promise<Interrupt | undefined> {
    const { room, rec, setup } = c;
    this.fixture.behaviour.reply = () => textFor(10_000);
    const asked = epochNow();
    await sendChat(room, `Talk for a while, ${round}.`);
    const speaking = await rec.waitForAudio((s) => s.at > asked && s.rms > SOUND_RMS, 30_000);
    await rec.waitForAudio((s) => s.at > speaking.at + INTERRUPT_AFTER_MS, 30_000);
    const answer = `Stopped ${round}.`;
    this.fixture.behaviour.reply = () => answer;
    this.fixture.behaviour.replyDelayMs = INTERRUPT_REPLY_DELAY_MS;
    const cleared = new RegExp(`"room":"${room.name}".*avatar interrupted`);
    const before = setup.face.lines(cleared).length;
    const sent = epochNow();
    await sendChat(room, 'Stop there.');
    const line = await setup.face.waitForLines(cleared, before + 1);
    const clearedAt = (JSON.parse(line) as { clearedAt: number }).clearedAt;
    await rec.waitForAudio((s) => s.at > clearedAt + INTERRUPT_SPAN_MS);
    const until = clearedAt + INTERRUPT_SPAN_MS;
    const heard = interruption(rec.audio, rec.video, sent, SOUND_RMS, until - sent);
    await this.untilAnswered(c, answer);
    this.fixture.behaviour.replyDelayMs = 0;
    if (!heard) return undefined;
    const fromChat = Math.max(heard.silentMs, heard.restMs);
    return { fromClear: Math.max(0, fromChat - (clearedAt - sent)), fromChat };
  }

  /**
   * CPU of each worker's job processes (with anything they started) for this setup's rooms while all of
   * them speak, per room, as % of one core: /proc's counters over a steady window (bench/processes.ts).
   */
  async speakingCpu(conversations: Conversation[]): Promise<Map<RunningWorker, number>> {
    const setup = conversations[0]?.setup as Setup;
    const jobs = new Map<RunningWorker, number[]>();
    for (const w of setup.workers)
      jobs.set(w, await Promise.all(conversations.map((c) => jobProcess(w, c.room.name ?? ''))));
    this.fixture.behaviour.reply = () => textFor(CPU_FROM_ONSET_MS + CPU_WINDOW_MS + 10_000);
    const asked = epochNow();
    await Promise.all(conversations.map((c) => sendChat(c.room, 'Talk for a while.')));
    const onsets = await Promise.all(
      conversations.map((c) => c.rec.waitForAudio((s) => s.at > asked && s.rms > SOUND_RMS, 30_000)),
    );
    const from = Math.max(...onsets.map((s) => s.at)) + CPU_FROM_ONSET_MS;
    await sleep(from - epochNow());
    const cpuSeconds = (pids: number[]) =>
      [...pids, ...pids.flatMap((pid) => descendants(pid))].reduce(
        (sum, pid) => sum + (usage(pid)?.cpuSeconds ?? 0),
        0,
      );
    const before = new Map([...jobs].map(([w, pids]) => [w, cpuSeconds(pids)]));
    const t0 = performance.now();
    await sleep(CPU_WINDOW_MS);
    const seconds = (performance.now() - t0) / 1000;
    const perRoom = new Map<RunningWorker, number>();
    for (const [w, pids] of jobs) {
      const used = cpuSeconds(pids) - (before.get(w) as number);
      perRoom.set(w, (used / seconds / conversations.length) * 100);
    }
    return perRoom;
  }

  /**
   * What a viewer gets, measured as bench/avatar.ts does: Chromium plays a monologue of the face while
   * the probe page dates frames as displayed and audio as played; offsets over 10 s windows once
   * Chromium's lip sync has settled. A hidden rtc-node observer records the same face beside it. The
   * setups play at the same time, one Chromium each, so whatever else loads the machine loads both alike
   * (in runs minutes apart on this shared machine that varied by more than the difference measured).
   */
  async browsers(setups: Setup[], ms: number): Promise<BrowserRun[]> {
    this.fixture.behaviour.reply = () => textFor(ms + 20_000);
    const viewers: Viewer[] = [];
    try {
      const opened = await Promise.all(
        setups.map(async (setup) => {
          const viewer = await openViewer();
          viewers.push(viewer);
          const name = uniqueRoom(`browser-${setup.name}`);
          const dispatch = { agentName: setup.agent.agentName, metadata: JSON.stringify({ greeting: '' }) };
          const token = await joinToken(this.livekit, { room: name, identity: 'viewer', dispatch });
          await viewer.join(this.livekit.url, token, setup.watch);
          this.#tookJob(setup);
          const observer = await joinRoom(this.livekit, { room: name, hidden: true });
          this.rooms.push(observer);
          const rec = new AvRecorder(observer, (await findFace(observer, setup)).face);
          await rec.waitForFrames(FPS, 30_000);
          return { setup, viewer, observer, rec };
        }),
      );
      await this.settled();
      return await Promise.all(
        opened.map(async ({ setup, viewer, observer, rec }) => {
          const asked = epochNow();
          await viewer.chat('Tell me a long story.');
          const onset = (await rec.waitForAudio((s) => s.at > asked && s.rms > SOUND_RMS, 30_000)).at;
          const audio: AudioSample[] = [];
          const video: VideoSample[] = [];
          const stats: ProbeStats[] = [];
          for (let t = BROWSER_READ_MS; t <= ms; t += BROWSER_READ_MS) {
            await rec.waitForAudio((s) => s.at > onset + t, 30_000);
            const got = await viewer.read();
            audio.push(...got.audio);
            video.push(...got.video);
            stats.push(await viewer.stats());
          }
          await rec.close();
          await observer.disconnect();
          const streams = new Set(stats.flatMap((s) => [s.audioStream, s.videoStream]));
          if (streams.size !== 1)
            throw new Error(`${setup.name}: Chromium got audio and video in different streams: no lip sync`);
          const browser: number[] = [];
          const sdk: number[] = [];
          for (
            let from = onset + BROWSER_SETTLE_MS;
            from + BROWSER_WINDOW_MS <= onset + ms;
            from += BROWSER_WINDOW_MS
          ) {
            browser.push(avOffset(audio, video, from, from + BROWSER_WINDOW_MS).offsetMs);
            sdk.push(avOffset(rec.audio, rec.video, from, from + BROWSER_WINDOW_MS).offsetMs);
          }
          const settled = stats.slice(BROWSER_SETTLE_MS / BROWSER_READ_MS);
          const mean = (key: 'videoSyncDelayMs' | 'audioTargetDelayMs') =>
            round(settled.reduce((sum, s) => sum + s[key], 0) / settled.length);
          const series = stats.map(
            (s, i) =>
              `${((i + 1) * BROWSER_READ_MS) / 1000}s:${round(s.videoSyncDelayMs, 0)}/${round(s.audioTargetDelayMs, 0)}`,
          );
          console.log(
            `  ${setup.name}: offsets per ${BROWSER_WINDOW_MS / 1000} s window from ${BROWSER_SETTLE_MS / 1000} s: Chromium ${browser.join(', ')} ms, rtc-node ${sdk.join(', ')} ms; settled: video held ${mean('videoSyncDelayMs')} ms for lip sync, audio jitter target ${mean('audioTargetDelayMs')} ms`,
          );
          console.log(
            `  ${setup.name}: video sync delay / audio target per ${BROWSER_READ_MS / 1000} s: ${series.join(' ')}`,
          );
          return { browser, sdk };
        }),
      );
    } finally {
      for (const viewer of viewers) await viewer.close();
    }
  }
}

export async function run(livekit: LiveKitConfig): Promise<Metrics> {
  const started = performance.now();
  const elapsed = () => `${Math.round((performance.now() - started) / 1000)} s`;
  const fixture = await startOpenAIFixture({ reply: () => 'Sure.', transcript: () => '' });
  const voice = {
    OPENAI_API_KEY: FIXTURE_API_KEY,
    OPENAI_BASE_URL: fixture.baseURL,
    TURN_DETECTION: 'vad',
    AVATAR_FPS: String(FPS),
    AVATAR_RENDERER: 'mouth-block',
  };
  // Debug logs (the helper's default): `processesReady` reads agents' debug line of a warmed process.
  const avatarWorker = await startAvatarWorker(livekit, { AVATAR_RENDERER: 'mouth-block', AVATAR_FPS: String(FPS) });
  const [localWorker, remoteWorker] = await Promise.all([
    startWorker(livekit, { ...voice, AVATAR: 'local' }),
    startWorker(livekit, { ...voice, AVATAR: 'remote', AVATAR_WORKER_NAME: avatarWorker.agentName }),
  ]);
  const local: Setup = { name: 'local', agent: localWorker, face: localWorker, workers: [localWorker], watch: 'any' };
  const remote: Setup = {
    name: 'remote',
    agent: remoteWorker,
    face: avatarWorker,
    workers: [remoteWorker, avatarWorker],
    watch: 'avatar-worker',
  };
  const bench = new RemoteBench(livekit, fixture, [localWorker, remoteWorker, avatarWorker]);
  try {
    console.log(`» first audio of a reply: avatar worker and in-process, turn about (${elapsed()})`);
    const convs = { local: await bench.join(local), remote: await bench.join(remote) };
    await bench.settled();
    // Not counted: a job's first reply runs its speech path for the first time (code compiled on first
    // use, a new connection to the fixture) and came 60-220 ms slower than the rest, in both setups.
    const warmUp: string[] = [];
    for (let i = 0; i < WARM_UP_ROUNDS; i++)
      for (const s of ['remote', 'local'] as const)
        warmUp.push(`${s} ${round(await bench.firstAudioMs(convs[s], -1 - i))}`);
    console.log(`  warm-up (not counted): ${warmUp.join(', ')} ms`);
    const first = { local: [] as number[], remote: [] as number[] };
    for (let i = 0; i < FIRST_AUDIO_ROUNDS; i++) {
      // Alternate which goes first, so neither always follows the other's reply.
      const order = i % 2 === 0 ? (['remote', 'local'] as const) : (['local', 'remote'] as const);
      for (const s of order) first[s].push(await bench.firstAudioMs(convs[s], i));
    }
    console.log(`  remote ${first.remote.map((x) => round(x)).join(', ')} ms`);
    console.log(`  in-process ${first.local.map((x) => round(x)).join(', ')} ms`);

    console.log(`» interruptions, turn about (${elapsed()})`);
    const interrupts = { local: [] as Interrupt[], remote: [] as Interrupt[] };
    for (let i = 0; i < INTERRUPT_ROUNDS; i++) {
      const order = i % 2 === 0 ? (['remote', 'local'] as const) : (['local', 'remote'] as const);
      for (const s of order) {
        const got = await bench.interrupt(convs[s], i);
        if (got) interrupts[s].push(got);
        else console.log(`  ${s} round ${i}: not silent and at rest within ${INTERRUPT_SPAN_MS} ms of the clear`);
      }
    }
    for (const s of ['remote', 'local'] as const)
      console.log(
        `  ${s}: from clear ${interrupts[s].map((x) => round(x.fromClear)).join(', ')} ms; from chat ${interrupts[s].map((x) => round(x.fromChat)).join(', ')} ms; clear ${interrupts[s].map((x) => round(x.fromChat - x.fromClear)).join(', ')} ms after the message`,
      );

    console.log(`» CPU with ${CPU_ROOMS} rooms speaking: avatar worker, then in-process (${elapsed()})`);
    const cpuRooms = { local: [convs.local], remote: [convs.remote] };
    for (let i = 1; i < CPU_ROOMS; i++) {
      cpuRooms.remote.push(await bench.join(remote));
      cpuRooms.local.push(await bench.join(local));
    }
    await bench.settled();
    const cpuRemote = await bench.speakingCpu(cpuRooms.remote);
    for (const c of cpuRooms.remote) await bench.leave(c);
    const cpuLocal = await bench.speakingCpu(cpuRooms.local);
    for (const c of cpuRooms.local) await bench.leave(c);
    const cpu = {
      avatarWorker: cpuRemote.get(avatarWorker) as number,
      remoteAgent: cpuRemote.get(remoteWorker) as number,
      local: cpuLocal.get(localWorker) as number,
    };
    // The in-process avatar's share: the agent job with it, less the agent job that streams its speech away.
    const inProcessAvatar = cpu.local - cpu.remoteAgent;
    console.log(
      `  per room: avatar worker ${round(cpu.avatarWorker)} %, its agent ${round(cpu.remoteAgent)} %; in-process agent + avatar ${round(cpu.local)} %`,
    );

    console.log(
      `» Chromium viewers, in-process and avatar worker at once, ${BROWSER_MS / 1000} s of speech (${elapsed()})`,
    );
    const [browserLocalRun, browserRemoteRun] = await bench.browsers([local, remote], BROWSER_MS);
    const browser = { local: browserLocalRun as BrowserRun, remote: browserRemoteRun as BrowserRun };
    console.log(`» done (${elapsed()})`);

    const offsetUnit = `ms (+ = audio early; ${BROWSER_WINDOW_MS / 1000} s windows from ${BROWSER_SETTLE_MS / 1000} s)`;
    const browserRemote = median(browser.remote.browser);
    const browserLocal = median(browser.local.browser);
    const interruptOf = (s: 'local' | 'remote', key: 'fromClear' | 'fromChat') =>
      interrupts[s].length > 0 ? round(median(interrupts[s].map((x) => x[key]))) : null;
    return {
      added_first_audio_ms: {
        value: round(median(first.remote) - median(first.local)),
        unit: `ms (median remote − median in-process, ${FIRST_AUDIO_ROUNDS} turns each)`,
        goal: `<= ${ADDED_FIRST_AUDIO_GOAL_MS}`,
      },
      first_audio_remote_ms: { value: round(median(first.remote)), unit: 'ms', goal: 'report' },
      first_audio_local_ms: { value: round(median(first.local)), unit: 'ms', goal: 'report (baseline)' },
      // Held to one frame, written as bench/avatar.ts writes its frame-derived goals (`round(1000 / FPS)`);
      // bench/avatar.ts holds the in-process avatar to ±10 ms, a target for the design, not a frame.
      av_offset_browser_median_ms: { value: browserRemote, unit: offsetUnit, goal: `|x| <= ${round(FRAME_MS)}` },
      av_offset_browser_median_ms_local: { value: browserLocal, unit: offsetUnit, goal: 'report (baseline)' },
      av_offset_browser_added_ms: {
        value: browserRemote - browserLocal,
        unit: 'ms (remote − in-process)',
        goal: 'report',
      },
      av_offset_sdk_median_ms: {
        value: median(browser.remote.sdk),
        unit: 'ms (rtc-node observer, same windows)',
        goal: 'report (rtc-node has no lip-sync stage)',
      },
      av_offset_sdk_median_ms_local: {
        value: median(browser.local.sdk),
        unit: 'ms (rtc-node observer, same windows)',
        goal: 'report (baseline)',
      },
      cpu_per_room_pct: {
        value: round(cpu.avatarWorker),
        unit: `% of one core (avatar worker's job processes, ${CPU_ROOMS} rooms speaking, per room)`,
        goal: `<= ${round(CPU_GOAL_RATIO * inProcessAvatar)} (${CPU_GOAL_RATIO} × in-process avatar)`,
      },
      cpu_in_process_avatar_per_room_pct: {
        value: round(inProcessAvatar),
        unit: '% of one core (in-process agent job − remote agent job, per room)',
        goal: 'report (baseline)',
      },
      cpu_remote_vs_in_process_avatar: {
        value: round(cpu.avatarWorker / inProcessAvatar, 2),
        unit: 'ratio (avatar worker / in-process avatar, per room)',
        goal: `<= ${CPU_GOAL_RATIO}`,
      },
      cpu_remote_agent_per_room_pct: {
        value: round(cpu.remoteAgent),
        unit: '% of one core (agent job with AVATAR=remote, per room)',
        goal: 'report',
      },
      cpu_local_agent_per_room_pct: {
        value: round(cpu.local),
        unit: '% of one core (agent job with AVATAR=local, per room)',
        goal: 'report (baseline)',
      },
      remote_interrupt_ms: {
        value: interruptOf('remote', 'fromClear'),
        unit: "ms (avatar worker's clear → silent + mouth at rest at the subscriber)",
        goal: `<= ${REMOTE_INTERRUPT_GOAL_MS}`,
      },
      local_interrupt_ms: {
        value: interruptOf('local', 'fromClear'),
        unit: 'ms (in-process clear → silent + mouth at rest)',
        goal: 'report (baseline)',
      },
      remote_interrupt_from_chat_ms: {
        value: interruptOf('remote', 'fromChat'),
        unit: 'ms (typed message sent → silent + mouth at rest)',
        goal: 'report',
      },
      local_interrupt_from_chat_ms: {
        value: interruptOf('local', 'fromChat'),
        unit: 'ms (typed message sent → silent + mouth at rest)',
        goal: 'report (baseline)',
      },
    };
  } finally {
    for (const room of bench.rooms) await room.disconnect().catch(() => {});
    await localWorker.stop();
    await remoteWorker.stop();
    await avatarWorker.stop();
    await fixture.close();
  }
}
