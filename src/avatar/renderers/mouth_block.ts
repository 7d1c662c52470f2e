// The measuring renderer: draws the mouth's openness as the brightness of a solid block, so a
// subscriber can read the mouth back from received video and line it up with the received audio.
import { VideoBufferType, VideoFrame } from '@livekit/rtc-node';
import type { Renderer, RenderInput } from '../renderer.ts';

/** RMS (int16) at which the mouth is fully open. */
const FULL_OPEN_RMS = 5000;
const BACKGROUND_LUMA = 40;
const BLACK_LUMA = 16;
const LUMA_RANGE = 219;
const NEUTRAL_CHROMA = 128;

export function mouthOpenness(audio: Int16Array | undefined): number {
  if (!audio || audio.length === 0) return 0;
  let sum = 0;
  for (const s of audio) sum += s * s;
  return Math.min(1, Math.sqrt(sum / audio.length) / FULL_OPEN_RMS);
}

export class MouthBlockRenderer implements Renderer {
  #frame: VideoFrame;
  #lastLuma = -1;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    const lumaBytes = width * height;
    const chromaBytes = Math.ceil(width / 2) * Math.ceil(height / 2);
    const data = new Uint8Array(lumaBytes + 2 * chromaBytes);
    data.fill(BACKGROUND_LUMA, 0, lumaBytes);
    data.fill(NEUTRAL_CHROMA, lumaBytes);
    this.#frame = new VideoFrame(data, width, height, VideoBufferType.I420);
  }

  render({ audio }: RenderInput): VideoFrame {
    const luma = Math.round(BLACK_LUMA + LUMA_RANGE * mouthOpenness(audio));
    if (luma !== this.#lastLuma) {
      // Only the block changes between frames; the pooled buffer is rewritten in place.
      const { x0, y0, x1, y1 } = blockRegion(this.width, this.height);
      const y = this.#frame.data;
      for (let row = y0; row < y1; row++) y.fill(luma, row * this.width + x0, row * this.width + x1);
      this.#lastLuma = luma;
    }
    return this.#frame;
  }

  reset(): void {
    // Nothing carries over between frames: the next frame's audio alone decides the block.
  }
}

/** The block: the middle half of the picture. */
export function blockRegion(width: number, height: number) {
  return { x0: width >> 2, y0: height >> 2, x1: width - (width >> 2), y1: height - (height >> 2) };
}

/** Reads the openness back from a received frame (any size the encoder chose; I420 or convertible). */
export function readMouthOpenness(frame: VideoFrame): number {
  const i420 = frame.type === VideoBufferType.I420 ? frame : frame.convert(VideoBufferType.I420);
  const { x0, y0, x1, y1 } = blockRegion(i420.width, i420.height);
  // The inner part of the block: encoder ringing stays near its edges.
  const inset = (x1 - x0) >> 3;
  let sum = 0;
  let count = 0;
  const data = i420.data;
  for (let row = y0 + inset; row < y1 - inset; row += 2) {
    for (let col = x0 + inset; col < x1 - inset; col += 2) {
      sum += data[row * i420.width + col] as number;
      count++;
    }
  }
  return Math.max(0, Math.min(1, (sum / count - BLACK_LUMA) / LUMA_RANGE));
}
