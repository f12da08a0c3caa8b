import type { Criterion, Policy } from '../config/index.js';
import { isPhaseBoundDelta, metricKey, type Phase } from '../metrics/index.js';
import { windowStats } from './series.js';
import type { CriterionStatus, Series } from './types.js';

/** One look at a criterion at time `at`. */
export interface Evaluation {
  status: CriterionStatus;
  value: number | null;
  worst: number | null;
  /** Values in the window and how many the sample interval leads to expect. */
  count: number;
  expected: number;
  /** Values the window needs to be judged: `coverageFloor(expected, minCoverage)`. */
  needed: number;
  /** Set when `nodata`: why (the sample's note for the metric, or the window's shortfall). */
  cause?: string;
  /** With a value: the latest sample's note for the metric, and how a partial window breached. */
  detail?: string;
  /** A breach proven by the values present in a window with fewer than `needed`. */
  partial?: boolean;
  /** `nodata` because the latest sample did not apply the metric (its `absentCause`): holds nothing back. */
  inapplicable?: true;
}

/** True when `value op threshold` holds, i.e. the criterion is breached. */
export function breaches(value: number, op: Criterion['op'], threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
  }
}

/** The criteria of a phase. */
export function phaseCriteria(policy: Policy, phase: Phase): Criterion[] {
  return phase === 'replication' ? policy.replication.criteria : policy.soak.criteria;
}

/** The metric key a criterion reads (`keyDrift@db3`). */
export function criterionKey(c: Criterion): string {
  return metricKey(c.metric, c.scope);
}

/**
 * Values a window needs to be judged: `max(1, floor(minCoverage × expected))`, so one missing or late
 * sample never blanks a window of a few samples (5 expected at 0.95 need 4).
 */
export function coverageFloor(expected: number, minCoverage: number): number {
  // The epsilon keeps 0.29 × 100 at 29, not 28.999….
  return Math.max(1, Math.floor(minCoverage * expected + 1e-9));
}

/**
 * Evaluates a criterion over its window ending at `at`, clipped to the phase start. A window needs
 * `coverageFloor` values to be judged; with fewer it is `nodata` with its cause, unless the values present
 * already prove a breach (`max`/`sum` of non-negative values rising over, `min` falling under the
 * threshold, a `last` that breaches): more samples could only make such a breach worse. A `last` whose
 * latest sample lacked the metric is `nodata`: missing data is never ok.
 */
export function evaluateCriterion(
  c: Criterion,
  series: Series | undefined,
  at: number,
  phaseStart: number,
  policy: Policy,
): Evaluation {
  // Times are whole ms: a level read at the phase start is in the phase, a delta ending there is not.
  const from = Math.max(at - c.window, isPhaseBoundDelta(c.metric) ? phaseStart : phaseStart - 1);
  const span = at - Math.max(at - c.window, phaseStart);
  const expected = Math.max(1, Math.floor(span / policy.sampleInterval));
  const needed = coverageFloor(expected, policy.minCoverage);
  const base = { count: 0, expected, needed };
  if (!series || series.lastAt === null)
    return { status: 'nodata', value: null, worst: null, ...base, cause: 'no sample yet' };
  const stats = windowStats(series, from, at);
  const worst = stats.count === 0 ? null : c.op === '<' || c.op === '<=' ? stats.min : stats.max;
  const latestIn = series.lastAt > from && series.lastAt <= at;
  const latest = latestIn ? series.last : null;
  const counted = { ...base, count: stats.count };
  let value: number | null = null;
  if (stats.count > 0 && stats.count >= needed) value = aggregate(c, stats, latest);
  const note = latestIn && series.note !== undefined ? series.note : undefined;
  if (value !== null) {
    const status = breaches(value, c.op, c.threshold) ? 'breach' : 'ok';
    return { status, value, worst, ...counted, ...(note !== undefined ? { detail: note } : {}) };
  }
  const proven = stats.count > 0 ? provenBreach(c, stats, latest) : null;
  if (proven !== null) {
    const partial = `only ${stats.count} of ${expected} samples, and they already breach`;
    return {
      status: 'breach',
      value: proven,
      worst,
      ...counted,
      partial: true,
      detail: note !== undefined ? `${note}; ${partial}` : partial,
    };
  }
  // A phase-bound delta at the phase start itself measured the phase before: the phase has none yet.
  const cause =
    from >= at && at - c.window < from
      ? 'no sample in this phase yet'
      : nodataCause(series, counted, from, at, c.aggregate === 'last');
  // The latest sample did not measure it because it does not apply now (legacy not fenced): shown, but
  // not missing evidence. A sampler gone blind (no latest sample in the window) is still plain nodata.
  const m = series.missing;
  const inapplicable = latestIn && m?.inapplicable === true && m.at === series.lastAt;
  return {
    status: 'nodata',
    value: null,
    worst,
    ...counted,
    cause,
    ...(inapplicable ? { inapplicable } : {}),
  };
}

function aggregate(
  c: Criterion,
  stats: ReturnType<typeof windowStats>,
  latest: number | null,
): number | null {
  switch (c.aggregate) {
    case 'last':
      return latest;
    case 'max':
      return stats.max;
    case 'min':
      return stats.min;
    case 'mean':
      return stats.sum / stats.count;
    case 'sum':
      return stats.sum;
    case 'p95':
      return stats.p95();
  }
}

/**
 * The aggregate of a window with too few values when those values already prove a breach that more
 * values could only deepen; `null` otherwise. Sums only of non-negative values (a negative one could
 * be followed by more).
 */
function provenBreach(
  c: Criterion,
  stats: ReturnType<typeof windowStats>,
  latest: number | null,
): number | null {
  const rising = c.op === '>' || c.op === '>=';
  let v: number | null = null;
  if (c.aggregate === 'max' && rising) v = stats.max;
  else if (c.aggregate === 'sum' && rising && stats.min >= 0) v = stats.sum;
  else if (c.aggregate === 'min' && !rising) v = stats.min;
  else if (c.aggregate === 'last') v = latest;
  return v !== null && breaches(v, c.op, c.threshold) ? v : null;
}

/** Why a window has no data, for people: the latest sample's note if it lacked the metric, else the shortfall. */
function nodataCause(
  series: Series,
  e: { count: number; expected: number; needed: number },
  from: number,
  at: number,
  latestOnly: boolean,
): string {
  const tally = `window has ${e.count} of ${e.expected} samples, needs ${e.needed}`;
  const lastAt = series.lastAt ?? 0;
  // Only when the window ends after the latest sample (a verdict between ticks, a blind stretch).
  const since = lastAt < at ? `none since ${new Date(lastAt).toISOString()}` : '';
  const m = series.missing;
  const missingIn = m !== undefined && m.at > from && m.at <= at;
  if (missingIn && m.at === lastAt) {
    // The latest sample's own reason; the tally only when some values are there but too few.
    if (latestOnly || e.count >= e.needed || e.count === 0) return since ? `${m.cause} (${since})` : m.cause;
    return `${m.cause} (${tally}${since ? `, ${since}` : ''})`;
  }
  return `${tally}${since ? `, ${since}` : ''}${missingIn ? ` (last missing: ${m.cause})` : ''}`;
}
