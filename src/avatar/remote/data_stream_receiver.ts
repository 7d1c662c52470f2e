// The avatar's side of LiveKit's avatar data-stream protocol: speech segments from one agent arrive
// as byte streams and go to the avatar runner; clears drop them at once; playback goes back as RPCs.
// Everything an agent sends is checked: a bad stream is refused with one log line and reported as
// finished, so the agent never waits on audio that will not play.
import {
  AudioFrame,
  type ByteStreamReader,
  type RemoteParticipant,
  type Room,
  RoomEvent,
  RpcError,
} from '@livekit/rtc-node';
import { errorText } from '../../error_text.ts';
import type { AvatarRunner, PlaybackFinished } from '../avatar_runner.ts';
import {
  AUDIO_STREAM_TOPIC,
  parseStreamFormat,
  playbackFinishedPayload,
  RPC_CLEAR_BUFFER,
  RPC_PLAYBACK_FINISHED,
  RPC_PLAYBACK_STARTED,
  type StreamFormat,
} from './protocol.ts';

/** A segment longer than this is cut: no agent speaks for ten minutes in one breath. */
export const MAX_SEGMENT_SECONDS = 600;
const RPC_ATTEMPTS = 3;
const RPC_RETRY_MS = 100;
const RPC_TIMEOUT_MS = 5000;

interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** The part of the runner a receiver drives. */
type Sink = Pick<AvatarRunner, 'pushAudio' | 'endSegment' | 'clear' | 'on' | 'off'>;

export class DataStreamReceiver {
  /** Bumped by every clear and every new stream: a reader from an older generation stops. */
  #generation = 0;
  #notifications: Promise<void> = Promise.resolve();
  #senderWantsStarted = true;
  #closed = false;

  constructor(
    private readonly room: Room,
    /** The agent this avatar speaks for; streams and RPCs from anyone else are refused. */
    readonly senderIdentity: string,
    private readonly runner: Sink,
    private readonly logger: Logger,
    private readonly maxSegmentSeconds = MAX_SEGMENT_SECONDS,
  ) {}

