// Runs in Chromium: joins the room like a viewer would and records, on the browser's own clock, when
// each video frame is shown (mouth read from the measuring renderer's block) and when each slice of
// audio is heard (envelope of the audio the viewer's <audio> element plays).
//
// Why not Web Audio: a second AudioContext tapping the track (MediaStreamAudioSourceNode + worklet)
// is a different sink from the <audio> element that Chromium's lip sync aligns video to. The element
// pulls the audio on its output clock and hands it through a FIFO to the context's own output clock;
// in headless Chromium both are fake devices that slip against each other (getOutputTimestamp's
// context-to-performance mapping moved by 110-280 ms within a minute), so that tap measured the audio
// 50-120 ms late, and later as the run went on. Here the audio is taken where the element pulls it
// (MediaStreamTrackProcessor sees each 10 ms chunk when the element's renderer takes it from the
// jitter buffer) and dated by the output delay Chromium reports for that renderer (`media-playout`
// stats), which is also the delay its lip sync accounts for.
import { type RemoteParticipant, type RemoteTrack, Room, RoomEvent, Track } from 'livekit-client';
import { PUBLISH_ON_BEHALF_ATTRIBUTE } from '../../src/avatar/remote/protocol.ts';

/**
 * Whose tracks the probe records. `any`: every published track (the in-process avatar publishes as the
 * agent itself, and nobody else in the room publishes). `avatar-worker`: only a participant that
 * publishes on behalf of an agent present in the room (`lk.publish_on_behalf`), i.e. an avatar worker's.
 */
export type Watch = 'any' | 'avatar-worker';

interface Sample {
  at: number;
  value: number;
}

/** How Chromium played the streams since the previous look: evidence for whether lip sync was at work. */
export interface ProbeStats {
  /** MediaStream ids of the audio and video tracks: Chromium lip-syncs only tracks of one stream. */
  audioStream: string;
  videoStream: string;
  /** Output delay of the audio element's renderer (pull to sound), ms. */
  audioPlayoutDelayMs: number;
  /** Audio jitter buffer target delay, ms. */
  audioTargetDelayMs: number;
  /** Delay Chromium added to video beyond what its own jitter needs (its lip-sync stage), ms. */
  videoSyncDelayMs: number;
}

/** Chromium's audio chunks from a remote track are dated on the performance clock; this far off, they are not. */
const CLOCK_MISMATCH_MS = 1000;
const PLAYOUT_POLL_MS = 1000;

const audio: Sample[] = [];
const video: Sample[] = [];
let room: Room | undefined;
let audioTrack: RemoteTrack | undefined;
let videoTrack: RemoteTrack | undefined;
/** Latest output delay of the audio renderer; Chromium reports ~30 ms for headless output. */
let playoutDelayMs: number | undefined;

// Chromium's breakout box for audio: not in TypeScript's DOM types.
interface AudioChunk {
  timestamp: number;
  numberOfFrames: number;
  copyTo(dest: Float32Array, options: { planeIndex: number; format: 'f32-planar' }): void;
  close(): void;
}
declare const MediaStreamTrackProcessor: new (init: {
  track: MediaStreamTrack;
}) => { readable: ReadableStream<AudioChunk> };

/** Chromium's cumulative counters at the last `probeStats` call. */
interface Totals {
  audioEmitted: number;
  audioTarget: number;
  playoutDelay: number;
  playoutSamples: number;
  videoEmitted: number;
  videoSync: number;
}
type Counters = Partial<Totals>;
let lastTotals: Totals = {
  audioEmitted: 0,
  audioTarget: 0,
  playoutSamples: 0,
  playoutDelay: 0,
  videoEmitted: 0,
  videoSync: 0,
};

/** Mean delay (s, cumulative in Chromium's counters) per sample or frame since `last`, in ms. */
function meanSince<T extends Counters>(now: T, last: T, delay: keyof T, count: keyof T): number {
  const n = (now[count] as number) - (last[count] as number);
  return n > 0 ? (((now[delay] as number) - (last[delay] as number)) / n) * 1000 : Number.NaN;
}

async function statsOf(track: RemoteTrack | undefined): Promise<Map<string, Record<string, number>>> {
  const byType = new Map<string, Record<string, number>>();
  const stats = await track?.receiver?.getStats();
  stats?.forEach((s: Record<string, number> & { type: string }) => {
    if (s.type === 'inbound-rtp' || s.type === 'media-playout') byType.set(s.type, s);
  });
  return byType;
}

/** Keeps `playoutDelayMs` current: the renderer's output delay over the last poll interval. */
async function pollPlayoutDelay(track: RemoteTrack): Promise<void> {
  let last = { playoutDelay: 0, playoutSamples: 0 };
  while (room) {
    const playout = (await statsOf(track)).get('media-playout');
    if (playout) {
      const now = { playoutDelay: playout.totalPlayoutDelay ?? 0, playoutSamples: playout.totalSamplesCount ?? 0 };
      const mean = meanSince(now, last, 'playoutDelay', 'playoutSamples');
      if (!Number.isNaN(mean)) playoutDelayMs = mean;
      last = now;
    }
    await new Promise((resolve) => setTimeout(resolve, PLAYOUT_POLL_MS));
  }
}

