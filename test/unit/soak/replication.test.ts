import { describe, expect, it } from 'vitest';
import { HEALTHY_REPLICATION, SEC, Sim, testPolicy } from './fixtures.js';

describe('judgeSoak in the replication phase', () => {
  it('becomes CUTOVER_READY once the replication criteria held for readyAfter', () => {
    const sim = new Sim(testPolicy());

    sim.run(SEC, 10 * SEC, HEALTHY_REPLICATION);
    expect(sim.state.state).toBe('REPLICATING');
    sim.tick(11 * SEC, HEALTHY_REPLICATION);

    expect(sim.state.state).toBe('CUTOVER_READY');
    expect(sim.transitions).toEqual([
      expect.objectContaining({ kind: 'ready', from: 'REPLICATING', to: 'CUTOVER_READY', at: 11 * SEC }),
    ]);
    expect(sim.last?.verdict).toMatchObject({ phase: 'replication', remainingMs: 0, inconclusive: false });
  });

  it('never becomes ready while the key counts drift', () => {
    const sim = new Sim(testPolicy());

    sim.run(SEC, 60 * SEC, (at) => ({ ...HEALTHY_REPLICATION, keyDrift: at % (7 * SEC) === 0 ? 3 : 0 }));

    expect(sim.state.state).toBe('REPLICATING');
    expect(sim.last?.verdict.elapsedMs).toBeLessThan(10 * SEC);
  });

  it('restarts the readiness clock on any breach, since readiness needs every criterion ok', () => {
    const sim = new Sim(testPolicy());

    sim.run(SEC, 8 * SEC, HEALTHY_REPLICATION);
    sim.tick(9 * SEC, { ...HEALTHY_REPLICATION, cdcLagMs: 60_000 }); // one spike: p95 over 5 s sees it until 13 s
    expect(sim.state.criteria.lag).toMatchObject({ consecutive: 1, firing: false });
    sim.run(10 * SEC, 14 * SEC, HEALTHY_REPLICATION);

    expect(sim.state.state).toBe('REPLICATING');
    expect(sim.state.criteria.lag).toMatchObject({ firing: false, breachCount: 5, lastBreachAt: 13 * SEC });
    sim.run(15 * SEC, 23 * SEC, HEALTHY_REPLICATION);
    expect(sim.state.state).toBe('REPLICATING');
    sim.tick(24 * SEC, HEALTHY_REPLICATION); // 10 s after the first clean sample at 14 s
    expect(sim.state.state).toBe('CUTOVER_READY');
  });

  it('does not count a partial sample as ok: a metric missing from a sample blocks readiness', () => {
    const sim = new Sim(testPolicy());

    sim.run(SEC, 9 * SEC, HEALTHY_REPLICATION);
    // Two partial samples: one alone no longer blanks the 5 s window (it only pauses the clock).
    sim.tick(10 * SEC, { ...HEALTHY_REPLICATION, cdcLagMs: null }, { complete: false });
    sim.tick(11 * SEC, { ...HEALTHY_REPLICATION, cdcLagMs: null }, { complete: false });
    sim.run(12 * SEC, 12 * SEC, HEALTHY_REPLICATION);

    expect(sim.state.state).toBe('REPLICATING');
    expect(sim.last?.verdict.criteria.find((c) => c.id === 'lag')?.status).toBe('nodata');
    expect(sim.last?.verdict.inconclusive).toBe(true);
  });

  it('does not count time without samples towards readiness', () => {
    const sim = new Sim(testPolicy({ minCoverage: 0.5 }));

    // Samples every 2 s against an expected 1 s: half the wall time is covered.
    for (let at = 2 * SEC; at <= 20 * SEC; at += 2 * SEC) sim.tick(at, HEALTHY_REPLICATION);

    expect(sim.state.state).toBe('REPLICATING');
    expect(sim.last?.verdict.elapsedMs).toBe(9 * SEC);
    expect(sim.last?.verdict.coverage).toBeCloseTo(0.5, 5);
  });

  it('revokes readiness when drift returns after CUTOVER_READY', () => {
    const sim = new Sim(testPolicy());
    sim.run(SEC, 11 * SEC, HEALTHY_REPLICATION);

    sim.tick(12 * SEC, { ...HEALTHY_REPLICATION, keyDrift: 40 });

    expect(sim.state.state).toBe('REPLICATING');
    expect(sim.transitions.at(-1)).toMatchObject({
      kind: 'revoked',
      from: 'CUTOVER_READY',
      to: 'REPLICATING',
    });
    expect(sim.last?.verdict.resets).toEqual([
      expect.objectContaining({ at: 12 * SEC, criterion: 'drift', phase: 'replication' }),
    ]);
  });

  it('revokes readiness on an event the policy resets on, and only records others', () => {
    const sim = new Sim(testPolicy());
    sim.run(SEC, 11 * SEC, HEALTHY_REPLICATION);

    sim.events(11.5 * SEC, [{ at: 11.5 * SEC, type: 'ElastiCache:SnapshotComplete', source: 'elasticache' }]);
    expect(sim.state.state).toBe('CUTOVER_READY');
    sim.events(11.6 * SEC, [{ at: 11.6 * SEC, type: 'ElastiCache:FailoverComplete', source: 'elasticache' }]);

    expect(sim.state.state).toBe('REPLICATING');
    expect(sim.state.resets).toEqual([expect.objectContaining({ event: 'ElastiCache:FailoverComplete' })]);
    expect(sim.state.events.map((e) => e.type)).toEqual([
      'ElastiCache:SnapshotComplete',
      'ElastiCache:FailoverComplete',
    ]);
  });

  it('fails on a fatal replication criterion', () => {
    const sim = new Sim(
      testPolicy({
        replication: {
          readyAfter: '10s',
          criteria: [
            {
              id: 'drift',
              metric: 'keyDrift',
              aggregate: 'last',
              window: '1s',
              threshold: 1000,
              severity: 'fatal',
            },
          ],
        },
      }),
    );

    sim.run(SEC, 3 * SEC, { keyDrift: 0 });
    sim.tick(4 * SEC, { keyDrift: 5000 });

    expect(sim.state.state).toBe('FAILED');
    expect(sim.transitions.at(-1)?.reason).toContain('drift');
  });

  it('accumulates spot-checks over the phase so a long clean replication proves a tiny mismatch rate', () => {
    const policy = testPolicy({
      replication: {
        readyAfter: '5s',
        criteria: [
          {
            id: 'spot-bound',
            metric: 'spotCheckMismatchRateUpper',
            aggregate: 'last',
            window: '1s',
            threshold: 1e-5,
          },
        ],
      },
    });
    const sim = new Sim(policy);

    // 50k keys per sample: the bound drops below 1e-5 after 400k clean keys (8 samples).
    sim.run(SEC, 7 * SEC, { spotCheckChecked: 50_000, spotCheckMismatches: 0 });
    expect(sim.last?.verdict.criteria[0]?.status).toBe('breach');
    sim.run(8 * SEC, 13 * SEC, { spotCheckChecked: 50_000, spotCheckMismatches: 0 });

    expect(sim.state.state).toBe('CUTOVER_READY');
    expect(sim.last?.verdict.spotCheck).toMatchObject({ checked: 650_000, mismatches: 0 });
    expect(sim.last?.verdict.spotCheck?.upperBound).toBeLessThan(1e-5);
  });

  it('treats the spot-check bound as nodata while a sample cannot tell its mismatches', () => {
    const policy = testPolicy({
      replication: {
        readyAfter: '2s',
        criteria: [
          {
            id: 'spot-bound',
            metric: 'spotCheckMismatchRateUpper',
            aggregate: 'last',
            window: '1s',
            threshold: 0.5,
          },
        ],
      },
    });
    const sim = new Sim(policy);

    sim.run(SEC, 5 * SEC, { spotCheckChecked: 100, spotCheckMismatches: null });

    expect(sim.state.state).toBe('REPLICATING');
    expect(sim.last?.verdict.criteria[0]?.status).toBe('nodata');
  });

  it('detects the cutover when writes move from legacy to target, if autoCutover is on', () => {
    const sim = new Sim(testPolicy({ autoCutover: true }));
    sim.run(SEC, 11 * SEC, HEALTHY_REPLICATION);

    const moved = { ...HEALTHY_REPLICATION, legacyWriteOps: 0, targetWriteOps: 9_000 };
    sim.run(12 * SEC, 13 * SEC, moved);
    expect(sim.state.state).toBe('CUTOVER_READY');
    sim.tick(14 * SEC, moved);

    expect(sim.state).toMatchObject({ state: 'SOAKING', phase: 'soak', phaseStartedAt: 14 * SEC });
    expect(sim.transitions.at(-1)).toMatchObject({ kind: 'cutover', actor: 'soakwatch' });
  });

  it('waits for a release manager when autoCutover is off', () => {
    const sim = new Sim(testPolicy());
    sim.run(SEC, 11 * SEC, HEALTHY_REPLICATION);

    sim.run(12 * SEC, 20 * SEC, { ...HEALTHY_REPLICATION, legacyWriteOps: 0, targetWriteOps: 9_000 });

    expect(sim.state.state).toBe('CUTOVER_READY');
  });
});
