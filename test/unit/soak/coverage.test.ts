import { describe, expect, it } from 'vitest';
import { type Criterion, criterionSchema, type Policy, policySchema } from '../../../src/config/schema.js';
import { coverageFloor, evaluateCriterion } from '../../../src/soak/criteria.js';
import { addToSeries, emptySeries } from '../../../src/soak/series.js';
import type { Series } from '../../../src/soak/types.js';
import { HEALTHY_SOAK, SEC, Sim, testPolicy } from './fixtures.js';

const MIN = 60_000;
const policy: Policy = testPolicy();

function criterion(over: Partial<Record<keyof Criterion, unknown>>): Criterion {
  return criterionSchema.parse({ id: 'c', metric: 'targetEvictions', threshold: 0, ...over });
}

/** A series with one value per second at 1 s, 2 s, …; a string is a sample without a value, and its note. */
function seriesOf(values: (number | string)[], keep = 10 * SEC): Series {
  const s = emptySeries(SEC);
  values.forEach((v, i) => {
    if (typeof v === 'string') addToSeries(s, (i + 1) * SEC, null, keep, v);
    else addToSeries(s, (i + 1) * SEC, v, keep);
  });
  return s;
}

describe('window coverage floor', () => {
  it.each([
    [1, 0.95, 1],
    [2, 0.95, 1],
    [3, 0.95, 2],
    [5, 0.95, 4],
    [15, 0.95, 14],
    [100, 0.95, 95],
    [100, 0.29, 29],
    [5, 1, 5],
    [5, 0, 1],
  ])('needs max(1, floor(minCoverage × expected)): %d expected at %d → %d', (expected, m, needed) => {
    expect(coverageFloor(expected, m)).toBe(needed);
  });

  it('judges a window with one of its samples missing', () => {
    const c = criterion({ aggregate: 'max', window: '5s' });

    const e = evaluateCriterion(c, seriesOf([0, 0, 'node down', 0, 0]), 5 * SEC, 0, policy);

    expect(e).toMatchObject({ status: 'ok', value: 0, count: 4, expected: 5, needed: 4 });
  });

  it('is nodata with two missing, naming the shortfall and the latest gap', () => {
    const c = criterion({ aggregate: 'mean', window: '5s' });

    const e = evaluateCriterion(
      c,
      seriesOf([0, 'a', '127.0.0.1:7003 unreachable', 0, 0]),
      5 * SEC,
      0,
      policy,
    );

    expect(e).toMatchObject({ status: 'nodata', count: 3, needed: 4 });
    expect(e.cause).toBe('window has 3 of 5 samples, needs 4 (last missing: 127.0.0.1:7003 unreachable)');
  });

  it("leads with the latest sample's note when the latest sample lacked the metric", () => {
    const c = criterion({ metric: 'targetMemoryPct', aggregate: 'max', window: '3s', threshold: 85 });
    const series = seriesOf(['no maxmemory on 127.0.0.1:7001', 'no maxmemory on 127.0.0.1:7001']);

    const e = evaluateCriterion(c, series, 2 * SEC, 0, policy);

    expect(e.status).toBe('nodata');
    expect(e.cause).toBe('no maxmemory on 127.0.0.1:7001');
  });

  it('says when no sample arrived since', () => {
    const c = criterion({ aggregate: 'sum', window: '3s' });

    const e = evaluateCriterion(c, seriesOf([0, 0]), 6 * SEC, 0, policy);

    expect(e.cause).toBe(`window has 0 of 3 samples, needs 2, none since ${new Date(2 * SEC).toISOString()}`);
  });

  it("gives the latest sample's note as the detail of a value", () => {
    const c = criterion({ metric: 'keyDrift', aggregate: 'last', window: '1s' });
    const s = emptySeries(SEC);
    addToSeries(s, SEC, 12, 10 * SEC, 'target 5,012 within legacy 4,990–5,031 during the pass');

    const e = evaluateCriterion(c, s, SEC, 0, policy);

    expect(e).toMatchObject({
      status: 'breach',
      detail: 'target 5,012 within legacy 4,990–5,031 during the pass',
    });
  });
});

