import { describe, expect, test } from 'vitest';
import { AvSynchronizer, type Clock } from '../src/avatar/av_synchronizer.ts';

const FRAME_MS = 1000 / 30;

class FakeClock implements Clock {
  t = 1000;
  now = () => this.t;
  advance(ms: number) {
    this.t += ms;
  }
}

/** Runs the synchronizer the way the runner does: sleep until nextDue (plus timer lateness), tick. */
function runUntil(sync: AvSynchronizer<string>, clock: FakeClock, until: number, lateMs = 0) {
  const shown: { at: number; what: string }[] = [];
  const dropped: number[] = [];
  while (clock.t < until) {
    const due = sync.nextDue();
    if (due > clock.t) clock.t = due + lateMs;
    const tick = sync.tick();
    if (tick.show !== undefined) shown.push({ at: clock.t, what: tick.show });
    else if (tick.idle) shown.push({ at: clock.t, what: 'idle' });
    if (tick.dropped) dropped.push(tick.dropped);
    if (tick.show === undefined && !tick.idle && tick.due.length === 0) clock.advance(0.1);
  }
  return { shown, dropped };
}

describe('AvSynchronizer', () => {
  test('idle frames flow at the frame rate from the start, without drift from late timers', () => {
    const clock = new FakeClock();
    const sync = new AvSynchronizer<string>(FRAME_MS, clock);
    const { shown } = runUntil(sync, clock, clock.t + 10_000, 1.5);
    expect(shown.every((s) => s.what === 'idle')).toBe(true);
    // 10 s at 30 fps, although every timer fired 1.5 ms late.
    expect(shown.length).toBeGreaterThanOrEqual(299);
    expect(shown.length).toBeLessThanOrEqual(301);
  });

  test('a speech frame is due when its audio leaves the queue, not when it was captured', () => {
    const clock = new FakeClock();
    const sync = new AvSynchronizer<string>(FRAME_MS, clock);
    // Segment start: the first frame's audio is alone in the queue and plays now.
    expect(sync.audioCaptured('f0', FRAME_MS)).toBe(clock.t);
    // The queue fills: the next frames play one and two frames later.
    expect(sync.audioCaptured('f1', 2 * FRAME_MS)).toBeCloseTo(clock.t + FRAME_MS);
    expect(sync.audioCaptured('f2', 3 * FRAME_MS)).toBeCloseTo(clock.t + 2 * FRAME_MS);
    expect(sync.tick()).toMatchObject({ show: 'f0', dropped: 0, idle: false });
    expect(sync.tick()).toMatchObject({ show: undefined, idle: false });
    clock.advance(FRAME_MS);
    expect(sync.tick().show).toBe('f1');
  });

  test('a video lag holds every speech frame (and the segment end) that much after its audio plays', () => {
    const lagMs = 10;
    const clock = new FakeClock();
    const sync = new AvSynchronizer<string>(FRAME_MS, clock, lagMs);
    const start = clock.t;
    expect(sync.audioCaptured('f0', FRAME_MS)).toBe(start + lagMs);
    expect(sync.audioCaptured('f1', 2 * FRAME_MS)).toBeCloseTo(start + FRAME_MS + lagMs);
    expect(sync.afterLast('end')).toBeCloseTo(start + 2 * FRAME_MS + lagMs);
    // Not before its time, even with the slack for late timers.
    clock.advance(lagMs - 2);
    expect(sync.tick().show).toBeUndefined();
    clock.advance(2);
    expect(sync.tick().show).toBe('f0');
  });

  test('steady speech: every frame shown in its own slot, in order, with no idle frames between', () => {
    const clock = new FakeClock();
    const sync = new AvSynchronizer<string>(FRAME_MS, clock);
    const start = clock.t;
    const shown: { at: number; what: string }[] = [];
    // The feeder fills a three-frame queue at once, then captures one frame per frame as it drains:
    // frame i is captured at max(0, i - 2) frames with min(i + 1, 3) frames queued, so it plays at i frames.
    const captures = Array.from({ length: 60 }, (_, i) => ({ at: start + Math.max(0, i - 2) * FRAME_MS, i }));
    while (shown.length < 60) {
      const wake = Math.min(sync.nextDue(), captures[0]?.at ?? Number.POSITIVE_INFINITY);
      if (wake > clock.t) clock.t = wake;
      while (captures[0] && captures[0].at <= clock.t) {
        const { i } = captures.shift() as { i: number };
        sync.audioCaptured(`f${i}`, Math.min(i + 1, 3) * FRAME_MS);
      }
      const tick = sync.tick();
      if (tick.show) shown.push({ at: clock.t - start, what: tick.show });
      else if (tick.idle) shown.push({ at: clock.t - start, what: 'idle' });
    }
    expect(shown.map((s) => s.what)).toEqual(Array.from({ length: 60 }, (_, i) => `f${i}`));
    for (const [i, s] of shown.entries()) expect(s.at).toBeCloseTo(i * FRAME_MS, 6);
  });

  test('late frames are dropped, never sent in a burst', () => {
    const clock = new FakeClock();
    const sync = new AvSynchronizer<string>(FRAME_MS, clock);
    for (let i = 0; i < 6; i++) sync.audioCaptured(`f${i}`, (i + 1) * FRAME_MS);
    // The video loop was blocked for three frames.
    clock.advance(3 * FRAME_MS);
    const tick = sync.tick();
    expect(tick.show).toBe('f3');
    expect(tick.dropped).toBe(3);
    expect(tick.due).toEqual(['f0', 'f1', 'f2', 'f3']);
    expect(sync.pendingFrames).toBe(2);
  });

  test('a segment-end marker is due one frame after the last frame starts', () => {
    const clock = new FakeClock();
    const sync = new AvSynchronizer<string>(FRAME_MS, clock);
    const last = sync.audioCaptured('f0', FRAME_MS);
    expect(sync.afterLast('end')).toBeCloseTo(last + FRAME_MS);
    expect(sync.tick().due).toEqual(['f0']);
    clock.advance(FRAME_MS);
    const tick = sync.tick();
    expect(tick.due).toEqual(['end']);
    expect(tick.show).toBeUndefined();
  });

  test('clear drops everything pending and idle frames resume on the next slot', () => {
    const clock = new FakeClock();
    const sync = new AvSynchronizer<string>(FRAME_MS, clock);
    sync.tick();
    for (let i = 0; i < 3; i++) sync.audioCaptured(`f${i}`, (i + 2) * FRAME_MS);
    sync.afterLast('end');
    expect(sync.clear()).toEqual(['f0', 'f1', 'f2', 'end']);
    expect(sync.pendingFrames).toBe(0);
    clock.t = sync.nextDue();
    expect(sync.tick()).toMatchObject({ show: undefined, idle: true });
  });
});
