'use client';

import type { TrackReference } from '@livekit/components-react';
import { useEffect, useState } from 'react';
import { parseTurnTimings, TURN_TIMING_ROWS } from '../lib/agent_status.ts';
import {
  computeVideoStats,
  formatMilliseconds,
  formatVideoStats,
  STAT_KEYS,
  type StatKey,
  type StatsReportLike,
  type VideoReceiveStats,
} from '../lib/stats.ts';

const POLL_INTERVAL_MS = 1000;

const STAT_LABELS: Record<StatKey, string> = {
  fps: 'Frame rate (fps)',
  resolution: 'Resolution',
  bitrate: 'Bitrate',
  'packet-loss': 'Packet loss',
  jitter: 'Jitter',
  rtt: 'Round trip',
};

interface StatsOverlayProps {
  id: string;
  /** The agent's camera track: its receiver's stats are polled. */
  trackRef?: TrackReference;
  /** The agent's TURN_TIMINGS_ATTRIBUTE, raw. */
  turnTimings?: string;
}

export function StatsOverlay({ id, trackRef, turnTimings }: StatsOverlayProps) {
  const track = trackRef?.publication.track;
  const [stats, setStats] = useState<{ track: unknown; values: VideoReceiveStats }>({ track: undefined, values: {} });

  useEffect(() => {
    if (!track) return;
    let previous: StatsReportLike | undefined;
    let stopped = false;
    const poll = async () => {
      const report = await track.getRTCStatsReport().catch(() => undefined);
      if (stopped || !report) return;
      setStats({ track, values: computeVideoStats(previous, report) });
      previous = report;
    };
    void poll();
    const timer = setInterval(poll, POLL_INTERVAL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [track]);

  // Figures from a track the avatar has since replaced are not shown against the new one.
  const shown = formatVideoStats(stats.track === track ? stats.values : {});
  const timings = parseTurnTimings(turnTimings);

  return (
    <section id={id} className="stats-overlay" data-testid="stats-overlay" aria-label="Live stats">
      <h2 className="stats-heading">Avatar video</h2>
      <dl className="stats-list">
        {STAT_KEYS.map((key) => (
          <div key={key} className="stats-row">
            <dt>{STAT_LABELS[key]}</dt>
            <dd data-stat={key}>{shown[key]}</dd>
          </div>
        ))}
      </dl>
      <h2 className="stats-heading">Last turn</h2>
      {timings ? (
        <dl className="stats-list">
          {TURN_TIMING_ROWS.map(({ key, label }) => (
            <div key={key} className="stats-row">
              <dt>{label}</dt>
              <dd data-timing={key}>{formatMilliseconds(timings[key])}</dd>
            </div>
          ))}
        </dl>
      ) : (
        <p className="muted">No turn yet.</p>
      )}
    </section>
  );
}