describe('partial data that already proves a breach', () => {
  it.each([
    ['max', '>', 0, [3, 'x', 'x', 'x', 'x'], 3],
    ['max', '>=', 3, ['x', 'x', 'x', 'x', 3], 3],
    ['sum', '>', 5, [4, 'x', 'x', 'x', 2], 6],
    ['min', '<', 10, ['x', 'x', 2, 'x', 'x'], 2],
    ['last', '>', 0, ['x', 'x', 'x', 'x', 1], 1],
  ] as const)(
    '%s %s %d over a window with too few samples is a breach',
    (aggregate, op, threshold, values, value) => {
      const c = criterion({ aggregate, op, threshold, window: '5s' });

      const e = evaluateCriterion(c, seriesOf([...values]), 5 * SEC, 0, policy);

      expect(e).toMatchObject({ status: 'breach', value, partial: true });
      expect(e.detail).toContain('already breach');
    },
  );

  it.each([
    ['max', '>', 5, [3, 'x', 'x', 'x', 'x']],
    ['max', '<', 5, [3, 'x', 'x', 'x', 'x']],
    ['sum', '<', 5, [3, 'x', 'x', 'x', 'x']],
    ['sum', '>', 1, [-4, 3, 'x', 'x', 'x']],
    ['min', '>', 1, [3, 'x', 'x', 'x', 'x']],
    ['mean', '>', 1, [9, 'x', 'x', 'x', 'x']],
    ['p95', '>', 1, [9, 'x', 'x', 'x', 'x']],
  ] as const)('%s %s %d over too few samples proves nothing: nodata', (aggregate, op, threshold, values) => {
    const c = criterion({ aggregate, op, threshold, window: '5s' });

    const e = evaluateCriterion(c, seriesOf([...values]), 5 * SEC, 0, policy);

    expect(e.status).toBe('nodata');
    expect(e.cause).toMatch(/of 5 samples, needs 4/);
  });

  it('warns that the sampler is blind on the 2nd failing sample even when samples come far apart', () => {
    // Default policy: 1-minute samples. Ticks that wait on a frozen node arrive 5 minutes apart: the 5 m
    // windows of the other criteria hold 1 of 5 samples, and the sampler still reads the failure.
    const sim = new Sim(policySchema.parse({}));
    const blind = {
      samplerFailures: 1,
      persistentKeyDriftRatio: 0,
      cdcLagMs: 100,
      spotCheckMismatches: 0,
      streamRestarts: 0,
    };
    const notes = { samplerFailures: '127.0.0.1:7003 unreachable: no answer within the sample budget' };

    const first = sim.tick(5 * MIN, blind, { notes });
    const second = sim.tick(10 * MIN, blind, { notes });

    const sampler = (r: typeof first) => r.verdict.criteria.find((c) => c.id === 'sampler');
    expect(sampler(first)).toMatchObject({ status: 'breach', firing: false });
    expect(sampler(second)).toMatchObject({ status: 'breach', firing: true, value: 1 });
    expect(sampler(second)?.detail).toContain('127.0.0.1:7003 unreachable');
    expect(second.verdict.firing.map((f) => f.id)).toContain('sampler');
  });
});

describe('sampler default', () => {
  it('does not warn on one failed read followed by good ones', () => {
    const sim = new Sim(policySchema.parse({}));
    const healthy = { persistentKeyDriftRatio: 0, cdcLagMs: 100, spotCheckMismatches: 0, streamRestarts: 0 };

    sim.tick(MIN, { ...healthy, samplerFailures: 0 });
    sim.tick(2 * MIN, { ...healthy, samplerFailures: 1 });
    const r = sim.run(3 * MIN, 3 * MIN, { ...healthy, samplerFailures: 0 });
    sim.tick(4 * MIN, { ...healthy, samplerFailures: 0 });

    expect(r?.verdict.firing).toEqual([]);
    expect(sim.last?.verdict.firing).toEqual([]);
    expect(sim.state.criteria.sampler).toMatchObject({ breachCount: 1, firing: false });
  });
});

describe('verdict: why inconclusive', () => {
  it('names the criteria without data and their causes', () => {
    const sim = new Sim(testPolicy());
    sim.readyAndCutover(12 * SEC);
    sim.run(13 * SEC, 20 * SEC, HEALTHY_SOAK);

    const r = sim.tick(
      21 * SEC,
      { ...HEALTHY_SOAK, targetMemoryPct: null },
      {
        notes: { targetMemoryPct: 'no maxmemory on 127.0.0.1:7001' },
        complete: false,
      },
    );

    expect(r.verdict.inconclusive).toBe(true);
    expect(r.verdict.inconclusiveReasons).toEqual(['memory-full: no maxmemory on 127.0.0.1:7001']);
    expect(r.verdict.criteria.find((c) => c.id === 'memory-full')).toMatchObject({
      status: 'nodata',
      cause: 'no maxmemory on 127.0.0.1:7001',
    });
  });

  it('names low coverage with its number and the floor', () => {
    const sim = new Sim(testPolicy());
    sim.readyAndCutover(12 * SEC);
    sim.run(13 * SEC, 20 * SEC, HEALTHY_SOAK);
    // 10 s without a sample, then samples again: 12 s credited of 22 s.
    sim.run(31 * SEC, 34 * SEC, HEALTHY_SOAK);

    const v = sim.last?.verdict;

    expect(v?.inconclusive).toBe(true);
    expect(v?.inconclusiveReasons).toEqual(['coverage 54.5 % below the 95 % floor']);
  });

  it('is empty when the verdict is conclusive', () => {
    const sim = new Sim(testPolicy());
    sim.readyAndCutover(12 * SEC);

    sim.run(13 * SEC, 20 * SEC, HEALTHY_SOAK);

    expect(sim.last?.verdict).toMatchObject({ inconclusive: false, inconclusiveReasons: [] });
  });
});
