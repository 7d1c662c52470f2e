// Everything a character can look like, drawn once at start-up at the video's size: the full picture
// for the first frame, then per pose (breath × sway) the moving part of the picture and every eye and
// mouth state on top of it. A frame is then a few rectangle copies.
import { join } from 'node:path';
import { VISEMES, type Viseme } from '../lipsync/visemes.ts';
import { evenBox, type Patch, toPatch } from './i420.ts';
import { EYE_STATES, type EyeState, type Manifest } from './manifest.ts';
import type { CharacterPack } from './pack.ts';
import { blend, crop, opaqueBounds, type Raster, rasterize, solid } from './raster.ts';

/** Distinct positions for each motion: enough for smooth motion, few enough to keep memory small. */
const MAX_BREATH_STEPS = 3;
const MAX_SWAY_STEPS = 4;

export interface Pose {
  /** The part of the picture that moves, drawn without eyes and mouth. */
  body: Patch;
  eyes: Record<EyeState, Patch>;
  mouth: Record<Viseme, Patch>;
}

export interface Sprites {
  width: number;
  height: number;
  /** The whole first frame (I420), resting pose. */
  first: Uint8Array;
  /** Indexed [breath][sway]. */
  poses: Pose[][];
  breathLevels: number;
  swayLevels: number;
  idle: Manifest['idle'];
}

interface Offset {
  dx: number;
  dy: number;
}

export async function buildSprites(pack: CharacterPack, width: number, height: number): Promise<Sprites> {
  const { manifest } = pack;
  const { canvas } = manifest;
  const scale = Math.min(width / canvas.width, height / canvas.height);
  // Centred, standing on the bottom edge (characters are usually cut off at the chest).
  const originX = Math.round((width - canvas.width * scale) / 2);
  const originY = height - Math.round(canvas.height * scale);
  const px = (v: number) => Math.round(v * scale);
  const file = (name: string) => join(pack.dir, name);

  const background =
    'color' in manifest.background
      ? solid(manifest.background.color, width, height)
      : await rasterize(file(manifest.background.image), width, height, true);
  const layers = await Promise.all(
    manifest.layers.map(async (l) => ({
      motion: l.motion,
      raster: await rasterize(file(l.image), px(canvas.width), px(canvas.height)),
    })),
  );
  const part = async <K extends string>(p: {
    anchor: { x: number; y: number };
    size: { width: number; height: number };
    images: Record<K, string>;
  }) => {
    const w = px(p.size.width);
    const h = px(p.size.height);
    const images = {} as Record<K, Raster>;
    for (const [key, name] of Object.entries(p.images) as [K, string][])
      images[key] = await rasterize(file(name), w, h);
    return { images, x: originX + px(p.anchor.x) - (w >> 1), y: originY + px(p.anchor.y) - (h >> 1), w, h };
  };
  const eyes = await part(manifest.eyes);
  const mouth = await part(manifest.mouth);

  const breaths = levels(px(manifest.idle.breathPixels), MAX_BREATH_STEPS).map((v) => -v); // inhaling lifts
  const sways = levels(2 * px(manifest.idle.swayPixels), MAX_SWAY_STEPS).map((v) => v - px(manifest.idle.swayPixels));
  const bodyOffset = (breath: number): Offset => ({ dx: 0, dy: breath });
  const headOffset = (breath: number, sway: number): Offset => ({ dx: sway, dy: breath });

  const compose = (breath: number, sway: number): Raster => {
    const picture = { ...background, rgba: background.rgba.slice() };
    for (const { motion, raster } of layers) {
      const o =
        motion === 'head' ? headOffset(breath, sway) : motion === 'body' ? bodyOffset(breath) : { dx: 0, dy: 0 };
      blend(picture, raster, originX + o.dx, originY + o.dy);
    }
    return picture;
  };

  // The moving region: every moving layer's visible pixels at every offset it can take.
  const maxBreath = Math.max(0, ...breaths.map(Math.abs));
  const maxSway = Math.max(0, ...sways.map(Math.abs));
  let region = { x0: width, y0: height, x1: 0, y1: 0 };
  for (const { motion, raster } of layers) {
    const b = motion === 'none' ? undefined : opaqueBounds(raster);
    if (!b) continue;
    const sx = motion === 'head' ? maxSway : 0;
    region = {
      x0: Math.min(region.x0, originX + b.x0 - sx),
      y0: Math.min(region.y0, originY + b.y0 - maxBreath),
      x1: Math.max(region.x1, originX + b.x1 + sx),
      y1: Math.max(region.y1, originY + b.y1),
    };
  }
  // A character with no moving layers still needs a (tiny) region to repaint.
  if (region.x1 <= region.x0) region = { x0: 0, y0: 0, x1: 2, y1: 2 };
  const box = evenBox(region.x0, region.y0, region.x1, region.y1, width, height);

  const facePatch = (picture: Raster, image: Raster, at: { x: number; y: number }, o: Offset): Patch => {
    const x = at.x + o.dx;
    const y = at.y + o.dy;
    const b = evenBox(x, y, x + image.width, y + image.height, width, height);
    const piece = crop(picture, b.x, b.y, b.width, b.height);
    blend(piece, image, x - b.x, y - b.y);
    return toPatch(piece, b.x, b.y);
  };

  let first: Uint8Array | undefined;
  const poses = breaths.map((breath) =>
    sways.map((sway): Pose => {
      const picture = compose(breath, sway);
      const head = headOffset(breath, sway);
      const pose: Pose = {
        body: toPatch(crop(picture, box.x, box.y, box.width, box.height), box.x, box.y),
        eyes: Object.fromEntries(EYE_STATES.map((s) => [s, facePatch(picture, eyes.images[s], eyes, head)])) as Record<
          EyeState,
          Patch
        >,
        mouth: Object.fromEntries(VISEMES.map((v) => [v, facePatch(picture, mouth.images[v], mouth, head)])) as Record<
          Viseme,
          Patch
        >,
      };
      if (!first && breath === breaths[0] && sway === sways[sways.length >> 1]) {
        blend(picture, eyes.images.open, eyes.x + head.dx, eyes.y + head.dy);
        blend(picture, mouth.images.X, mouth.x + head.dx, mouth.y + head.dy);
        first = toPatch(picture, 0, 0).data;
      }
      return pose;
    }),
  );
  return {
    width,
    height,
    first: first as Uint8Array,
    poses,
    breathLevels: breaths.length,
    swayLevels: sways.length,
    idle: manifest.idle,
  };
}

/** `steps + 1` evenly spread whole-pixel positions from 0 to `amplitude` (one if it is 0). */
function levels(amplitude: number, maxSteps: number): number[] {
  const steps = Math.min(amplitude, maxSteps);
  if (steps === 0) return [0];
  return Array.from({ length: steps + 1 }, (_, k) => Math.round((amplitude * k) / steps));
}
