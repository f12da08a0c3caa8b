import { type MetricName, type MismatchSummary, mergeMismatchSummaries } from '../metrics/index.js';
import type { MismatchWindow } from './types.js';

/** The criterion metric whose evidence carries the mismatch summary of its window. */
export const MISMATCH_METRIC: MetricName = 'spotCheckMismatches';
/** Buckets over the largest window reading the metric: a window's summary reaches back at most one bucket too far. */
const BUCKETS = 10;

/**
 * The mismatch summaries of the samples of the largest window that reads `spotCheckMismatches`
 * (`keepMs`; undefined: no criterion of the phase reads it, nothing is kept), merged per bucket so the
 * state stays bounded (about BUCKETS summaries, each bounded). Pure: returns the new window.
 */
export function addMismatches(
  win: MismatchWindow | undefined,
  at: number,
  summary: MismatchSummary | undefined,
  keepMs: number | undefined,
  intervalMs: number,
): MismatchWindow | undefined {
  if (keepMs === undefined) return undefined;
  const w = Math.max(1, intervalMs, Math.ceil(keepMs / BUCKETS));
  const b = win && win.w === w ? win.b.filter((x) => x.l > at - keepMs) : [];
  if (summary && summary.total > 0) {
    const i = Math.floor(at / w);
    const last = b[b.length - 1];
    if (last && last.i === i) b[b.length - 1] = { i, l: at, s: mergeMismatchSummaries([last.s, summary]) };
    else b.push({ i, l: at, s: summary });
  }
  return b.length > 0 ? { w, b } : undefined;
}

/** The mismatches of the samples in `(at - windowMs, at]` (to within one bucket), or undefined when none. */
export function mismatchesWithin(
  win: MismatchWindow | undefined,
  at: number,
  windowMs: number,
): MismatchSummary | undefined {
  const inWindow = (win?.b ?? []).filter((x) => x.l > at - windowMs && x.l <= at);
  return inWindow.length > 0 ? mergeMismatchSummaries(inWindow.map((x) => x.s)) : undefined;
}
