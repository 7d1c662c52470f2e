// Loading a character pack: the manifest checked against its schema and every image against it, so a
// broken pack stops the worker at start-up with one line naming the file and the problem.
import { readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { errorText } from '../../error_text.ts';
import { MANIFEST_FILE, type Manifest, manifestSchema } from './manifest.ts';

export class CharacterPackError extends Error {
  override name = 'CharacterPackError';
}

export interface CharacterPack {
  dir: string;
  manifest: Manifest;
}

interface Sized {
  file: string;
  /** Required size, or undefined for any size (backgrounds are scaled to cover the frame). */
  size?: { width: number; height: number };
  /** Where the size requirement comes from, for the error line. */
  rule?: string;
}

export async function loadCharacterPack(dir: string): Promise<CharacterPack> {
  const manifestPath = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch {
    throw new CharacterPackError(`${manifestPath}: cannot read the pack manifest`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CharacterPackError(`${manifestPath}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'manifest';
    throw new CharacterPackError(`${manifestPath}: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  const manifest = parsed.data;
  const { canvas, eyes, mouth, background } = manifest;
  const checks: Sized[] = [
    ...('image' in background ? [{ file: background.image }] : []),
    ...manifest.layers.map((l) => ({ file: l.image, size: canvas, rule: 'the canvas' })),
    ...Object.values(eyes.images).map((file) => ({ file, size: eyes.size, rule: 'eyes.size' })),
    ...Object.values(mouth.images).map((file) => ({ file, size: mouth.size, rule: 'mouth.size' })),
  ];
  for (const check of checks) await checkImage(dir, check);
  if (overlaps(eyes, mouth)) {
    throw new CharacterPackError(`${manifestPath}: eyes and mouth areas overlap; move their anchors apart`);
  }
  return { dir, manifest };
}

async function checkImage(dir: string, { file, size, rule }: Sized): Promise<void> {
  const path = join(dir, file);
  const name = relative(process.cwd(), path) || path;
  try {
    await stat(path);
  } catch {
    throw new CharacterPackError(`${name}: file not found`);
  }
  let width: number | undefined;
  let height: number | undefined;
  try {
    // Decoding the whole image (not just its header) catches truncated and corrupt files too.
    const { info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
    ({ width, height } = info);
  } catch (err) {
    throw new CharacterPackError(`${name}: not a readable PNG or SVG image (${firstLine(err)})`);
  }
  if (size && (width !== size.width || height !== size.height)) {
    throw new CharacterPackError(`${name}: is ${width}×${height}, ${rule} is ${size.width}×${size.height}`);
  }
}

type Part = Pick<Manifest['eyes'], 'anchor' | 'size'>;

function overlaps(a: Part, b: Part): boolean {
  const apart = (p: Part, q: Part, axis: 'x' | 'y', extent: 'width' | 'height') =>
    Math.abs(p.anchor[axis] - q.anchor[axis]) * 2 >= p.size[extent] + q.size[extent];
  return !(apart(a, b, 'x', 'width') || apart(a, b, 'y', 'height'));
}

const firstLine = (err: unknown) => errorText(err).split('\n')[0];
