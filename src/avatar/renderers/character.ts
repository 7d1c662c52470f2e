// The built-in avatar: a 2D character whose mouth follows the speech (nine shapes from the audio
// alone), who blinks, breathes and sways. Each frame copies only what changed into one pooled frame.
import { VideoBufferType, VideoFrame } from '@livekit/rtc-node';
import { drawPatch } from '../character/i420.ts';
import { IdleMotion } from '../character/idle_motion.ts';
import type { EyeState } from '../character/manifest.ts';
import type { Sprites } from '../character/sprites.ts';
import { LipSync } from '../lipsync/lip_sync.ts';
import type { Viseme } from '../lipsync/visemes.ts';
import type { Renderer, RenderInput } from '../renderer.ts';

export class CharacterRenderer implements Renderer {
  readonly #frame: VideoFrame;
  readonly #lipSync: LipSync;
  readonly #idle: IdleMotion;
  #pose: number | undefined;
  #eyes: EyeState | undefined;
  #mouth: Viseme | undefined;

  constructor(
    readonly sprites: Sprites,
    sampleRate: number,
    fps: number,
  ) {
    this.#frame = new VideoFrame(sprites.first.slice(), sprites.width, sprites.height, VideoBufferType.I420);
    this.#lipSync = new LipSync(sampleRate);
    this.#idle = new IdleMotion(sprites.idle, fps, sprites.breathLevels, sprites.swayLevels);
  }

  /** The mouth shape of the last frame drawn. */
  get mouth(): Viseme | undefined {
    return this.#mouth;
  }

  render({ audio, next, index }: RenderInput): VideoFrame {
    const mouth = this.#lipSync.next(audio, next);
    const { breath, sway, eyes } = this.#idle.at(index);
    const pose = this.sprites.poses[breath]?.[sway];
    if (!pose) throw new RangeError(`no pose for breath ${breath}, sway ${sway}`);
    const poseKey = breath * this.sprites.swayLevels + sway;
    if (poseKey !== this.#pose) {
      // The moving part was drawn without a face: both face parts go back on.
      drawPatch(this.#frame, pose.body);
      this.#pose = poseKey;
      this.#eyes = undefined;
      this.#mouth = undefined;
    }
    if (eyes !== this.#eyes) drawPatch(this.#frame, pose.eyes[eyes]);
    if (mouth !== this.#mouth) drawPatch(this.#frame, pose.mouth[mouth]);
    this.#eyes = eyes;
    this.#mouth = mouth;
    return this.#frame;
  }

  reset(): void {
    this.#lipSync.reset();
  }
}
