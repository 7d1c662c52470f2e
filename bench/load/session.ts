// One avatar session under load: a room with the agent and one person, who watches and listens to the
// avatar (AvRecorder) and talks to it (a microphone that stays published), asking a question each time
// the agent is listening again, after a pause to think, as someone in a conversation would.
import { setTimeout as sleep } from 'node:timers/promises';
import { type RemoteParticipant, type Room, RoomEvent, type VideoFrame } from '@livekit/rtc-node';
import type { LiveKitConfig } from '../../src/config.ts';
import { AVATAR_STATS_ATTRIBUTE } from '../../src/plugins/local_avatar.ts';
import { AvRecorder, epochNow } from '../../test/helpers/av_recorder.ts';
import { joinRoom, Microphone, SOUND_RMS, uniqueRoom, waitForAgent } from '../../test/helpers/participant.ts';

const AGENT_STATE = 'lk.agent.state';
/** What agents sends every participant besides media; a web client reads them, so the person does too. */
const TEXT_TOPICS = ['lk.transcription'];
const BYTE_TOPICS = ['lk.agent.session'];
/** Frames that show the avatar's video flows before the session counts as open. */
const FIRST_FRAMES = 10;
/** A person's pause before the next question: spread, so rooms do not ask in step. */
const THINK_MS = { min: 1000, max: 3000 };
/** How long a turn may take at each stage before it counts as unanswered (a saturated machine is slow). */
const TURN_TIMEOUT_MS = 60_000;

export interface Question {
  pcm: Int16Array;
  sampleRate: number;
}

export interface Turn {
  /** When the question's last sample will have been sent (epoch ms). */
  askedAt: number;
  /** The reply's first sound at the subscriber, when there was a reply. */
  heardAt?: number;
}

/** The avatar's own figures (its `avatar.stats` attribute, every 5 s): what it sent, not what arrived. */
export interface SenderStats {
  at: number;
  framesSent: number;
  droppedFrames: number;
}

class Stopped extends Error {}

export class LoadSession {
  readonly turns: Turn[] = [];
  readonly sender: SenderStats[] = [];
  /** Why a turn went unanswered, when one did (the loop goes on). */
  readonly problems: string[] = [];
  readonly #stop = new AbortController();
  readonly #stateListeners = new Set<() => void>();
  #loop: Promise<void> | undefined;

  private constructor(
    readonly room: Room,
    readonly agent: RemoteParticipant,
    readonly rec: AvRecorder,
    readonly mic: Microphone,
  ) {
    room.on(RoomEvent.ParticipantAttributesChanged, (changed, who) => {
      if (who.identity !== agent.identity) return;
      if (changed[AGENT_STATE] !== undefined) for (const listener of this.#stateListeners) listener();
      const stats = changed[AVATAR_STATS_ATTRIBUTE];
      if (stats !== undefined) {
        const { framesSent, droppedFrames } = JSON.parse(stats) as SenderStats;
        this.sender.push({ at: epochNow(), framesSent, droppedFrames });
      }
    });
  }

  /** Joins a new room that dispatches `agentName`, until the avatar's video flows and the agent hears the person. */
  static async open(
    livekit: LiveKitConfig,
    agentName: string,
    questionRate: number,
    readMouth: (frame: VideoFrame) => number,
    timeoutMs: number,
  ): Promise<LoadSession> {
    const room = await joinRoom(livekit, {
      room: uniqueRoom('load'),
      dispatch: { agentName, metadata: JSON.stringify({ greeting: '' }) },
    });
    // A stream still arriving when the room disconnects rejects: nothing to keep of it then.
    const drain = (reader: { readAll(): Promise<unknown> }) => void reader.readAll().catch(() => {});
    for (const topic of TEXT_TOPICS) room.registerTextStreamHandler(topic, drain);
    for (const topic of BYTE_TOPICS) room.registerByteStreamHandler(topic, drain);
    try {
      const agent = await waitForAgent(room, timeoutMs);
      const rec = new AvRecorder(room, agent, readMouth);
      await rec.waitForFrames(FIRST_FRAMES, timeoutMs);
      // Published once the agent is in: it resolves when the agent has subscribed to it.
      const mic = await Microphone.publish(room, questionRate, timeoutMs);
      return new LoadSession(room, agent, rec, mic);
    } catch (err) {
      await room.disconnect();
      throw err;
    }
  }

  get name(): string {
    return this.room.name ?? '';
  }

  /** Starts the conversation: a question each time the agent listens again. */
  converse(questions: Question[]): void {
    this.#loop ??= this.#converse(questions);
  }

  async #converse(questions: Question[]): Promise<void> {
    const signal = this.#stop.signal;
    for (let i = 0; !signal.aborted; i++) {
      try {
        await this.#state((s) => s === 'listening', 'listening');
        await sleep(THINK_MS.min + Math.random() * (THINK_MS.max - THINK_MS.min), undefined, { signal });
        const turn: Turn = { askedAt: await this.mic.say((questions[i % questions.length] as Question).pcm).done };
        this.turns.push(turn);
        await this.#state((s) => s === 'speaking', 'the reply');
        await this.#state((s) => s === 'listening', 'the end of the reply');
        turn.heardAt = this.rec.audio.find((s) => s.at > turn.askedAt && s.rms > SOUND_RMS)?.at;
      } catch (err) {
        if (signal.aborted) return;
        this.problems.push((err as Error).message);
      }
    }
  }

  /** Resolves once the agent's state passes `accept` (now or later); rejects on timeout or when stopped. */
  #state(accept: (state: string) => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!accept(this.agent.attributes[AGENT_STATE] ?? '')) return;
        finish();
        resolve();
      };
      const onStop = () => {
        finish();
        reject(new Stopped());
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${this.name}: no ${what} within ${TURN_TIMEOUT_MS / 1000} s`));
      }, TURN_TIMEOUT_MS);
      const finish = () => {
        clearTimeout(timer);
        this.#stateListeners.delete(check);
        this.#stop.signal.removeEventListener('abort', onStop);
      };
      this.#stateListeners.add(check);
      this.#stop.signal.addEventListener('abort', onStop);
      check();
    });
  }

  /** Resolves once the agent's voice has been heard after `after` (epoch ms): it speaks only in replies. */
  async heardAfter(after: number, timeoutMs: number): Promise<void> {
    await this.rec.waitForAudio((s) => s.at > after && s.rms > SOUND_RMS, timeoutMs);
  }

  /** Forgets what arrived before `before`: a long run would otherwise keep every sample. */
  forget(before: number): void {
    const drop = <T extends { at: number }>(xs: T[]) => {
      const keep = xs.findIndex((x) => x.at >= before);
      xs.splice(0, keep === -1 ? xs.length : keep);
    };
    drop(this.rec.audio);
    drop(this.rec.video);
    drop(this.sender);
  }

  async close(): Promise<void> {
    this.#stop.abort();
    await this.rec.close();
    await this.mic.close();
    await this.room.disconnect();
  }
}
