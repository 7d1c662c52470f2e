// The agent's side of LiveKit's avatar data-stream protocol, for an avatar in another participant:
// each speech segment streams to it as raw PCM, and it reports playback back by RPC. Written here
// rather than taken from agents-js 1.9, whose DataStreamAudioOutput registers its RPC handlers once
// per process (a second room never hears back), sends frames from offset 0 of their buffer, and
// waits forever for an avatar that does not answer a clear or has left.
import { log, voice, waitForTrackPublication } from '@livekit/agents';
import {
  type AudioFrame,
  type ByteStreamWriter,
  type RemoteParticipant,
  type Room,
  RoomEvent,
  type RpcInvocationData,
  TrackKind,
} from '@livekit/rtc-node';
import {
  AUDIO_STREAM_TOPIC,
  parsePlaybackFinished,
  RPC_CLEAR_BUFFER,
  RPC_PLAYBACK_FINISHED,
  RPC_PLAYBACK_STARTED,
} from '../avatar/remote/protocol.ts';
import { errorText } from '../error_text.ts';

/** An avatar that has not reported an interrupted segment finished by then is taken to have stopped. */
export const CLEAR_TIMEOUT_MS = 2000;
/** Beyond a segment's own length, how long its finish may lag before the agent stops waiting. */
export const PLAYOUT_SLACK_MS = 5000;
const RPC_TIMEOUT_MS = 2000;

export interface DataStreamAudioOutputOptions {
  room: Room;
  /** The avatar participant the speech goes to. */
  avatarIdentity: string;
  /** How long the first segment waits for the avatar to join and publish its video. */
  joinTimeoutMs: number;
  /** The rate the avatar wants; by default the TTS's own. */
  sampleRate?: number;
  /**
   * Whether the avatar reports lk.playback_started (LiveKit's receivers and ours do). If not, a
   * segment counts as started when its first audio is sent.
   */
  waitPlaybackStart?: boolean;
  logger?: ReturnType<typeof log>;
}

/** One segment sent (or being sent) to the avatar, until it is reported finished. */
interface Segment {
  id: number;
  seconds: number;
  started: boolean;
  writer: Promise<ByteStreamWriter | undefined> | undefined;
  timer?: NodeJS.Timeout;
  /**
   * A finish taken for an older, given-up segment arrived while this one was the oldest pending: it
   * may have been this one's (the avatar dropped the older one's), so giving up on this one must not
   * make the avatar owe yet another finish.
   */
  mayBeAnswered?: boolean;
  /**
   * Given up on (the avatar left) while the agent was still capturing it: agents counts the rest of
   * its frames in this same segment, so they go nowhere rather than start a segment of their own.
   */
  abandoned?: boolean;
}

type Presence = 'unknown' | 'present' | 'absent';

export class DataStreamAudioOutput extends voice.AudioOutput {
  readonly room: Room;
  readonly avatarIdentity: string;
  #joinTimeoutMs: number;
  #waitPlaybackStart: boolean;
  #log: ReturnType<typeof log>;
  /** Segments the avatar owes a finish for, oldest first; the last may still be capturing. */
  #pending: Segment[] = [];
  #capturing: Segment | undefined;
  #nextId = 1;
  /** Finishes the avatar still owes for segments this side already gave up on. */
  #stale = 0;
  #presence: Presence = 'unknown';
  #joining: Promise<void> | undefined;
  /** Stream operations, in order: opening, writing and closing never overlap. */
  #wire: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(opts: DataStreamAudioOutputOptions) {
    super(opts.sampleRate, undefined, { pause: false });
    this.room = opts.room;
    this.avatarIdentity = opts.avatarIdentity;
    this.#joinTimeoutMs = opts.joinTimeoutMs;
    this.#waitPlaybackStart = opts.waitPlaybackStart ?? true;
    this.#log = (opts.logger ?? log()).child({ avatar: opts.avatarIdentity });
    const me = this.room.localParticipant;
    if (!me) throw new Error('DataStreamAudioOutput needs a connected room');
    // Per room: each room's local participant has its own handlers.
    me.registerRpcMethod(RPC_PLAYBACK_STARTED, async (data) => this.#onStarted(data));
    me.registerRpcMethod(RPC_PLAYBACK_FINISHED, async (data) => this.#onFinished(data));
    this.room.on(RoomEvent.ParticipantDisconnected, this.#onLeft);
  }

  override async captureFrame(frame: AudioFrame): Promise<void> {
    await super.captureFrame(frame);
    await this.#avatarReady();
    const segment = this.#capturing ?? this.#open(frame);
    if (segment.abandoned) return;
    segment.seconds += frame.samplesPerChannel / frame.sampleRate;
    if (!segment.writer) return;
    const writer = segment.writer;
    // A view of exactly this frame's samples: frame.data may sit inside a larger buffer.
    const bytes = new Uint8Array(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength);
    await this.#enqueue(async () => {
      await (await writer)?.write(bytes);
    });
  }