  start(): void {
    this.room.registerByteStreamHandler(AUDIO_STREAM_TOPIC, (reader, from) => {
      this.#receive(reader, from.identity).catch((err: unknown) =>
        this.logger.warn({ error: String(err) }, 'audio stream failed; segment ended'),
      );
    });
    this.room.localParticipant?.registerRpcMethod(RPC_CLEAR_BUFFER, async ({ callerIdentity }) => {
      if (callerIdentity !== this.senderIdentity) {
        this.logger.warn({ caller: callerIdentity }, 'lk.clear_buffer from a participant this avatar does not serve');
        return 'reject';
      }
      this.#generation++;
      this.runner.clear();
      return 'ok';
    });
    this.runner.on('playbackStarted', this.#onStarted);
    this.runner.on('playbackFinished', this.#onFinished);
    this.room.on(RoomEvent.ParticipantDisconnected, this.#onLeft);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#generation++;
    this.room.unregisterByteStreamHandler(AUDIO_STREAM_TOPIC);
    this.room.localParticipant?.unregisterRpcMethod(RPC_CLEAR_BUFFER);
    this.runner.off('playbackStarted', this.#onStarted);
    this.runner.off('playbackFinished', this.#onFinished);
    this.room.off(RoomEvent.ParticipantDisconnected, this.#onLeft);
  }

  async #receive(reader: ByteStreamReader, from: string): Promise<void> {
    if (from !== this.senderIdentity) {
      this.logger.warn({ sender: from }, 'audio stream from a participant this avatar does not serve; ignored');
      return reader.close();
    }
    const format = parseStreamFormat(reader.info.attributes);
    if (typeof format === 'string') {
      this.logger.warn({ stream: reader.info.streamId }, `${format}; refused`);
      await reader.close();
      // The agent counts a segment per stream: finish this one, or it waits for it forever.
      this.#report(RPC_PLAYBACK_FINISHED, playbackFinishedPayload(0, true));
      return;
    }
    // A new stream ends whatever was still arriving: segments do not overlap.
    const generation = ++this.#generation;
    this.runner.endSegment();
    const current = () => generation === this.#generation && !this.#closed;
    const pcm = new PcmAssembler(format);
    const limit = this.maxSegmentSeconds * format.sampleRate;
    for await (const chunk of reader) {
      if (!current()) break;
      const frame = pcm.push(chunk);
      if (!frame) continue;
      if (pcm.samplesPerChannel > limit) {
        this.logger.warn({ stream: reader.info.streamId }, `audio stream over ${this.maxSegmentSeconds} s; cut there`);
        break;
      }
      await this.runner.pushAudio(frame);
    }
    if (!current()) return;
    if (pcm.leftoverBytes > 0) {
      this.logger.warn(
        { stream: reader.info.streamId, bytes: pcm.leftoverBytes },
        'audio stream ended inside a sample frame; the partial frame was dropped',
      );
    }
    this.runner.endSegment();
  }

  #onStarted = () => {
    if (this.#senderWantsStarted) this.#report(RPC_PLAYBACK_STARTED, '');
  };

  #onFinished = ({ position, interrupted }: PlaybackFinished) => {
    this.#report(RPC_PLAYBACK_FINISHED, playbackFinishedPayload(position, interrupted));
  };

  #onLeft = (p: RemoteParticipant) => {
    if (p.identity !== this.senderIdentity) return;
    this.logger.info({ sender: p.identity }, 'the agent left; its queued speech is dropped');
    this.#generation++;
    this.runner.clear();
  };

  /** In order, with retries; a report that cannot be delivered is logged, never thrown. */
  #report(method: string, payload: string): void {
    this.#notifications = this.#notifications.then(() => this.#deliver(method, payload));
  }

  async #deliver(method: string, payload: string): Promise<void> {
    const me = this.room.localParticipant;
    if (!me || this.#closed) return;
    for (let attempt = 1; attempt <= RPC_ATTEMPTS; attempt++) {
      try {
        await me.performRpc({
          destinationIdentity: this.senderIdentity,
          method,
          payload,
          responseTimeout: RPC_TIMEOUT_MS,
        });
        return;
      } catch (err) {
        // Senders that do not wait for playback to start do not register that method: stop sending it.
        if (err instanceof RpcError && err.code === RpcError.ErrorCode.UNSUPPORTED_METHOD) {
          if (method === RPC_PLAYBACK_STARTED) this.#senderWantsStarted = false;
          return;
        }
        if (attempt === RPC_ATTEMPTS) {
          this.logger.warn({ method, error: errorText(err) }, 'playback report lost');
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, RPC_RETRY_MS));
      }
    }
  }
}

/** Bytes as they arrive → whole interleaved sample frames, in buffers that start at offset 0. */
class PcmAssembler {
  samplesPerChannel = 0;
  #carry = new Uint8Array(0);
  readonly #frameBytes: number;

  constructor(private readonly format: StreamFormat) {
    this.#frameBytes = 2 * format.channels;
  }

  get leftoverBytes(): number {
    return this.#carry.length;
  }

  push(chunk: Uint8Array): AudioFrame | undefined {
    const bytes = new Uint8Array(this.#carry.length + chunk.length);
    bytes.set(this.#carry);
    bytes.set(chunk, this.#carry.length);
    const whole = bytes.length - (bytes.length % this.#frameBytes);
    this.#carry = bytes.slice(whole);
    if (whole === 0) return undefined;
    // A fresh copy: rtc-node's AudioFrame reads its buffer from offset 0, and PCM is little-endian.
    const samples = new Int16Array(bytes.buffer.slice(0, whole));
    const perChannel = samples.length / this.format.channels;
    this.samplesPerChannel += perChannel;
    return new AudioFrame(samples, this.format.sampleRate, this.format.channels, perChannel);
  }
}
