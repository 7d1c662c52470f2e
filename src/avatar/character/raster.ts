// Images to pixels at the size the video needs: SVG drawn at that scale (crisp at any resolution),
// PNG resampled. Straight (not premultiplied) RGBA.
import sharp from 'sharp';

/** Density at which an SVG's own width and height come out in pixels. */
const SVG_BASE_DENSITY = 72;

export interface Raster {
  width: number;
  height: number;
  rgba: Uint8Array;
}

/** Draws `path` at `width`×`height`; `cover` crops to fill instead of stretching (backgrounds). */
export async function rasterize(path: string, width: number, height: number, cover = false): Promise<Raster> {
  const meta = await sharp(path).metadata();
  const scale = Math.max(width / (meta.width ?? width), height / (meta.height ?? height));
  const density = meta.format === 'svg' ? SVG_BASE_DENSITY * scale : undefined;
  const { data } = await sharp(path, density ? { density } : {})
    .resize(width, height, { fit: cover ? 'cover' : 'fill' })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  // A fresh array that starts at offset 0: frames built from it must not carry a byteOffset.
  return { width, height, rgba: new Uint8Array(data) };
}

/** A solid colour (#rrggbb) as an opaque raster. */
export function solid(color: string, width: number, height: number): Raster {
  const rgba = new Uint8Array(width * height * 4);
  const value = Number.parseInt(color.slice(1), 16);
  for (let i = 0; i < rgba.length; i += 4) {
    rgba[i] = value >> 16;
    rgba[i + 1] = (value >> 8) & 0xff;
    rgba[i + 2] = value & 0xff;
    rgba[i + 3] = 0xff;
  }
  return { width, height, rgba };
}

/** Alpha-blends `src` over the opaque `dst` with its top-left corner at (x, y); clipped to `dst`. */
export function blend(dst: Raster, src: Raster, x: number, y: number): void {
  const x0 = Math.max(0, x);
  const y0 = Math.max(0, y);
  const x1 = Math.min(dst.width, x + src.width);
  const y1 = Math.min(dst.height, y + src.height);
  for (let row = y0; row < y1; row++) {
    let s = ((row - y) * src.width + (x0 - x)) * 4;
    let d = (row * dst.width + x0) * 4;
    for (let col = x0; col < x1; col++, s += 4, d += 4) {
      const a = src.rgba[s + 3] as number;
      if (a === 0) continue;
      for (let c = 0; c < 3; c++) {
        dst.rgba[d + c] = ((src.rgba[s + c] as number) * a + (dst.rgba[d + c] as number) * (255 - a) + 127) / 255;
      }
    }
  }
}

/** The box around the pixels of `r` that are not fully transparent, or undefined if there are none. */
export function opaqueBounds(r: Raster): { x0: number; y0: number; x1: number; y1: number } | undefined {
  let x0 = r.width;
  let y0 = r.height;
  let x1 = 0;
  let y1 = 0;
  for (let row = 0; row < r.height; row++) {
    for (let col = 0; col < r.width; col++) {
      if ((r.rgba[(row * r.width + col) * 4 + 3] as number) === 0) continue;
      x0 = Math.min(x0, col);
      x1 = Math.max(x1, col + 1);
      y0 = Math.min(y0, row);
      y1 = Math.max(y1, row + 1);
    }
  }
  return x1 > x0 ? { x0, y0, x1, y1 } : undefined;
}

export function crop(r: Raster, x: number, y: number, width: number, height: number): Raster {
  const rgba = new Uint8Array(width * height * 4);
  for (let row = 0; row < height; row++) {
    const from = ((y + row) * r.width + x) * 4;
    rgba.set(r.rgba.subarray(from, from + width * 4), row * width * 4);
  }
  return { width, height, rgba };
}
