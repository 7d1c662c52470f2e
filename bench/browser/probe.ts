// Runs in Chromium: joins the room like a viewer would and records, on the browser's own clocks, when
// each video frame is shown (mouth read from the measuring renderer's block) and when each slice of
// audio is played (envelope from an AudioWorklet, mapped to performance time at the output).
import { type RemoteTrack, Room, RoomEvent, Track } from 'livekit-client';

interface Sample {
  at: number;
  value: number;
}

const audio: Sample[] = [];
const video: Sample[] = [];
let room: Room | undefined;

const WORKLET = `
class Envelope extends AudioWorkletProcessor {
  process(inputs) {
    const ch = inputs[0] && inputs[0][0];
    if (ch) {
      let sum = 0;
      for (let i = 0; i < ch.length; i++) sum += ch[i] * ch[i];
      this.port.postMessage({ t: currentTime, rms: Math.sqrt(sum / ch.length) * 32768 });
    }
    return true;
  }
}
registerProcessor('envelope', Envelope);`;

async function recordAudio(track: RemoteTrack) {
  // Chromium only feeds remote WebRTC audio to Web Audio once it is attached to a media element.
  const element = track.attach();
  element.muted = true;
  document.body.appendChild(element);
  const ctx = new AudioContext({ latencyHint: 'interactive' });
  await ctx.audioWorklet.addModule(URL.createObjectURL(new Blob([WORKLET], { type: 'text/javascript' })));
  const source = ctx.createMediaStreamSource(new MediaStream([track.mediaStreamTrack as MediaStreamTrack]));
  const node = new AudioWorkletNode(ctx, 'envelope');
  node.port.onmessage = ({ data }) => {
    const stamp = ctx.getOutputTimestamp();
    const contextTime = stamp.contextTime ?? ctx.currentTime;
    const performanceTime = stamp.performanceTime ?? performance.now();
    // When this slice reaches the output: the output timestamp's mapping, shifted to the slice.
    audio.push({ at: performance.timeOrigin + performanceTime + (data.t - contextTime) * 1000, value: data.rms });
  };
  source.connect(node).connect(ctx.destination);
  await ctx.resume();
}

function recordVideo(track: RemoteTrack) {
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

Object.assign(window, {
  async joinProbe(url: string, token: string) {
    room = new Room({ adaptiveStream: false, dynacast: false });
    room.on(RoomEvent.TrackSubscribed, (track) => {
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
});