  override flush(): void {
    super.flush();
    const segment = this.#capturing;
    if (!segment) return;
    this.#capturing = undefined;
    if (segment.abandoned) return;
    if (!segment.writer) {
      // Nobody to play it: the agent must not wait for it.
      this.#finish(segment, { playbackPosition: 0, interrupted: false });
      return;
    }
    this.#closeStream(segment);
    this.#arm(segment, segment.seconds * 1000 + PLAYOUT_SLACK_MS, 'did not report a segment finished in time');
  }

  clearBuffer(): void {
    const segment = this.#capturing;
    this.#capturing = undefined;
    if (segment?.writer) this.#closeStream(segment);
    else if (segment) this.#finish(segment, { playbackPosition: 0, interrupted: true });
    if (this.#pending.length === 0 || this.#presence !== 'present') return;
    this.room.localParticipant
      ?.performRpc({
        destinationIdentity: this.avatarIdentity,
        method: RPC_CLEAR_BUFFER,
        payload: '',
        responseTimeout: RPC_TIMEOUT_MS,
      })
      .catch((err: unknown) => this.#log.warn({ error: errorText(err) }, 'lk.clear_buffer failed'));
    for (const pending of this.#pending) this.#arm(pending, CLEAR_TIMEOUT_MS, 'did not answer lk.clear_buffer');
  }

  /** Stops listening; segments still owed are reported finished, so nothing waits on them. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.room.off(RoomEvent.ParticipantDisconnected, this.#onLeft);
    this.room.localParticipant?.unregisterRpcMethod(RPC_PLAYBACK_STARTED);
    this.room.localParticipant?.unregisterRpcMethod(RPC_PLAYBACK_FINISHED);
    this.#giveUpAll(true);
  }

  /** Waits (once, bounded) for the avatar to join and publish its video: speech before that is lost. */
  async #avatarReady(): Promise<void> {
    if (this.#presence !== 'unknown') {
      if (this.#presence === 'absent' && this.room.remoteParticipants.has(this.avatarIdentity)) {
        this.#log.info('the avatar is in the room again');
        this.#presence = 'present';
      }
      return;
    }
    this.#joining ??= waitForTrackPublication({
      room: this.room,
      identity: this.avatarIdentity,
      kind: TrackKind.KIND_VIDEO,
      signal: AbortSignal.timeout(this.#joinTimeoutMs),
    }).then(
      () => {
        this.#presence = 'present';
      },
      () => {
        this.#presence = 'absent';
        this.#log.error(
          `the avatar did not join within ${this.#joinTimeoutMs / 1000} s; the agent's speech goes unheard until it does (is its avatar worker running?)`,
        );
      },
    );
    await this.#joining;
  }

