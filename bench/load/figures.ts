// What one session's subscriber received over a measuring window: frame rate, picture size, A/V offset,
// replies and their latency, beside what the avatar says it sent.
import { avOffset, frameIntervals, percentile } from '../../test/helpers/av_analysis.ts';
import type { LoadSession } from './session.ts';

/**
 * The offset is read over the whole window at once (every reply in it lines up at one lag), and also per
 * window this long, whose spread shows how steady it was; a reply is about 9 s of speech.
 */
const OFFSET_WINDOW_MS = 10_000;
/**
 * Mouth and voice must line up at least this well for the offset to count; without speech (both flat)
 * they line up nothing. The character's mouth (bench/load/character_mouth.ts) follows the voice less
 * closely than the measuring renderer's block does (0.45–0.75 in our runs), hence a low bar.
 */
const MIN_CORRELATION = 0.3;

export interface RoomFigures {
  /** Frames received per second. */
  fps: number;
  /** Share of frames at the full size the avatar sends (the rest: a lower simulcast layer or CPU adaptation). */
  fullSizePct: number;
  /** 99th percentile of the interval between received frames, ms. */
  frameIntervalP99: number;
  /** Offset over the whole window (+ = audio early), when the mouth followed the voice clearly enough. */
  offsetMs: number | undefined;
  /** How well mouth and voice line up at that offset (Pearson). */
  correlation: number;
  /** Interquartile range of the offsets of the shorter windows with speech, ms: how much it moved. */
  offsetSpreadMs: number;
  /** Frames per second the avatar sent, from its own stats. */
  senderFps: number | undefined;
  /** Late speech frames the avatar skipped in the window. */
  senderDropped: number | undefined;
  /** From the end of each question to the first sound of its reply at the subscriber, ms. */
  replyLatencies: number[];
  unanswered: number;
}

export const median = (xs: number[]) => (xs.length === 0 ? Number.NaN : percentile(xs, 50));

export function roomFigures(session: LoadSession, from: number, to: number, fullWidth: number): RoomFigures {
  const { audio, video } = session.rec;
  const frames = video.filter((s) => s.at >= from && s.at < to);
  const whole = avOffset(audio, video, from, to);
  const offsets = [];
  for (let at = from; at + OFFSET_WINDOW_MS <= to; at += OFFSET_WINDOW_MS) {
    const window = avOffset(audio, video, at, at + OFFSET_WINDOW_MS);
    if (window.correlation >= MIN_CORRELATION) offsets.push(window.offsetMs);
  }
  const stats = session.sender.filter((s) => s.at >= from && s.at <= to);
  const first = stats[0];
  const last = stats.at(-1);
  const statsSeconds = first && last ? (last.at - first.at) / 1000 : 0;
  const turns = session.turns.filter((t) => t.askedAt >= from && t.askedAt < to);
  const answered = turns.flatMap((t) => (t.heardAt === undefined ? [] : [t.heardAt - t.askedAt]));
  // A turn still under way at the end of the window is neither answered nor a failure.
  const open = turns.filter((t) => t.heardAt === undefined && t === session.turns.at(-1)).length;
  return {
    fps: frames.length / ((to - from) / 1000),
    fullSizePct: frames.length === 0 ? 0 : (100 * frames.filter((f) => f.width === fullWidth).length) / frames.length,
    frameIntervalP99: frames.length < 2 ? Number.NaN : percentile(frameIntervals(frames), 99),
    offsetMs: whole.correlation >= MIN_CORRELATION ? whole.offsetMs : undefined,
    correlation: whole.correlation,
    offsetSpreadMs: offsets.length < 2 ? Number.NaN : percentile(offsets, 75) - percentile(offsets, 25),
    senderFps: first && last && statsSeconds > 0 ? (last.framesSent - first.framesSent) / statsSeconds : undefined,
    senderDropped: first && last ? last.droppedFrames - first.droppedFrames : undefined,
    replyLatencies: answered,
    unanswered: turns.length - answered.length - open,
  };
}
