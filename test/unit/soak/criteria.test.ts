import { describe, expect, it } from 'vitest';
import { type Criterion, criterionSchema, type Policy } from '../../../src/config/schema.js';
import { evaluateCriterion } from '../../../src/soak/criteria.js';
import { addToSeries, emptySeries, windowStats } from '../../../src/soak/series.js';
import type { Series } from '../../../src/soak/types.js';
import { SEC, testPolicy } from './fixtures.js';

const policy: Policy = testPolicy();

function criterion(over: Partial<Record<keyof Criterion, unknown>>): Criterion {
  return criterionSchema.parse({ id: 'c', metric: 'targetEvictions', threshold: 0, ...over });
}

/** A series with one value per second at 1 s, 2 s, … */
function seriesOf(values: (number | null)[], keep = 10 * SEC): Series {
  const s = emptySeries(SEC);
  values.forEach((v, i) => {
    addToSeries(s, (i + 1) * SEC, v, keep);
  });
  return s;
}

describe('evaluateCriterion', () => {
  it.each([
    ['last', 7],
    ['max', 9],
    ['min', 1],
    ['mean', 17 / 3],
    ['sum', 17],
  ] as const)('aggregates %s over the window', (aggregate, expected) => {
    const c = criterion({ aggregate, window: '3s', threshold: 100 });
    // Values at 1 s..4 s; the window (1 s, 4 s] holds 1, 9, 7.
    const e = evaluateCriterion(c, seriesOf([5, 1, 9, 7]), 4 * SEC, 0, policy);
    expect(e.status).toBe('ok');
    expect(e.value).toBeCloseTo(expected, 10);
  });

  it('computes a nearest-rank p95', () => {
    const values = Array.from({ length: 20 }, (_, i) => i + 1); // 1..20
    const c = criterion({ aggregate: 'p95', window: '20s', threshold: 100 });
    const e = evaluateCriterion(c, seriesOf(values, 20 * SEC), 20 * SEC, 0, policy);
    expect(e.value).toBe(19); // ceil(0.95·20) = 19th smallest
  });

  it.each([
    ['>', 5, 5, 'ok'],
    ['>=', 5, 5, 'breach'],
    ['<', 5, 4, 'breach'],
    ['<=', 5, 6, 'ok'],
  ] as const)('with op %s threshold %d value %d is %s', (op, threshold, value, status) => {
    const c = criterion({ op, threshold, aggregate: 'last', window: '1s' });
    expect(evaluateCriterion(c, seriesOf([value]), SEC, 0, policy).status).toBe(status);
  });

  it('is nodata when the latest sample lacked the metric, never ok', () => {
    const c = criterion({ aggregate: 'last', window: '1s' });
    const e = evaluateCriterion(c, seriesOf([0, 0, null]), 3 * SEC, 0, policy);
    expect(e).toMatchObject({ status: 'nodata', value: null });
  });

  it('is nodata when the window holds fewer values than minCoverage asks', () => {
    const c = criterion({ aggregate: 'max', window: '5s' });
    // minCoverage 1: every one of the 5 expected values is needed (at 0.95 one may be missing).
    const e = evaluateCriterion(c, seriesOf([0, 0, null, 0, 0]), 5 * SEC, 0, testPolicy({ minCoverage: 1 }));
    expect(e).toMatchObject({ status: 'nodata', count: 4, expected: 5 });
  });

  it('is nodata for a window with no values at all', () => {
    const c = criterion({ aggregate: 'sum', window: '3s' });
    expect(evaluateCriterion(c, seriesOf([1, 1]), 30 * SEC, 0, policy).status).toBe('nodata');
    expect(evaluateCriterion(c, undefined, 30 * SEC, 0, policy).status).toBe('nodata');
  });

  it('ignores values from before the phase start', () => {
    const c = criterion({ aggregate: 'sum', window: '5s' });
    const e = evaluateCriterion(c, seriesOf([9, 9, 9, 0, 0]), 5 * SEC, 3.5 * SEC, policy);
    expect(e).toMatchObject({ status: 'ok', value: 0 });
  });

  it('reports the worst single value in the window by the direction of the comparator', () => {
    const high = criterion({ aggregate: 'mean', window: '3s', op: '>', threshold: 100 });
    const low = criterion({ aggregate: 'mean', window: '3s', op: '<', threshold: -100 });
    const s = seriesOf([4, 1, 7]);
    expect(evaluateCriterion(high, s, 3 * SEC, 0, policy).worst).toBe(7);
    expect(evaluateCriterion(low, s, 3 * SEC, 0, policy).worst).toBe(1);
  });
});

describe('windowStats', () => {
  it('keeps only the buckets the largest window needs', () => {
    const s = seriesOf(
      Array.from({ length: 500 }, () => 1),
      5 * SEC,
    );
    expect(s.b.length).toBeLessThanOrEqual(7);
    expect(windowStats(s, 495 * SEC, 500 * SEC).count).toBe(5);
  });
});
