// Receive statistics for the avatar's video from two successive WebRTC stats snapshots. The counters
// in a snapshot are cumulative, so every rate needs the previous snapshot; a counter that went
// backwards (a new receiver or stream) gives no rate for that interval rather than a negative one.
// Structural types only: this module runs in the browser and in node tests without the DOM typings.

/** An RTCStatsReport, a Map of stats or a plain list of them; only the stat objects are read. */
export type StatsReportLike = Iterable<unknown> | { values(): Iterable<unknown> };

/** Missing values stay undefined: a browser may not report a field, and the first snapshot has no rates. */
export interface VideoReceiveStats {
  fps?: number;
  width?: number;
  height?: number;
  bitrateKbps?: number;
  packetLossPercent?: number;
  jitterMs?: number;
  rttMs?: number;
}

/** The `data-stat` names the overlay shows, in display order. */
export const STAT_KEYS = ['fps', 'resolution', 'bitrate', 'packet-loss', 'jitter', 'rtt'] as const;
export type StatKey = (typeof STAT_KEYS)[number];

export const MISSING_VALUE = '—';

const MS_PER_SECOND = 1000;
const BITS_PER_BYTE = 8;
const PERCENT = 100;
/** Below this a jitter reading keeps one decimal: a few milliseconds is the usual range. */
const JITTER_DECIMALS_BELOW_MS = 10;

type StatRecord = Record<string, unknown>;

interface InboundVideo {
  id: string;
  timestamp?: number;
  bytesReceived?: number;
  packetsLost?: number;
  packetsReceived?: number;
  framesDecoded?: number;
  framesPerSecond?: number;
  frameWidth?: number;
  frameHeight?: number;
  jitter?: number;
}

const isRecord = (value: unknown): value is StatRecord => typeof value === 'object' && value !== null;

