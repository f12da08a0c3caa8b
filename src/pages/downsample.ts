/** One stored value of a metric at a sample's time; `v: null` is a sample that had no data for it. */
export interface Point {
  at: number;
  v: number | null;
}

/** Bounds of a samples request and of a chart. */
export const MAX_POINTS = 2_000;
export const DEFAULT_POINTS = 400;

/**
 * At most `maxPoints` points over [from, to]: the range is cut into maxPoints / 2 equal time buckets, and
 * each keeps its lowest and its highest value (in time order), so a one-sample spike survives any zoom —
 * an average would hide exactly the breach a release manager must see. A bucket with only no-data samples
 * keeps one `null` (a gap in the line, never a zero). Fewer points than the bound come back unchanged.
 * Pure; `points` ascending by `at`.
 */
export function downsample(points: readonly Point[], maxPoints: number, from: number, to: number): Point[] {
  const inRange = points.filter((p) => p.at >= from && p.at <= to);
  if (inRange.length <= maxPoints) return inRange;
  const buckets = Math.max(1, Math.floor(maxPoints / 2));
  const width = (to - from + 1) / buckets;
  const out: Point[] = [];
  let index = -1;
  let min: Point | undefined;
  let max: Point | undefined;
  let gap: Point | undefined;
  const flush = () => {
    if (min && max) {
      if (min === max) out.push(min);
      else if (min.at <= max.at) out.push(min, max);
      else out.push(max, min);
    } else if (gap) out.push(gap);
    min = max = gap = undefined;
  };
  for (const p of inRange) {
    const i = Math.min(buckets - 1, Math.floor((p.at - from) / width));
    if (i !== index) {
      flush();
      index = i;
    }
    if (p.v === null) {
      gap ??= p;
      continue;
    }
    if (!min || p.v < (min.v as number)) min = p;
    if (!max || p.v > (max.v as number)) max = p;
  }
  flush();
  return out;
}
