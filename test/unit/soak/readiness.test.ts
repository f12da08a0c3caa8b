import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { policySchema } from '../../../src/config/schema.js';
import type { DerivedMetrics } from '../../../src/metrics/index.js';
import { readinessSlackMs } from '../../../src/soak/index.js';
import { HEALTHY_REPLICATION, REPLICATION_CRITERIA, SEC, Sim, testPolicy } from './fixtures.js';

const MIN = 60_000;

const replicating: DerivedMetrics = {
  persistentKeyDriftRatio: 0,
  cdcLagMs: 800,
  spotCheckChecked: 100,
  spotCheckMismatches: 0,
  streamRestarts: 0,
  samplerFailures: 0,
};

/** One sample a minute from 1 min with the default policy; `skip` minutes get no sample, `partial` ones lack the lag. */
function defaultRun(until: number, opts: { skip?: number[]; partial?: number[] } = {}): Sim {
  const sim = new Sim(policySchema.parse({}));
  for (let m = 1; m <= until && sim.state.state === 'REPLICATING'; m++) {
    if (opts.skip?.includes(m)) continue;
    const partial = opts.partial?.includes(m);
    sim.tick(m * MIN, partial ? { ...replicating, cdcLagMs: null } : replicating, {
      complete: !partial,
      since: (m - 1) * MIN,
      ...(partial ? { notes: { cdcLagMs: 'heartbeat not read: 127.0.0.1:7000 unreachable' } } : {}),
    });
  }
  return sim;
}

const readyAt = (sim: Sim): number | undefined => sim.transitions.find((t) => t.kind === 'ready')?.at;

describe('the readiness clock: one missed tick costs one tick', () => {
  it('is ready an hour after the first clean sample when every sample arrives', () => {
    expect(readyAt(defaultRun(70))).toBe(61 * MIN);
  });

  it('is ready one tick later when one sample never arrived', () => {
    const sim = defaultRun(70, { skip: [30] });

    expect(readyAt(sim)).toBe(62 * MIN);
    expect(sim.transitions.find((t) => t.kind === 'ready')?.reason).toContain('coverage 98.4%');
  });

  it('is ready one tick later when one sample lacked a metric, without restarting the clock', () => {
    const sim = defaultRun(70, { partial: [30] });

    expect(readyAt(sim)).toBe(62 * MIN);
  });

  it('is ready two ticks later when two samples in a row never arrived, though the 5 m windows were short', () => {
    const sim = defaultRun(70, { skip: [20, 21] });

    expect(readyAt(sim)).toBe(63 * MIN);
  });

  it('shows the missing sample in the evidence while its window still holds enough values', () => {
    const sim = defaultRun(31, { partial: [31] });

    const lag = sim.last?.verdict.criteria.find((c) => c.id === 'cdc-lag');
    // p95 over 15 m: 14 of 15 values are enough, so the criterion stays judged.
    expect(lag).toMatchObject({ status: 'ok' });
    expect(sim.state.clock).toMatchObject({ startedAt: MIN, creditedMs: 29 * MIN, lastAt: 31 * MIN });
  });

  it('restarts once the uncredited time makes coverage at readyAfter impossible', () => {
    const policy = policySchema.parse({});
    // 1 h at 0.95: up to 3 min 9 s uncredited; three missing minutes keep the clock, four restart it.
    expect(readinessSlackMs(policy)).toBeCloseTo((3_600_000 * 0.05) / 0.95, 6);

    expect(readyAt(defaultRun(80, { skip: [20, 21, 22] }))).toBe(64 * MIN);
    const restarted = defaultRun(90, { skip: [20, 21, 22, 23] });
    expect(readyAt(restarted)).toBe(84 * MIN);
  });

  it('never credits a stretch without samples, and a blind watcher is never ready', () => {
    const sim = new Sim(testPolicy({ minCoverage: 0.5 }));

    // Every sample lacks the lag: the clock never starts.
    sim.run(SEC, 60 * SEC, { ...HEALTHY_REPLICATION, cdcLagMs: null });

    expect(sim.state.state).toBe('REPLICATING');
    expect(sim.state.clock).toBeNull();
    expect(sim.last?.verdict.criteria.find((c) => c.id === 'lag')?.status).toBe('nodata');
  });

  it('still restarts the clock on a breach', () => {
    const sim = new Sim(testPolicy());
    sim.run(SEC, 8 * SEC, HEALTHY_REPLICATION);

    sim.tick(9 * SEC, { ...HEALTHY_REPLICATION, keyDrift: 1 });

    expect(sim.state.clock).toBeNull();
  });

  it('a single dropped or partial sample never resets the readiness clock (property)', () => {
    const policy = testPolicy({
      minCoverage: 0.9,
      replication: { readyAfter: '20s', criteria: REPLICATION_CRITERIA },
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 20 }),
        fc.constantFrom('dropped', 'partial', 'late'),
        (k, how) => {
          const sim = new Sim(policy);
          let prev: number | null = null;
          for (let i = 1; i <= 40 && sim.state.state === 'REPLICATING'; i++) {
            if (i === k && how === 'dropped') continue;
            const at = i === k && how === 'late' ? i * SEC + 900 : i * SEC;
            const derived =
              i === k && how === 'partial' ? { ...HEALTHY_REPLICATION, cdcLagMs: null } : HEALTHY_REPLICATION;
            const startedAt = sim.state.clock?.startedAt;
            sim.tick(at, derived, { since: prev });
            prev = at;
            // The clock that ran before the missed sample still runs after it.
            if (startedAt !== undefined && sim.state.state === 'REPLICATING')
              expect(sim.state.clock?.startedAt).toBe(startedAt);
          }
          // Ready at most one tick later than a run without the miss (ready at 21 s).
          const ready = readyAt(sim);
          expect(ready).toBeDefined();
          expect(ready ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(22 * SEC);
        },
      ),
      { numRuns: 60 },
    );
  });
});
