import { describe, expect, test } from 'vitest';
import { computeVideoStats, formatVideoStats, MISSING_VALUE, STAT_KEYS } from '../frontend/lib/stats.ts';

type Stat = Record<string, unknown>;

const video = (fields: Stat): Stat => ({ id: 'IT01V1', type: 'inbound-rtp', kind: 'video', ...fields });
const pair = (fields: Stat): Stat => ({ id: 'CP1', type: 'candidate-pair', ...fields });

/** The shape browsers hand out: a map from stat id to stat. */
const report = (...stats: Stat[]) => new Map(stats.map((s) => [String(s.id), s]));

const first = video({
  timestamp: 10_000,
  bytesReceived: 1_000_000,
  packetsReceived: 1000,
  packetsLost: 10,
  framesDecoded: 300,
  frameWidth: 640,
  frameHeight: 480,
  jitter: 0.004,
});
const second = video({
  timestamp: 11_000,
  bytesReceived: 1_125_000,
  packetsReceived: 1095,
  packetsLost: 15,
  framesDecoded: 330,
  frameWidth: 640,
  frameHeight: 480,
  jitter: 0.012,
});

describe('video receive stats', () => {
  test('rates come from the counters between two snapshots', () => {
    const stats = computeVideoStats(report(first), report(second));
    expect(stats.bitrateKbps).toBe(1000); // 125,000 bytes in 1 s
    expect(stats.fps).toBe(30); // 30 frames decoded in 1 s
    expect(stats.packetLossPercent).toBe(5); // 5 lost of 100 expected
    expect(stats.jitterMs).toBe(12);
    expect(stats.width).toBe(640);
    expect(stats.height).toBe(480);
  });

  test("the browser's own framesPerSecond wins over the decoded-frames rate", () => {
    const stats = computeVideoStats(report(first), report({ ...second, framesPerSecond: 24 }));
    expect(stats.fps).toBe(24);
  });

  test('the first snapshot has instant values but no rates yet', () => {
    const stats = computeVideoStats(
      undefined,
      report(first, pair({ nominated: true, state: 'succeeded', currentRoundTripTime: 0.05 })),
    );
    expect(stats).toEqual({ width: 640, height: 480, jitterMs: 4, rttMs: 50, fps: undefined });
  });

  test('a counter that went backwards gives no rate for that interval', () => {
    const reset = video({ ...second, bytesReceived: 2000, packetsReceived: 5, packetsLost: 0, framesDecoded: 2 });
    const stats = computeVideoStats(report(first), report(reset));
    expect(stats.bitrateKbps).toBeUndefined();
    expect(stats.packetLossPercent).toBeUndefined();
    expect(stats.fps).toBeUndefined();
  });

  test('a new stream id is not compared with the old one', () => {
    const stats = computeVideoStats(report(first), report({ ...second, id: 'IT01V2' }));
    expect(stats.bitrateKbps).toBeUndefined();
  });

  test('no time between snapshots gives no rates', () => {
    const stats = computeVideoStats(report(first), report({ ...second, timestamp: first.timestamp }));
    expect(stats.bitrateKbps).toBeUndefined();
  });

  test('late duplicates lowering packetsLost count as no loss, and an idle interval has no loss figure', () => {
    const recovered = computeVideoStats(report(first), report({ ...second, packetsLost: 8 }));
    expect(recovered.packetLossPercent).toBe(0);
    const idle = computeVideoStats(report(first), report({ ...first, timestamp: 11_000 }));
    expect(idle.packetLossPercent).toBeUndefined();
    expect(idle.bitrateKbps).toBe(0);
  });

  test('missing fields stay missing', () => {
    const bare = video({ timestamp: 11_000 });
    expect(computeVideoStats(report(video({ timestamp: 10_000 })), report(bare))).toEqual({
      rttMs: undefined,
      jitterMs: undefined,
      fps: undefined,
      packetLossPercent: undefined,
    });
    expect(computeVideoStats(undefined, report())).toEqual({ rttMs: undefined });
  });

  test('audio streams and other stats are ignored; older browsers name the kind mediaType', () => {
    const audio = { ...second, id: 'IT01A1', kind: 'audio', bytesReceived: 9e9 };
    const stats = computeVideoStats(report(first, audio), report(second, audio, { id: 'codec', type: 'codec' }));
    expect(stats.bitrateKbps).toBe(1000);
    const legacy = { ...second, kind: undefined, mediaType: 'video' };
    expect(computeVideoStats(undefined, report(legacy)).width).toBe(640);
  });

  test('the round trip time is the selected pair: named by the transport, else selected, else nominated', () => {
    const idle = pair({ id: 'CP0', nominated: true, state: 'succeeded', currentRoundTripTime: 0.5 });
    const used = pair({ id: 'CP1', state: 'succeeded', currentRoundTripTime: 0.02 });
    const transport = { id: 'T1', type: 'transport', selectedCandidatePairId: 'CP1' };
    expect(computeVideoStats(undefined, report(idle, used, transport)).rttMs).toBe(20);
    expect(computeVideoStats(undefined, report(idle, { ...used, selected: true })).rttMs).toBe(20);
    expect(computeVideoStats(undefined, report(idle, used)).rttMs).toBe(500);
    expect(computeVideoStats(undefined, report(used)).rttMs).toBeUndefined();
  });

  test('a plain list of stats works as well as a map', () => {
    expect(computeVideoStats([first], [second]).bitrateKbps).toBe(1000);
  });
});

describe('formatted stats', () => {
  test('every shown stat has a value, with units', () => {
    const shown = formatVideoStats({
      fps: 29.7,
      width: 1280,
      height: 720,
      bitrateKbps: 1234.4,
      packetLossPercent: 0.25,
      jitterMs: 3.14,
      rttMs: 41.6,
    });
    expect(Object.keys(shown)).toEqual([...STAT_KEYS]);
    expect(shown).toEqual({
      fps: '30',
      resolution: '1280×720',
      bitrate: '1234 kbit/s',
      'packet-loss': '0.3 %',
      jitter: '3.1 ms',
      rtt: '42 ms',
    });
  });

  test('missing values show a dash', () => {
    const shown = formatVideoStats({});
    for (const key of STAT_KEYS) expect(shown[key]).toBe(MISSING_VALUE);
    expect(formatVideoStats({ jitterMs: 25.4 }).jitter).toBe('25 ms');
  });
});
