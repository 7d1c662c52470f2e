// A real rtc-node participant for integration tests: joins with a token, waits for the agent,
// listens to its audio and speaks or types to it.
import {
  AudioFrame,
  AudioSource,
  AudioStream,
  LocalAudioTrack,
  ParticipantKind,
  type RemoteParticipant,
  type RemoteTrack,
  Room,
  RoomEvent,
  TrackKind,
  TrackPublishOptions,
  TrackSource,
} from '@livekit/rtc-node';
import { type JoinOptions, joinToken } from '../../scripts/lib/tokens.ts';
import type { LiveKitConfig } from '../../src/config.ts';

const RECEIVE_RATE = 24_000;
const RECEIVE_FRAME_MS = 20;
/** RMS (int16) above which a received frame counts as sound rather than silence or comfort noise. */
export const SOUND_RMS = 300;
const PUBLISH_FRAME_MS = 10;
/**
 * The microphone's send queue. Its feeding loop runs on the test's event loop, which also decodes the
 * agent's video; a deep queue rides out a busy moment instead of leaving a gap that garbles a word.
 */
const MIC_QUEUE_MS = 300;

export async function joinRoom(livekit: LiveKitConfig, opts: Omit<JoinOptions, 'identity'> & { identity?: string }) {
  const identity = opts.identity ?? `user-${crypto.randomUUID().slice(0, 8)}`;
  const room = new Room();
  await room.connect(livekit.url, await joinToken(livekit, { ...opts, identity, ttl: '10m' }), {
    autoSubscribe: true,
    dynacast: false,
  });
  return room;
}

export function uniqueRoom(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string | (() => string)): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    const describe = typeof what === 'string' ? () => what : what;
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${describe()}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function waitForParticipant(
  room: Room,
  match: (p: RemoteParticipant) => boolean,
  timeoutMs: number,
  what = 'a participant',
): Promise<RemoteParticipant> {
  const present = [...room.remoteParticipants.values()].find(match);
  if (present) return Promise.resolve(present);
  let onJoin: ((p: RemoteParticipant) => void) | undefined;
  const joined = new Promise<RemoteParticipant>((resolve) => {
    onJoin = (p) => match(p) && resolve(p);
    room.on(RoomEvent.ParticipantConnected, onJoin);
  });
  return withTimeout(joined, timeoutMs, what).finally(() => onJoin && room.off(RoomEvent.ParticipantConnected, onJoin));
}

export const isAgent = (p: RemoteParticipant) => p.kind === ParticipantKind.AGENT;

export function waitForAgent(room: Room, timeoutMs = 20_000): Promise<RemoteParticipant> {
  return waitForParticipant(room, isAgent, timeoutMs, 'the agent to join');
}

/** Resolves with the participant's attribute once its value passes `accept` (now or later). */
export function waitForAttribute(
  p: RemoteParticipant,
  room: Room,
  key: string,
  timeoutMs: number,
  accept: (value: string) => boolean = () => true,
): Promise<string> {
  const now = p.attributes[key];
  if (now !== undefined && accept(now)) return Promise.resolve(now);
  let onChange: ((changed: Record<string, string>, who: { identity: string }) => void) | undefined;
  const changed = new Promise<string>((resolve) => {
    onChange = (attrs, who) => {
      const value = attrs[key];
      if (who.identity === p.identity && value !== undefined && accept(value)) resolve(value);
    };
    room.on(RoomEvent.ParticipantAttributesChanged, onChange);
  });
  return withTimeout(changed, timeoutMs, `attribute ${key}`).finally(
    () => onChange && room.off(RoomEvent.ParticipantAttributesChanged, onChange),
  );
}

export function waitForLeave(room: Room, p: RemoteParticipant, timeoutMs: number): Promise<void> {
  if (!room.remoteParticipants.has(p.identity)) return Promise.resolve();
  let onLeave: ((left: RemoteParticipant) => void) | undefined;
  const left = new Promise<void>((resolve) => {
    onLeave = (left) => left.identity === p.identity && resolve();
    room.on(RoomEvent.ParticipantDisconnected, onLeave);
  });
  return withTimeout(left, timeoutMs, `${p.identity} to leave`).finally(
    () => onLeave && room.off(RoomEvent.ParticipantDisconnected, onLeave),
  );
}

