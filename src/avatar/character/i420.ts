// Precomposed pieces of the picture in the encoder's own format (I420), so drawing a frame is only
// copying rows: no colour conversion and no allocation per frame.
import { VideoBufferType, VideoFrame } from '@livekit/rtc-node';
import type { Raster } from './raster.ts';

/** An I420 rectangle at an even position with even size (chroma is sampled in 2×2 blocks). */
export interface Patch {
  x: number;
  y: number;
  width: number;
  height: number;
  /** Y plane, then U, then V. */
  data: Uint8Array;
}

/** Converts an RGBA raster (even size) to an I420 patch placed at (x, y), using libyuv via rtc-node. */
export function toPatch(raster: Raster, x: number, y: number): Patch {
  const converted = new VideoFrame(raster.rgba, raster.width, raster.height, VideoBufferType.RGBA).convert(
    VideoBufferType.I420,
  );
  return { x, y, width: raster.width, height: raster.height, data: new Uint8Array(converted.data) };
}

/** Copies `patch` into the I420 `frame` in place. */
export function drawPatch(frame: VideoFrame, patch: Patch): void {
  const { width: fw, height: fh } = frame;
  const { x, y, width: pw, height: ph, data } = patch;
  const dst = frame.data;
  for (let row = 0; row < ph; row++) {
    const from = row * pw;
    dst.set(data.subarray(from, from + pw), (y + row) * fw + x);
  }
  const cfw = fw >> 1;
  const cpw = pw >> 1;
  const cph = ph >> 1;
  const frameChroma = cfw * (fh >> 1);
  const patchChroma = cpw * cph;
  for (let plane = 0; plane < 2; plane++) {
    const dstBase = fw * fh + plane * frameChroma;
    const srcBase = pw * ph + plane * patchChroma;
    for (let row = 0; row < cph; row++) {
      const from = srcBase + row * cpw;
      dst.set(data.subarray(from, from + cpw), dstBase + ((y >> 1) + row) * cfw + (x >> 1));
    }
  }
}

/** The smallest even-aligned box around [x0, x1)×[y0, y1) that stays inside width×height. */
export function evenBox(x0: number, y0: number, x1: number, y1: number, width: number, height: number) {
  const left = Math.max(0, Math.floor(x0 / 2) * 2);
  const top = Math.max(0, Math.floor(y0 / 2) * 2);
  const right = Math.min(width, Math.ceil(x1 / 2) * 2);
  const bottom = Math.min(height, Math.ceil(y1 / 2) * 2);
  return { x: left, y: top, width: right - left, height: bottom - top };
}
