import type { JudgeSample } from '../soak/index.js';
import { wilsonUpper } from '../soak/index.js';
import type { Point } from './downsample.js';

/** What a chart reads of a stored history entry (the judge's view of a sample). */
export type HistoryEntry = Pick<JudgeSample, 'at' | 'derived'>;

/** The spot-check bound is the judge's, over the phase: not in a stored sample, so it is recomputed here. */
export const MISMATCH_BOUND = 'spotCheckMismatchRateUpper';

/**
 * One metric key's values over the stored history, ascending. A sample without the key (or with `null`)
 * is a no-data point, never a zero. The mismatch bound is the 95 % Wilson upper bound of the mismatches
 * over the keys spot-checked from the first entry given on — the judge's own formula, over the same
 * range when the history starts at the replication phase's start (the page's default: all that is stored).
 */
export function seriesOf(history: readonly HistoryEntry[], key: string): Point[] {
  if (key === MISMATCH_BOUND) {
    let checked = 0;
    let mismatches = 0;
    return history.map((h) => {
      checked += finite(h.derived.spotCheckChecked) ?? 0;
      mismatches += finite(h.derived.spotCheckMismatches) ?? 0;
      return { at: h.at, v: wilsonUpper(mismatches, checked) };
    });
  }
  return history.map((h) => ({ at: h.at, v: finite(h.derived[key]) }));
}

/** The per-db keys of a metric present in the history (`keyDrift@db0`, `keyDrift@db3`), sorted by db. */
export function scopedKeys(history: readonly HistoryEntry[], metric: string): string[] {
  const keys = new Set<string>();
  for (const h of history)
    for (const k of Object.keys(h.derived)) if (k.startsWith(`${metric}@db`)) keys.add(k);
  return [...keys].sort((a, b) => Number(a.split('@db')[1]) - Number(b.split('@db')[1]));
}

function finite(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