  #open(frame: AudioFrame): Segment {
    const segment: Segment = { id: this.#nextId++, seconds: 0, started: false, writer: undefined };
    this.#capturing = segment;
    this.#pending.push(segment);
    const me = this.room.localParticipant;
    if (this.#presence !== 'present' || !me) return segment;
    if (!this.#waitPlaybackStart) {
      segment.started = true;
      this.onPlaybackStarted(Date.now());
    }
    segment.writer = this.#enqueue(() =>
      me.streamBytes({
        name: `AUDIO_${crypto.randomUUID()}`,
        topic: AUDIO_STREAM_TOPIC,
        destinationIdentities: [this.avatarIdentity],
        attributes: { sample_rate: String(frame.sampleRate), num_channels: String(frame.channels) },
      }),
    );
    return segment;
  }

  #closeStream(segment: Segment): void {
    const writer = segment.writer;
    this.#enqueue(async () => (await writer)?.close());
  }

  /** Runs `op` after every stream operation before it; a failure is logged, never thrown at the agent. */
  #enqueue<T>(op: () => Promise<T>): Promise<T | undefined> {
    const result = this.#wire.then(op).catch((err: unknown) => {
      if (this.#presence === 'present') this.#log.warn({ error: errorText(err) }, 'audio stream to the avatar failed');
      return undefined;
    });
    this.#wire = result;
    return result;
  }

  #arm(segment: Segment, ms: number, problem: string): void {
    clearTimeout(segment.timer);
    segment.timer = setTimeout(() => {
      if (!this.#pending.includes(segment)) return;
      this.#log.warn(`the avatar ${problem}; the segment counts as played`);
      if (!segment.mayBeAnswered) this.#stale++;
      this.#finish(segment, { playbackPosition: segment.seconds, interrupted: true });
    }, ms);
  }

  #finish(segment: Segment, event: voice.PlaybackFinishedEvent): void {
    const at = this.#pending.indexOf(segment);
    if (at < 0) return;
    this.#pending.splice(at, 1);
    clearTimeout(segment.timer);
    if (!segment.started) this.onPlaybackStarted(Date.now());
    this.onPlaybackFinished(event);
  }

  #giveUpAll(interrupted: boolean): void {
    const capturing = this.#capturing;
    if (capturing) {
      this.#closeStream(capturing);
      capturing.abandoned = true;
      capturing.writer = undefined;
    }
    for (const segment of [...this.#pending]) {
      this.#finish(segment, { playbackPosition: segment.seconds, interrupted });
    }
  }

  #fromAvatar(method: string, data: RpcInvocationData): boolean {
    if (data.callerIdentity === this.avatarIdentity) return true;
    this.#log.warn({ caller: data.callerIdentity }, `${method} from a participant that is not the avatar; refused`);
    return false;
  }

  #onStarted = (data: RpcInvocationData): string => {
    if (!this.#fromAvatar(RPC_PLAYBACK_STARTED, data)) return 'reject';
    const segment = this.#pending.find((s) => !s.started);
    if (segment) {
      segment.started = true;
      this.onPlaybackStarted(Date.now());
    }
    return 'ok';
  };

  #onFinished = (data: RpcInvocationData): string => {
    if (!this.#fromAvatar(RPC_PLAYBACK_FINISHED, data)) return 'reject';
    const report = parsePlaybackFinished(data.payload);
    if (typeof report === 'string') {
      this.#log.warn(`${report}; the segment counts as played`);
    }
    if (this.#stale > 0) {
      // The answer to a segment this side already finished when the avatar was late.
      this.#stale--;
      if (this.#pending[0]) this.#pending[0].mayBeAnswered = true;
      return 'ok';
    }
    const segment = this.#pending[0];
    if (!segment) return 'ok';
    this.#finish(
      segment,
      typeof report === 'string'
        ? { playbackPosition: segment.seconds, interrupted: false }
        : { playbackPosition: report.positionSeconds, interrupted: report.interrupted },
    );
    return 'ok';
  };

  #onLeft = (p: RemoteParticipant): void => {
    if (p.identity !== this.avatarIdentity) return;
    this.#presence = 'absent';
    this.#stale = 0;
    if (this.#pending.length > 0) this.#log.warn('the avatar left the room mid-speech');
    else this.#log.warn('the avatar left the room');
    this.#giveUpAll(true);
  };
}
