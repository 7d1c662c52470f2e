// What draws the avatar. The runner calls a renderer once per video frame; anything that can turn one
// frame's audio into one picture plugs in here (the built-in character, a test pattern, a neural model,
// a client of a remote renderer).
import type { VideoFrame } from '@livekit/rtc-node';

export interface RenderInput {
  /** Exactly one frame's audio (mono, the avatar's sample rate); absent while the avatar is idle. */
  audio?: Int16Array;
  /** The following frame's audio when it is already known: one frame of look-ahead. */
  next?: Int16Array;
  /** Frames drawn since the runner started, idle ones included. */
  index: number;
}

export interface Renderer {
  /** The picture shown while `input.audio` plays. The frame may be reused by the next call. */
  render(input: RenderInput): VideoFrame | Promise<VideoFrame>;
  /** Back to rest at once (interruption): the next frame shows a closed mouth. */
  reset(): void;
  close?(): void | Promise<void>;
}