async function recordAudio(track: RemoteTrack) {
  audioTrack = track;
  // The viewer's sink: Chromium pulls remote WebRTC audio only for a media element, and lip-syncs the
  // video to this element's playout. Muted because a headless run has nobody to hear it.
  const element = track.attach();
  element.muted = true;
  document.body.appendChild(element);
  void pollPlayoutDelay(track);
  const reader = new MediaStreamTrackProcessor({ track: track.mediaStreamTrack }).readable.getReader();
  let buffer = new Float32Array(0);
  for (;;) {
    const { value: chunk, done } = await reader.read();
    if (done) return;
    if (buffer.length !== chunk.numberOfFrames) buffer = new Float32Array(chunk.numberOfFrames);
    chunk.copyTo(buffer, { planeIndex: 0, format: 'f32-planar' });
    const pulledAt = chunk.timestamp / 1000;
    chunk.close();
    if (Math.abs(performance.now() - pulledAt) > CLOCK_MISMATCH_MS)
      throw new Error('audio chunk timestamps are not on the performance clock: the probe cannot date them');
    if (playoutDelayMs === undefined) continue;
    let sum = 0;
    for (const s of buffer) sum += s * s;
    audio.push({
      at: performance.timeOrigin + pulledAt + playoutDelayMs,
      value: Math.sqrt(sum / buffer.length) * 32768,
    });
  }
}

function recordVideo(track: RemoteTrack) {
  videoTrack = track;
  const element = track.attach() as HTMLVideoElement;
  element.muted = true;
  element.playsInline = true;
  document.body.appendChild(element);
  const canvas = document.createElement('canvas');
  const size = 32;
  canvas.width = size;
  canvas.height = size;
  const g = canvas.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D;
  const onFrame = (_now: number, meta: VideoFrameCallbackMetadata) => {
    const w = element.videoWidth;
    const h = element.videoHeight;
    if (w && h) {
      // The middle of the block (the middle half of the picture).
      g.drawImage(element, w * 0.35, h * 0.35, w * 0.3, h * 0.3, 0, 0, size, size);
      const px = g.getImageData(0, 0, size, size).data;
      let sum = 0;
      for (let i = 0; i < px.length; i += 4)
        sum += 0.299 * (px[i] as number) + 0.587 * (px[i + 1] as number) + 0.114 * (px[i + 2] as number);
      video.push({ at: performance.timeOrigin + meta.expectedDisplayTime, value: sum / (px.length / 4) });
    }
    element.requestVideoFrameCallback(onFrame);
  };
  element.requestVideoFrameCallback(onFrame);
}

function watched(watch: Watch, publisher: RemoteParticipant): boolean {
  if (watch === 'any') return true;
  const agent = publisher.attributes[PUBLISH_ON_BEHALF_ATTRIBUTE];
  return agent !== undefined && room?.remoteParticipants.has(agent) === true;
}

Object.assign(window, {
  async joinProbe(url: string, token: string, watch: Watch = 'any') {
    room = new Room({ adaptiveStream: false, dynacast: false });
    room.on(RoomEvent.TrackSubscribed, (track, _publication, publisher) => {
      if (!watched(watch, publisher)) return;
      if (track.kind === Track.Kind.Audio) void recordAudio(track);
      else if (track.kind === Track.Kind.Video) recordVideo(track);
    });
    await room.connect(url, token);
  },
  async sendChat(text: string) {
    await room?.localParticipant.sendText(text, { topic: 'lk.chat' });
  },
  readProbe() {
    return { audio: audio.splice(0), video: video.splice(0) };
  },
  /** Averages since the previous call (Chromium's counters are cumulative). */
  async probeStats(): Promise<ProbeStats> {
    const a = await statsOf(audioTrack);
    const inbound = a.get('inbound-rtp') ?? {};
    const playout = a.get('media-playout') ?? {};
    const v = (await statsOf(videoTrack)).get('inbound-rtp') ?? {};
    const now: Totals = {
      audioEmitted: inbound.jitterBufferEmittedCount ?? 0,
      audioTarget: inbound.jitterBufferTargetDelay ?? 0,
      playoutSamples: playout.totalSamplesCount ?? 0,
      playoutDelay: playout.totalPlayoutDelay ?? 0,
      videoEmitted: v.jitterBufferEmittedCount ?? 0,
      videoSync: (v.jitterBufferTargetDelay ?? 0) - (v.jitterBufferMinimumDelay ?? 0),
    };
    const last = lastTotals;
    lastTotals = now;
    const mean = (delay: keyof Totals, count: keyof Totals) => meanSince(now, last, delay, count);
    return {
      audioStream: audioTrack?.mediaStream?.id ?? '',
      videoStream: videoTrack?.mediaStream?.id ?? '',
      audioPlayoutDelayMs: mean('playoutDelay', 'playoutSamples'),
      audioTargetDelayMs: mean('audioTarget', 'audioEmitted'),
      videoSyncDelayMs: mean('videoSync', 'videoEmitted'),
    };
  },
});
