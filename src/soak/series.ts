import type { Bucket, Series } from './types.js';

/** Values kept per bucket for p95: exact while the window's top 5 % (plus one) fit in TOP_K. */
export const TOP_K = 32;
/** Buckets per series at most: long windows get wider buckets, so memory and tick cost stay bounded. */
export const MAX_BUCKETS = 720;

/** Bucket width for a metric read by windows up to `maxWindow`: one sample interval, wider for long windows. */
export function bucketWidth(sampleInterval: number, maxWindow: number): number {
  return Math.max(1, sampleInterval, Math.ceil(maxWindow / MAX_BUCKETS));
}

export function emptySeries(width: number): Series {
  return { w: width, b: [], lastAt: null, last: null };
}

/**
 * Adds one sample's value (`null` = no data) at `at`, with the sample's note for it (for a `null`: why;
 * `inapplicable`: the sample did not measure it because it does not apply now); drops buckets older than
 * `keepMs` before `at`.
 */
export function addToSeries(
  series: Series,
  at: number,
  value: number | null,
  keepMs: number,
  note?: string,
  inapplicable?: boolean,
): void {
  series.lastAt = at;
  series.last = value;
  if (value !== null && note !== undefined) series.note = note;
  else delete series.note;
  if (value === null)
    series.missing = {
      at,
      cause: note ?? 'the sample carried no value',
      ...(inapplicable ? { inapplicable: true as const } : {}),
    };
  if (value !== null) {
    const i = Math.floor(at / series.w);
    const tail = series.b[series.b.length - 1];
    if (tail && tail.i === i) {
      // Buckets may be shared with the state the tick was given: copy before changing.
      const copy = { ...tail, top: tail.top.slice() };
      series.b[series.b.length - 1] = copy;
      addToBucket(copy, at, value);
    } else series.b.push({ i, n: 1, sum: value, min: value, max: value, f: at, l: at, top: [value] });
  }
  // Samples arrive in time order, so old buckets are at the front.
  const horizon = at - keepMs - series.w;
  let drop = 0;
  while (drop < series.b.length && (series.b[drop]?.l ?? Number.POSITIVE_INFINITY) <= horizon) drop++;
  if (drop > 0) series.b.splice(0, drop);
}

function addToBucket(b: Bucket, at: number, value: number): void {
  b.n++;
  b.sum += value;
  if (value < b.min) b.min = value;
  if (value > b.max) b.max = value;
  b.l = at;
  if (b.top.length < TOP_K || value > (b.top[b.top.length - 1] ?? Number.NEGATIVE_INFINITY)) {
    let k = b.top.length;
    while (k > 0 && (b.top[k - 1] ?? 0) < value) k--;
    b.top.splice(k, 0, value);
    if (b.top.length > TOP_K) b.top.pop();
  }
}

/** Aggregates of the values in a window. */
export interface WindowStats {
  count: number;
  sum: number;
  min: number;
  max: number;
  /** Nearest-rank p95 (exact while the window's top 5 % fit in the kept values, else a lower estimate). */
  p95: () => number;
}

/**
 * Values with a sample time in (from, to]. Window edges are bucket-granular: a bucket counts when its
 * last sample is inside; with one bucket per sample interval that is exact for one sample per interval.
 */
export function windowStats(series: Series, from: number, to: number): WindowStats {
  let count = 0;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  const inWindow: Bucket[] = [];
  // Walk from the newest bucket back: the cost is the window's buckets, never the whole history.
  for (let k = series.b.length - 1; k >= 0; k--) {
    const b = series.b[k];
    if (!b) continue;
    if (b.l <= from) break;
    if (b.f > to) continue;
    inWindow.push(b);
    count += b.n;
    sum += b.sum;
    if (b.min < min) min = b.min;
    if (b.max > max) max = b.max;
  }
  const p95 = (): number => {
    const values: number[] = [];
    for (const b of inWindow) for (const v of b.top) values.push(v);
    values.sort((a, b) => b - a);
    // Nearest rank: the ceil(0.95·N)-th smallest is the (N - ceil(0.95·N) + 1)-th largest.
    const m = count - Math.ceil(0.95 * count) + 1;
    return values[Math.min(m, values.length) - 1] ?? max;
  };
  return { count, sum, min, max, p95 };
}