function numberField(stat: StatRecord, key: string): number | undefined {
  const value = stat[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function statsOf(report: StatsReportLike): StatRecord[] {
  // A Map iterates as [key, value] pairs; its values() (and an RTCStatsReport's) are the stats.
  const items =
    'values' in report && typeof report.values === 'function' ? report.values() : (report as Iterable<unknown>);
  const stats: StatRecord[] = [];
  for (const item of items) if (isRecord(item) && typeof item.type === 'string') stats.push(item);
  return stats;
}

function inboundVideo(stats: StatRecord[]): InboundVideo | undefined {
  let best: InboundVideo | undefined;
  for (const stat of stats) {
    if (stat.type !== 'inbound-rtp' || (stat.kind ?? stat.mediaType) !== 'video') continue;
    const candidate: InboundVideo = {
      id: typeof stat.id === 'string' ? stat.id : '',
      timestamp: numberField(stat, 'timestamp'),
      bytesReceived: numberField(stat, 'bytesReceived'),
      packetsLost: numberField(stat, 'packetsLost'),
      packetsReceived: numberField(stat, 'packetsReceived'),
      framesDecoded: numberField(stat, 'framesDecoded'),
      framesPerSecond: numberField(stat, 'framesPerSecond'),
      frameWidth: numberField(stat, 'frameWidth'),
      frameHeight: numberField(stat, 'frameHeight'),
      jitter: numberField(stat, 'jitter'),
    };
    // Several video streams (a stale one next to a renegotiated one): the busiest is the live one.
    if (!best || (candidate.bytesReceived ?? 0) > (best.bytesReceived ?? 0)) best = candidate;
  }
  return best;
}

/** The pair in use: the transport names it; else Firefox's `selected`; else the nominated, working pair. */
function selectedCandidatePair(stats: StatRecord[]): StatRecord | undefined {
  const pairs = stats.filter((s) => s.type === 'candidate-pair');
  const transportPairIds = new Set(
    stats
      .filter((s) => s.type === 'transport' && typeof s.selectedCandidatePairId === 'string')
      .map((s) => s.selectedCandidatePairId),
  );
  return (
    pairs.find((p) => transportPairIds.has(p.id)) ??
    pairs.find((p) => p.selected === true) ??
    pairs.find((p) => p.nominated === true && p.state === 'succeeded')
  );
}

/** `later - earlier` for a cumulative counter; undefined when either is missing or the counter reset. */
function counterDelta(later: number | undefined, earlier: number | undefined): number | undefined {
  if (later === undefined || earlier === undefined || later < earlier) return undefined;
  return later - earlier;
}

function lossPercent(current: InboundVideo, previous: InboundVideo): number | undefined {
  const received = counterDelta(current.packetsReceived, previous.packetsReceived);
  if (received === undefined || current.packetsLost === undefined || previous.packetsLost === undefined) {
    return undefined;
  }
  // packetsLost may fall when late duplicates arrive; that interval lost nothing new.
  const lost = Math.max(0, current.packetsLost - previous.packetsLost);
  const expected = lost + received;
  return expected > 0 ? (PERCENT * lost) / expected : undefined;
}

/** Stats for the interval between `previous` and `current`; without `previous` only the instant values. */
export function computeVideoStats(previous: StatsReportLike | undefined, current: StatsReportLike): VideoReceiveStats {
  const currentStats = statsOf(current);
  const now = inboundVideo(currentStats);
  const pair = selectedCandidatePair(currentStats);
  const rtt = pair ? numberField(pair, 'currentRoundTripTime') : undefined;
  const result: VideoReceiveStats = { rttMs: rtt === undefined ? undefined : rtt * MS_PER_SECOND };
  if (!now) return result;

  result.jitterMs = now.jitter === undefined ? undefined : now.jitter * MS_PER_SECOND;
  if (now.frameWidth && now.frameHeight) {
    result.width = now.frameWidth;
    result.height = now.frameHeight;
  }
  result.fps = now.framesPerSecond;

  const before = previous ? inboundVideo(statsOf(previous)) : undefined;
  // Another stream id means another receiver: its counters do not continue the old ones.
  if (!before || before.id !== now.id || now.timestamp === undefined || before.timestamp === undefined) return result;
  const elapsedMs = now.timestamp - before.timestamp;
  if (elapsedMs <= 0) return result;

  const bytes = counterDelta(now.bytesReceived, before.bytesReceived);
  if (bytes !== undefined) result.bitrateKbps = (bytes * BITS_PER_BYTE) / elapsedMs; // bits per ms = kbit/s
  const frames = counterDelta(now.framesDecoded, before.framesDecoded);
  if (result.fps === undefined && frames !== undefined) result.fps = (frames * MS_PER_SECOND) / elapsedMs;
  result.packetLossPercent = lossPercent(now, before);
  return result;
}

/** A duration for people: whole milliseconds, or one decimal when `decimals` says so. */
export function formatMilliseconds(ms: number | undefined, decimals = 0): string {
  return ms === undefined || !Number.isFinite(ms) ? MISSING_VALUE : `${ms.toFixed(decimals)} ms`;
}

export function formatVideoStats(stats: VideoReceiveStats): Record<StatKey, string> {
  const { fps, width, height, bitrateKbps, packetLossPercent, jitterMs, rttMs } = stats;
  return {
    fps: fps === undefined ? MISSING_VALUE : String(Math.round(fps)),
    resolution: width && height ? `${width}×${height}` : MISSING_VALUE,
    bitrate: bitrateKbps === undefined ? MISSING_VALUE : `${Math.round(bitrateKbps)} kbit/s`,
    'packet-loss': packetLossPercent === undefined ? MISSING_VALUE : `${packetLossPercent.toFixed(1)} %`,
    jitter: formatMilliseconds(jitterMs, jitterMs !== undefined && jitterMs < JITTER_DECIMALS_BELOW_MS ? 1 : 0),
    rtt: formatMilliseconds(rttMs),
  };
}
