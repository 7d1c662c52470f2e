// Mono 16-bit audio from one sample rate to another with rtc-node's resampler (libwebrtc's).
import { AudioFrame, AudioResampler, AudioResamplerQuality } from '@livekit/rtc-node';

/** `pcm` at `to` Hz, in a fresh array that starts at byte 0 (rtc-node frames ignore byteOffset). */
export function resampleMono(pcm: Int16Array, from: number, to: number): Int16Array {
  if (from === to) return pcm.slice();
  const resampler = new AudioResampler(from, to, 1, AudioResamplerQuality.HIGH);
  const input = pcm.byteOffset === 0 ? pcm : pcm.slice();
  const frames = [...resampler.push(new AudioFrame(input, from, 1, input.length)), ...resampler.flush()];
  resampler.close();
  const out = new Int16Array(frames.reduce((n, f) => n + f.samplesPerChannel, 0));
  let at = 0;
  for (const frame of frames) {
    out.set(frame.data.subarray(0, frame.samplesPerChannel), at);
    at += frame.samplesPerChannel;
  }
  return out;
}
