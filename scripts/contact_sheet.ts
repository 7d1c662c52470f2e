// `npm run contact-sheet -- [pack dir] [out.png]`: every mouth shape and eye state of a character pack
// in one image, to check art at a glance (the README shows the default character's).
import { dispose, VideoBufferType, VideoFrame } from '@livekit/rtc-node';
import sharp from 'sharp';
import { drawPatch } from '../src/avatar/character/i420.ts';
import { DEFAULT_CHARACTER_DIR, EYE_STATES } from '../src/avatar/character/manifest.ts';
import { CharacterPackError, loadCharacterPack } from '../src/avatar/character/pack.ts';
import { buildSprites } from '../src/avatar/character/sprites.ts';
import { VISEME_DESCRIPTIONS, VISEMES } from '../src/avatar/lipsync/visemes.ts';
import { fail, step } from './lib/progress.ts';

const TILE = 256;
const COLUMNS = 4;
const LABEL_HEIGHT = 28;

const [dir = DEFAULT_CHARACTER_DIR, out = 'docs/contact-sheet.png'] = process.argv.slice(2);
try {
  step('character pack', dir);
  const sprites = await buildSprites(await loadCharacterPack(dir), TILE, TILE);
  const pose = sprites.poses[0]?.[sprites.swayLevels >> 1];
  if (!pose) throw new Error('pack has no poses');
  const tiles: { label: string; rgba: Uint8Array }[] = [];
  const tile = (label: string, draw: (frame: VideoFrame) => void) => {
    const frame = new VideoFrame(sprites.first.slice(), TILE, TILE, VideoBufferType.I420);
    draw(frame);
    tiles.push({ label, rgba: new Uint8Array(frame.convert(VideoBufferType.RGBA).data) });
  };
  for (const v of VISEMES) tile(`${v}: ${VISEME_DESCRIPTIONS[v].split(' (')[0]}`, (f) => drawPatch(f, pose.mouth[v]));
  for (const e of EYE_STATES) tile(`eyes ${e}`, (f) => drawPatch(f, pose.eyes[e]));

  const rows = Math.ceil(tiles.length / COLUMNS);
  const cell = TILE + LABEL_HEIGHT;
  const composites = tiles.flatMap(({ label, rgba }, i) => {
    const left = (i % COLUMNS) * TILE;
    const top = Math.floor(i / COLUMNS) * cell;
    const text = `<svg xmlns="http://www.w3.org/2000/svg" width="${TILE}" height="${LABEL_HEIGHT}"><text x="8" y="20" font-family="sans-serif" font-size="15" fill="#222">${label}</text></svg>`;
    return [
      { input: Buffer.from(rgba), raw: { width: TILE, height: TILE, channels: 4 as const }, left, top },
      { input: Buffer.from(text), left, top: top + TILE },
    ];
  });
  await sharp({ create: { width: COLUMNS * TILE, height: rows * cell, channels: 4, background: '#ffffff' } })
    .composite(composites)
    .png()
    .toFile(out);
  step('contact sheet', `wrote ${out}`);
} catch (err) {
  if (err instanceof CharacterPackError) fail(err.message);
  throw err;
} finally {
  await dispose();
}
