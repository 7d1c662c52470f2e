// The built-in character and the pack format: validation at start-up, rendering, determinism.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dispose } from '@livekit/rtc-node';
import { afterAll, beforeEach, describe, expect, test } from 'vitest';
import { DEFAULT_CHARACTER_DIR } from '../src/avatar/character/manifest.ts';
import { CharacterPackError, loadCharacterPack } from '../src/avatar/character/pack.ts';
import { buildSprites, type Sprites } from '../src/avatar/character/sprites.ts';
import { CharacterRenderer } from '../src/avatar/renderers/character.ts';
import { concat, FRAME, frames, hiss, RATE, silence, vowel } from './helpers/synthetic_voice.ts';

const FPS = 30;
let pack: string;

beforeEach(async () => {
  pack = await mkdtemp(join(tmpdir(), 'pack-'));
  await cp(DEFAULT_CHARACTER_DIR, pack, { recursive: true });
  return () => rm(pack, { recursive: true, force: true });
});

afterAll(async () => {
  await dispose();
});

// biome-ignore lint/suspicious/noExplicitAny: tests edit arbitrary manifest fields, including wrong ones
async function editManifest(edit: (m: Record<string, any>) => void) {
  const path = join(pack, 'manifest.json');
  const manifest = JSON.parse(await readFile(path, 'utf8'));
  edit(manifest);
  await writeFile(path, JSON.stringify(manifest));
}

async function packError(): Promise<string> {
  const err = await loadCharacterPack(pack).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CharacterPackError);
  const message = (err as Error).message;
  expect(message).not.toContain('\n');
  return message;
}

describe('character pack validation', () => {
  test('the default character is a valid pack', async () => {
    const loaded = await loadCharacterPack(DEFAULT_CHARACTER_DIR);
    expect(Object.keys(loaded.manifest.mouth.images).sort()).toEqual(['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'X']);
  });

  test('a missing mouth shape is named', async () => {
    await editManifest((m) => delete m.mouth.images.G);
    expect(await packError()).toMatch(/manifest\.json: mouth\.images\.G: /);
  });

  test('an image of the wrong size names the file and both sizes', async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="80"><rect width="100" height="80"/></svg>';
    await writeFile(join(pack, 'mouth/D.svg'), svg);
    expect(await packError()).toMatch(/mouth\/D\.svg: is 100×80, mouth\.size is 120×80$/);
  });

  test('an unreadable image is named', async () => {
    await writeFile(join(pack, 'eyes/half.svg'), 'this is not an image');
    expect(await packError()).toMatch(/eyes\/half\.svg: not a readable PNG or SVG image/);
  });

  test('a missing file is named', async () => {
    await rm(join(pack, 'body.svg'));
    expect(await packError()).toMatch(/body\.svg: file not found$/);
  });

  test('a manifest that is not JSON, or has a typo, is named', async () => {
    await editManifest((m) => {
      m.idle.blinkEverySecond = [1, 2];
    });
    expect(await packError()).toMatch(/manifest\.json: idle: Unrecognized key/);
    await writeFile(join(pack, 'manifest.json'), '{ "name": ');
    expect(await packError()).toMatch(/manifest\.json: not valid JSON/);
  });

  test('the worker refuses to start with a broken pack: one line, exit 2', async () => {
    await rm(join(pack, 'mouth/A.svg'));
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/agent.ts', 'start'], {
      env: {
        PATH: process.env.PATH,
        OPENAI_API_KEY: 'x',
        AVATAR_RENDERER: 'character',
        AVATAR_CHARACTER: pack,
        DOTENV_CONFIG_PATH: '/dev/null',
      },
      encoding: 'utf8',
    });
    expect(run.status).toBe(2);
    expect(run.stderr.trim()).toMatch(/^config error: AVATAR_CHARACTER: .*mouth\/A\.svg: file not found$/);
  });
});

describe('character renderer', () => {
  let sprites: Sprites;
  const hash = (data: Uint8Array) => createHash('sha1').update(data).digest('hex');
  const speech = () =>
    frames(
      concat(silence(3), vowel([750, 1200, 2500], 8), hiss(4, 6000, true), vowel([380, 900, 2300], 8), silence(4)),
    );

  function run(renderer: CharacterRenderer, chunks: (Int16Array | undefined)[]) {
    return chunks.map((audio, index) => {
      const frame = renderer.render({ audio, next: chunks[index + 1], index });
      return { hash: hash(frame.data), mouth: renderer.mouth };
    });
  }

  beforeEach(async () => {
    sprites ??= await buildSprites(await loadCharacterPack(DEFAULT_CHARACTER_DIR), 512, 512);
  });

  test('the same audio draws the same frames', () => {
    const chunks = speech();
    const first = run(new CharacterRenderer(sprites, RATE, FPS), chunks);
    const second = run(new CharacterRenderer(sprites, RATE, FPS), chunks);
    expect(second).toEqual(first);
  });

  test('the mouth follows the sound and rests in silence', () => {
    const out = run(new CharacterRenderer(sprites, RATE, FPS), speech());
    const mouths = out.map((o) => o.mouth);
    // At rest until the sound starts (the last silent frame may already close the lips for the onset).
    expect(mouths.slice(0, 2)).toEqual(['X', 'X']);
    expect(mouths.slice(3, 11)).toContain('D');
    expect(mouths.slice(15, 23)).toContain('F');
    expect(mouths.slice(-3)).toEqual(['X', 'X', 'X']);
    // Different shapes are different pictures.
    const byShape = new Map(out.map((o) => [o.mouth, o.hash]));
    expect(new Set(byShape.values()).size).toBe(byShape.size);
  });

  test('idle frames move: the character blinks and breathes with no audio', () => {
    const renderer = new CharacterRenderer(sprites, RATE, FPS);
    const idle = Array.from({ length: FPS * 8 }, (_, index) => hash(renderer.render({ index }).data));
    // Breathing, swaying and at least one blink in 8 s: many distinct pictures, all with the mouth at rest.
    expect(new Set(idle).size).toBeGreaterThan(10);
    expect(renderer.mouth).toBe('X');
  });

  test('reset puts the mouth at rest on the next frame', () => {
    const renderer = new CharacterRenderer(sprites, RATE, FPS);
    const loud = frames(vowel([750, 1200, 2500], 6));
    for (const [index, audio] of loud.entries()) renderer.render({ audio, next: loud[index + 1], index });
    expect(renderer.mouth).not.toBe('X');
    renderer.reset();
    renderer.render({ index: loud.length });
    expect(renderer.mouth).toBe('X');
  });

  test('scales to 720p: the whole frame is drawn at the video size', async () => {
    const wide = await buildSprites(await loadCharacterPack(DEFAULT_CHARACTER_DIR), 1280, 720);
    const frame = new CharacterRenderer(wide, RATE, FPS).render({ audio: new Int16Array(FRAME), index: 0 });
    expect([frame.width, frame.height, frame.data.length]).toEqual([1280, 720, (1280 * 720 * 3) / 2]);
  });
});
