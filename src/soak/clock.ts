import type { SoakClock } from './types.js';

export function startClock(at: number): SoakClock {
  return { startedAt: at, creditedMs: 0, lastAt: at };
}

/** Credits the time since the last sample, at most one sample interval: a gap is time nobody watched. */
export function creditClock(clock: SoakClock, at: number, sampleInterval: number): void {
  const gap = at - clock.lastAt;
  if (gap <= 0) return;
  clock.creditedMs += Math.min(gap, sampleInterval);
  clock.lastAt = at;
}

/** Moves the clock past a sample that watched nothing it needs: that time is not credited. */
export function pauseClock(clock: SoakClock, at: number): void {
  if (at > clock.lastAt) clock.lastAt = at;
}

/** Time since the clock started, up to its last sample, that was not credited (gaps, paused samples). */
export function uncreditedMs(clock: SoakClock): number {
  return Math.max(0, clock.lastAt - clock.startedAt - clock.creditedMs);
}

/**
 * Credited share of the clock's wall time up to `now`. The last sample interval is not yet due, so it
 * is not counted against coverage. `null` while no wall time has passed.
 */
export function clockCoverage(clock: SoakClock, now: number, sampleInterval: number): number | null {
  const end = Math.max(clock.lastAt, now - sampleInterval);
  const wall = end - clock.startedAt;
  if (wall <= 0) return null;
  return Math.min(1, clock.creditedMs / wall);
}
