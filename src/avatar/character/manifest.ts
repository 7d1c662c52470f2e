// A character pack's manifest.json: what a user writes to bring their own PNGtuber-style art.
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { VISEMES, type Viseme } from '../lipsync/visemes.ts';

export const MANIFEST_FILE = 'manifest.json';
/** The built-in character: also the example of the pack format. */
export const DEFAULT_CHARACTER_DIR = fileURLToPath(new URL('../characters/default/', import.meta.url));
export const EYE_STATES = ['open', 'half', 'closed'] as const;
export type EyeState = (typeof EYE_STATES)[number];

const pixels = z.number().int().min(1).max(4096);
const size = z.strictObject({ width: pixels, height: pixels });
const point = z.strictObject({ x: z.number(), y: z.number() });
const imagePath = z
  .string()
  .regex(/\.(png|svg)$/i, 'must be a .png or .svg file')
  .refine((p) => !p.startsWith('/') && !p.split(/[\\/]/).includes('..'), 'must be a path inside the pack');

const part = <K extends string>(keys: readonly K[]) =>
  z.strictObject({
    /** Where the centre of the part's images goes on the canvas; it moves with the head. */
    anchor: point,
    /** Every image of the part has this size. */
    size,
    images: z.strictObject(Object.fromEntries(keys.map((k) => [k, imagePath])) as Record<K, typeof imagePath>),
  });

export const manifestSchema = z.strictObject({
  name: z.string().min(1).max(64),
  /** The art's design size: full-canvas layers have exactly this size. */
  canvas: size,
  background: z.union([
    z.strictObject({ color: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #d9e8f2') }),
    /** Scaled to cover the whole video frame. */
    z.strictObject({ image: imagePath }),
  ]),
  /** Drawn bottom to top. `body` layers breathe; `head` layers also sway; `none` stay put. */
  layers: z
    .array(z.strictObject({ image: imagePath, motion: z.enum(['none', 'body', 'head']).default('none') }))
    .min(1),
  eyes: part(EYE_STATES),
  mouth: part(VISEMES),
  idle: z
    .strictObject({
      breathPixels: z.number().min(0).max(32).default(3),
      breathSeconds: z.number().min(1).max(30).default(4.5),
      swayPixels: z.number().min(0).max(32).default(3),
      swaySeconds: z.number().min(1).max(60).default(7.5),
      blinkEverySeconds: z
        .tuple([z.number().min(0.5), z.number().max(60)])
        .refine(([min, max]) => min <= max, 'must be [shortest, longest]')
        .default([2.5, 6]),
    })
    .default({ breathPixels: 3, breathSeconds: 4.5, swayPixels: 3, swaySeconds: 7.5, blinkEverySeconds: [2.5, 6] }),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type MouthImages = Record<Viseme, string>;