const rms = (frame: AudioFrame) => {
  let sum = 0;
  for (const s of frame.data) sum += s * s;
  return Math.sqrt(sum / frame.data.length);
};

/** Audio received from one participant, measured frame by frame while the test runs. */
export class AudioListener {
  soundMs = 0;
  totalMs = 0;
  #stream: AudioStream | undefined;
  #waiters: { ms: number; resolve: () => void }[] = [];
  #onSubscribed: () => void = () => {};
  #subscribed = new Promise<void>((resolve) => {
    this.#onSubscribed = resolve;
  });

  constructor(room: Room, from: RemoteParticipant) {
    const attach = (track: RemoteTrack, owner: RemoteParticipant) => {
      if (this.#stream || owner.identity !== from.identity || track.kind !== TrackKind.KIND_AUDIO) return;
      this.#stream = new AudioStream(track, {
        sampleRate: RECEIVE_RATE,
        numChannels: 1,
        frameSizeMs: RECEIVE_FRAME_MS,
      });
      this.#onSubscribed();
      void this.#read(this.#stream);
    };
    room.on(RoomEvent.TrackSubscribed, (track, _pub, owner) => attach(track, owner));
    for (const pub of from.trackPublications.values()) if (pub.track) attach(pub.track, from);
  }

  async #read(stream: AudioStream): Promise<void> {
    // Read every frame promptly: an unread AudioStream buffers without limit.
    for await (const frame of stream) {
      const ms = (frame.samplesPerChannel / frame.sampleRate) * 1000;
      this.totalMs += ms;
      if (rms(frame) > SOUND_RMS) this.soundMs += ms;
      const reached = this.#waiters.filter((w) => this.soundMs >= w.ms);
      this.#waiters = this.#waiters.filter((w) => this.soundMs < w.ms);
      for (const w of reached) w.resolve();
    }
  }

  /** Resolves once the participant's audio track is subscribed and being read. */
  subscribed(timeoutMs = 10_000): Promise<void> {
    return withTimeout(this.#subscribed, timeoutMs, 'the agent audio track');
  }

  /** Resolves once `ms` of sound in total has been received. */
  waitForSound(ms: number, timeoutMs = 30_000): Promise<void> {
    if (this.soundMs >= ms) return Promise.resolve();
    return withTimeout(
      new Promise<void>((resolve) => this.#waiters.push({ ms: ms, resolve })),
      timeoutMs,
      `${ms} ms of sound from the agent (got ${this.soundMs} of ${this.totalMs} ms received)`,
    );
  }

  async close(): Promise<void> {
    await this.#stream?.cancel().catch(() => {});
  }
}

/** Publishes a microphone, speaks `pcm` into it in real time, then silence, and closes it. */
export async function speak(room: Room, pcm: Int16Array, sampleRate: number, trailingSilenceMs = 1500): Promise<void> {
  const mic = await Microphone.publish(room, sampleRate);
  mic.say(pcm);
  await mic.say(new Int16Array(Math.round((sampleRate * trailingSilenceMs) / 1000))).done;
  await mic.close();
}

export async function sendChat(room: Room, text: string): Promise<void> {
  await room.localParticipant?.sendText(text, { topic: 'lk.chat' });
}

/** A microphone that stays published: silence between utterances, as a real one sends. */
export class Microphone {
  readonly #source: AudioSource;
  readonly #rate: number;
  #queue: { pcm: Int16Array; done: (endsAt: number) => void; started: () => void }[] = [];
  #closed = false;
  #pump: Promise<void> | undefined;

  private constructor(source: AudioSource, rate: number) {
    this.#source = source;
    this.#rate = rate;
  }

  /** Publishes the track; resolves once someone (the agent) has subscribed to it, so it hears what is said. */
  static async publish(room: Room, sampleRate: number, timeoutMs = 10_000): Promise<Microphone> {
    const source = new AudioSource(sampleRate, 1, MIC_QUEUE_MS);
    const track = LocalAudioTrack.createAudioTrack('mic', source);
    let onSubscribed: (() => void) | undefined;
    const subscribed = new Promise<void>((resolve) => {
      onSubscribed = () => resolve();
      room.on(RoomEvent.LocalTrackSubscribed, onSubscribed);
    });
    await room.localParticipant?.publishTrack(
      track,
      new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE }),
    );
    const mic = new Microphone(source, sampleRate);
    mic.#pump = mic.#run();
    await withTimeout(subscribed, timeoutMs, 'a subscriber to the microphone').finally(
      () => onSubscribed && room.off(RoomEvent.LocalTrackSubscribed, onSubscribed),
    );
    return mic;
  }

  /**
   * Queues `pcm`; `started` resolves when its first frame goes out, `done` once its last frame is handed
   * over, with the time (ms since the epoch) the source will have sent it.
   */
  say(pcm: Int16Array): { started: Promise<void>; done: Promise<number> } {
    let started!: () => void;
    let done!: (endsAt: number) => void;
    const startedP = new Promise<void>((resolve) => (started = resolve));
    const doneP = new Promise<number>((resolve) => (done = resolve));
    this.#queue.push({ pcm, started, done });
    return { started: startedP, done: doneP };
  }

  async #run(): Promise<void> {
    const frameSamples = (this.#rate * PUBLISH_FRAME_MS) / 1000;
    const silence = new Int16Array(frameSamples);
    // captureFrame waits while the source's 100 ms queue is full, which paces this loop in real time.
    while (!this.#closed) {
      const next = this.#queue.shift();
      if (!next) {
        await this.#source.captureFrame(new AudioFrame(silence.slice(), this.#rate, 1, frameSamples));
        continue;
      }
      next.started();
      for (let i = 0; i < next.pcm.length && !this.#closed; i += frameSamples) {
        const chunk = new Int16Array(frameSamples);
        chunk.set(next.pcm.subarray(i, i + frameSamples));
        await this.#source.captureFrame(new AudioFrame(chunk, this.#rate, 1, frameSamples));
      }
      next.done(performance.timeOrigin + performance.now() + this.#source.queuedDuration);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#pump;
    await this.#source.close();
  }
}

export interface Transcript {
  /** Whose words: the participant the transcript is of. */
  identity: string;
  text: string;
  /** Agents marks users' final transcripts; the agent's own arrive as one stream per segment, unmarked. */
  final: boolean;
}

/** The transcripts agents publishes in the room (`lk.transcription`), user's and agent's. */
export class Transcripts {
  readonly all: Transcript[] = [];
  #listeners = new Set<() => void>();

  constructor(room: Room) {
    room.registerTextStreamHandler('lk.transcription', async (reader, sender) => {
      const text = await reader.readAll();
      const final = reader.info.attributes?.['lk.transcription_final'] === 'true';
      this.all.push({ identity: sender.identity, text, final });
      for (const listener of this.#listeners) listener();
    });
  }

  /** Resolves with the first complete transcript stream of `identity` whose text satisfies `match`. */
  waitFor(identity: string, match: (text: string) => boolean, timeoutMs = 30_000): Promise<Transcript> {
    const find = () => this.all.find((t) => t.identity === identity && match(t.text));
    const found = find();
    if (found) return Promise.resolve(found);
    let listener: (() => void) | undefined;
    const seen = new Promise<Transcript>((resolve) => {
      listener = () => {
        const hit = find();
        if (hit) resolve(hit);
      };
      this.#listeners.add(listener);
    });
    const said = () => this.all.map((t) => `${t.identity}${t.final ? '' : '~'}: ${t.text}`).join(' | ');
    return withTimeout(seen, timeoutMs, () => `a transcript of ${identity} (so far: ${said() || 'none'})`).finally(
      () => listener && this.#listeners.delete(listener),
    );
  }
}
