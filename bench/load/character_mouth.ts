// Reads the built-in character's mouth back from received video, so the load benchmark can measure the
// A/V offset of the renderer people actually see (its drawing and its harder-to-encode motion) rather
// than the measuring renderer's grey block.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VideoBufferType, type VideoFrame } from '@livekit/rtc-node';
import { DEFAULT_CHARACTER_DIR, MANIFEST_FILE, manifestSchema } from '../../src/avatar/character/manifest.ts';

/** Luma levels of 8-bit video. */
const LEVELS = 256;
/** A pixel this far from the face around it is mouth (dark inside, teeth, tongue, lips), not skin. */
const NOT_SKIN = 30;

const manifest = manifestSchema.parse(JSON.parse(readFileSync(join(DEFAULT_CHARACTER_DIR, MANIFEST_FILE), 'utf8')));
const { anchor, size } = manifest.mouth;
/** The mouth moves with the head (breath and sway): read only the part it covers in every pose. */
const inset = manifest.idle.breathPixels + manifest.idle.swayPixels;
/** The mouth area in canvas pixels; the benchmark's video is the canvas's size (512×512). */
const AREA = {
  x0: anchor.x - size.width / 2 + inset,
  x1: anchor.x + size.width / 2 - inset,
  y0: anchor.y - size.height / 2 + inset,
  y1: anchor.y + size.height / 2 - inset,
};

/**
 * How much of the mouth area is mouth rather than face (0..1): pixels whose luma is far from the area's
 * median, which is the skin around the mouth. The more open the mouth, the more of it shows, whatever
 * shows (the dark inside, the teeth, the tongue), so this follows the voice more closely than the area's
 * mean brightness, which teeth raise and the inside lowers. Scaled to whichever simulcast layer arrived.
 */
export function characterMouthArea(frame: VideoFrame): number {
  const i420 = frame.type === VideoBufferType.I420 ? frame : frame.convert(VideoBufferType.I420);
  const scale = i420.width / manifest.canvas.width;
  const at = (v: number) => Math.round(v * scale);
  const [x0, x1, y0, y1] = [at(AREA.x0), at(AREA.x1), at(AREA.y0), at(AREA.y1)];
  const histogram = new Uint32Array(LEVELS);
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const luma = i420.data[y * i420.width + x] as number;
      histogram[luma] = (histogram[luma] as number) + 1;
    }
  }
  const pixels = (x1 - x0) * (y1 - y0);
  let median = 0;
  for (let seen = 0; median < LEVELS; median++) {
    seen += histogram[median] as number;
    if (seen * 2 >= pixels) break;
  }
  let skin = 0;
  for (let level = Math.max(0, median - NOT_SKIN); level <= Math.min(LEVELS - 1, median + NOT_SKIN); level++)
    skin += histogram[level] as number;
  return 1 - skin / pixels;
}
