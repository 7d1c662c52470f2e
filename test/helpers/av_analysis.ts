// Measurements on what a subscriber received (AvRecorder): A/V offset by cross-correlating the audio
// envelope with the mouth, frame intervals, and how fast an interruption reached the listener.
import type { AudioSample, VideoSample } from './av_recorder.ts';

const GRID_MS = 5;
const MAX_LAG_MS = 300;

/** Value of a step series (each sample holds until the next) at time t. */
function sampleAt<T extends { at: number }>(series: T[], t: number, value: (s: T) => number, cursor: { i: number }) {
  while (cursor.i + 1 < series.length && (series[cursor.i + 1] as T).at <= t) cursor.i++;
  return value(series[cursor.i] as T);
}

function pearson(a: number[], b: number[]): number {
  const n = a.length;
  const ma = a.reduce((s, x) => s + x, 0) / n;
  const mb = b.reduce((s, x) => s + x, 0) / n;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    const x = (a[i] as number) - ma;
    const y = (b[i] as number) - mb;
    num += x * y;
    da += x * x;
    db += y * y;
  }
  return da === 0 || db === 0 ? 0 : num / Math.sqrt(da * db);
}

export interface Offset {
  /** + = audio early (the mouth arrives after its sound), − = audio late. */
  offsetMs: number;
  correlation: number;
}

/** The lag of the mouth behind the audio envelope that lines them up best, within [from, to]. */
export function avOffset(audio: AudioSample[], video: VideoSample[], from: number, to: number): Offset {
  const grid: number[] = [];
  for (let t = from; t <= to; t += GRID_MS) grid.push(t);
  const a = grid.map(
    (
      (c) => (t: number) =>
        sampleAt(audio, t, (s) => s.rms, c)
    )({ i: 0 }),
  );
  let best: Offset = { offsetMs: 0, correlation: -1 };
  for (let lag = -MAX_LAG_MS; lag <= MAX_LAG_MS; lag += GRID_MS) {
    const cursor = { i: 0 };
    const m = grid.map((t) => sampleAt(video, t + lag, (s) => s.openness, cursor));
    const correlation = pearson(a, m);
    if (correlation > best.correlation) best = { offsetMs: lag, correlation };
  }
  return best;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export function frameIntervals(video: VideoSample[]): number[] {
  return video.slice(1).map((s, i) => s.at - (video[i] as VideoSample).at);
}

/** First time after `after` from which every sample up to `until` passes `quiet`. */
export function quietFrom<T extends { at: number }>(
  series: T[],
  after: number,
  until: number,
  quiet: (s: T) => boolean,
) {
  const window = series.filter((s) => s.at > after && s.at <= until);
  let start: number | undefined;
  for (const s of window) {
    if (!quiet(s)) start = undefined;
    else start ??= s.at;
  }
  return start;
}

/** Mouth openness (measuring renderer) below which the mouth counts as at rest. */
export const MOUTH_AT_REST = 0.08;

export interface Interruption {
  /** From the clear until the sound stayed below `silentRms`, and until the mouth stayed at rest (ms). */
  silentMs: number;
  restMs: number;
}

/** How long after `clearedAt` the listener's audio went quiet and the mouth came to rest, within `windowMs`. */
export function interruption(
  audio: AudioSample[],
  video: VideoSample[],
  clearedAt: number,
  silentRms: number,
  windowMs: number,
): Interruption | undefined {
  const until = clearedAt + windowMs;
  const silent = quietFrom(audio, clearedAt, until, (s) => s.rms < silentRms);
  const rest = quietFrom(video, clearedAt, until, (s) => s.openness < MOUTH_AT_REST);
  if (silent === undefined || rest === undefined) return undefined;
  return { silentMs: silent - clearedAt, restMs: rest - clearedAt };
}
