import type { Criterion, Policy } from '../config/schema.js';
import { metricKey } from './catalogue.js';
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

export function criterionKey(c: Criterion): string {
  return metricKey(c.metric, c.scope);
}

/**
 * Evaluates a criterion over its window ending at `at`, clipped to the phase start. A window whose
 * values cover less than `minCoverage` of the expected samples is `nodata`, and so is a `last` whose
 * latest sample lacked the metric: missing data is never ok.
 */
export function evaluateCriterion(
  c: Criterion,
  series: Series | undefined,
  at: number,
  phaseStart: number,
  policy: Policy,
): Evaluation {
  const from = Math.max(at - c.window, phaseStart - 1);
  const span = at - Math.max(at - c.window, phaseStart);
  const expected = Math.max(1, Math.floor(span / policy.sampleInterval));
  if (!series) return { status: 'nodata', value: null, worst: null, count: 0, expected };
  const stats = windowStats(series, from, at);
  const worst = stats.count === 0 ? null : c.op === '<' || c.op === '<=' ? stats.min : stats.max;
  const covered = Math.min(1, stats.count / expected) >= policy.minCoverage;
  let value: number | null = null;
  if (stats.count > 0 && covered) {
    switch (c.aggregate) {
      case 'last':
        value = series.lastAt !== null && series.lastAt > from && series.lastAt <= at ? series.last : null;
        break;
      case 'max':
        value = stats.max;
        break;
      case 'min':
        value = stats.min;
        break;
      case 'mean':
        value = stats.sum / stats.count;
        break;
      case 'sum':
        value = stats.sum;
        break;
      case 'p95':
        value = stats.p95();
        break;
    }
  }
  if (value === null) return { status: 'nodata', value: null, worst, count: stats.count, expected };
  return {
    status: breaches(value, c.op, c.threshold) ? 'breach' : 'ok',
    value,
    worst,
    count: stats.count,
    expected,
  };
}
