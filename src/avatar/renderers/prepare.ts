// Renderers are prepared once per process (a character is rasterized and precomposed up front) and
// then made per session from what was prepared.
import { loadCharacterPack } from '../character/pack.ts';
import { buildSprites } from '../character/sprites.ts';
import type { AvatarOptions, RendererChoice } from '../options.ts';
import type { Renderer } from '../renderer.ts';
import { CharacterRenderer } from './character.ts';
import { MouthBlockRenderer } from './mouth_block.ts';

export type RendererFactory = () => Renderer;

export async function prepareRenderer(options: AvatarOptions & RendererChoice): Promise<RendererFactory> {
  const { width, height, fps, sampleRate } = options;
  if (options.renderer === 'mouth-block') return () => new MouthBlockRenderer(width, height);
  const sprites = await buildSprites(await loadCharacterPack(options.character), width, height);
  return () => new CharacterRenderer(sprites, sampleRate, fps);
}
