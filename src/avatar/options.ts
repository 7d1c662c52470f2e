// The shape of the avatar's media: one video frame per frame interval, with exactly the audio it covers.

export interface AvatarOptions {
  width: number;
  height: number;
  fps: number;
  /** Rate of the published audio; input at any other rate is resampled to it. */
  sampleRate: number;
  /** Ceiling for the video encoder (bits per second). */
  maxBitrate: number;
}

export const DEFAULT_AVATAR_OPTIONS: AvatarOptions = {
  width: 512,
  height: 512,
  fps: 30,
  sampleRate: 24_000,
  maxBitrate: 1_200_000,
};

/** Audio samples (mono) that one video frame covers: 800 at 24 kHz / 30 fps. */
export function samplesPerFrame(opts: Pick<AvatarOptions, 'sampleRate' | 'fps'>): number {
  const samples = opts.sampleRate / opts.fps;
  if (!Number.isInteger(samples)) {
    throw new RangeError(
      `sample rate ${opts.sampleRate} is not a whole number of samples per frame at ${opts.fps} fps`,
    );
  }
  return samples;
}

export const frameMs = (opts: Pick<AvatarOptions, 'fps'>): number => 1000 / opts.fps;

/** What draws the avatar: the built-in 2D character (from a pack) or the measuring mouth block. */
export type RendererKind = 'character' | 'mouth-block';

export interface RendererChoice {
  renderer: RendererKind;
  /** The character pack's folder (renderer `character`). */
  character: string;
}
