import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { policySchema } from '../../../src/config/schema.js';
import { type DerivedMetrics, isPhaseBoundDelta } from '../../../src/metrics/index.js';
import { HEALTHY_REPLICATION, HEALTHY_SOAK, REPLICATION_CRITERIA, SEC, Sim, testPolicy } from './fixtures.js';

const MIN = 60_000;
const CUT = 12 * SEC;

const replicating: DerivedMetrics = {
  persistentKeyDriftRatio: 0,
  cdcLagMs: 800,
  spotCheckChecked: 100,
  spotCheckMismatches: 0,
  streamRestarts: 0,
  samplerFailures: 0,
  legacyWriteOps: 20_000,
  targetWriteOps: 20_000,
};
const soaking: DerivedMetrics = {
  targetMemoryPct: 55,
  targetEvictions: 0,
  targetErrorRate: 0.01,
  targetReplicationLinksDown: 0,
  legacyWriteOps: 0,
  legacyAppClients: 0,
  samplerFailures: 0,
  targetWriteOps: 20_000,
  targetKeyLossRatio: 0,
};

describe('judgeSoak at phase boundaries: a delta belongs to the phase in which its interval began', () => {
  it('does not count the last writes to legacy before the cutover against the soak', () => {
    const sim = new Sim(testPolicy());
    sim.readyAndCutover(CUT);

    // The first soak sample's deltas were measured since the last replication sample (11 s).
    const first = sim.tick(CUT + SEC, { ...HEALTHY_SOAK, legacyWriteOps: 40_000 }, { since: 11 * SEC });
    sim.run(CUT + 2 * SEC, CUT + 30 * SEC, HEALTHY_SOAK);

    expect(first.verdict.criteria.find((c) => c.id === 'legacy-writes')).toMatchObject({
      status: 'nodata',
      cause: 'interval began before the cutover',
      firing: false,
    });
    expect(first.verdict.firing).toEqual([]);
    expect(sim.state.resets).toEqual([]);
    expect(sim.kinds()).toEqual(['ready', 'cutover', 'passed']);
  });

  it('raises nothing for a cutover marked a few seconds after the last legacy write (default policy)', () => {
    const sim = new Sim(policySchema.parse({}));
    for (let at = MIN; at <= 61 * MIN; at += MIN) sim.tick(at, replicating, { since: at - MIN });
    expect(sim.state.state).toBe('CUTOVER_READY');

    // The application writes to legacy until 61:50 and moves; the release manager marks the cutover at 61:55.
    sim.act(61 * MIN + 55 * SEC, { type: 'cutover', actor: 'rm', reason: 'window' });
    const results = [sim.tick(62 * MIN, { ...soaking, legacyWriteOps: 18_000 }, { since: 61 * MIN })];
    for (let at = 63 * MIN; at <= 70 * MIN; at += MIN)
      results.push(sim.tick(at, soaking, { since: at - MIN }));

    expect(results.flatMap((r) => r.verdict.firing)).toEqual([]);
    expect(sim.state.resets).toEqual([]);
    expect(sim.state.state).toBe('SOAKING');
    expect(results.at(-1)?.verdict.criteria.find((c) => c.id === 'legacy-writes')).toMatchObject({
      status: 'ok',
      value: 0,
    });
  });

  it('counts writes to legacy made after the cutover', () => {
    const sim = new Sim(testPolicy({ maxResets: 100 }));
    sim.readyAndCutover(CUT);
    sim.tick(CUT + SEC, HEALTHY_SOAK, { since: 11 * SEC });

    sim.tick(CUT + 2 * SEC, { ...HEALTHY_SOAK, legacyWriteOps: 800 }, { since: CUT + SEC });

    expect(sim.state.resets).toEqual([
      expect.objectContaining({ criterion: 'legacy-writes', at: CUT + 2 * SEC }),
    ]);
  });

  it('still judges keys lost across the cutover: no other phase would see them', () => {
    const policy = testPolicy({
      soak: {
        duration: '30s',
        criteria: [
          { id: 'data-loss', metric: 'targetKeyLossRatio', aggregate: 'sum', window: '5s', threshold: 0.01 },
        ],
      },
    });
    const sim = new Sim(policy);
    sim.readyAndCutover(CUT);

    sim.tick(CUT + SEC, { targetKeyLossRatio: 0.2 }, { since: 11 * SEC });

    expect(sim.state.resets).toEqual([expect.objectContaining({ criterion: 'data-loss' })]);
  });

  it('takes the previous judged sample as the start of the interval when a stored sample has no since', () => {
    const sim = new Sim(testPolicy());
    sim.readyAndCutover(CUT); // the last replication sample is at 11 s

    const r = sim.tick(CUT + SEC, { ...HEALTHY_SOAK, legacyWriteOps: 40_000 });

    expect(r.verdict.criteria.find((c) => c.id === 'legacy-writes')?.cause).toBe(
      'interval began before the cutover',
    );
    expect(sim.state.resets).toEqual([]);
  });

  it.each([
    ['a sample later', 15 * SEC],
    ['the next sample shares its bucket', 14.5 * SEC],
  ])('keeps the deltas of the sample that detected an automatic cutover out of the soak (%s)', (_, next) => {
    // Replication reads legacyWriteOps too (a warn), so the 14 s sample's value is in the series at the cutover.
    const sim = new Sim(
      testPolicy({
        autoCutover: true,
        replication: {
          readyAfter: '10s',
          criteria: [
            ...(REPLICATION_CRITERIA ?? []),
            {
              id: 'legacy-w',
              metric: 'legacyWriteOps',
              aggregate: 'sum',
              window: '3s',
              threshold: 1e9,
              severity: 'warn',
            },
          ],
        },
      }),
    );
    sim.run(SEC, 11 * SEC, HEALTHY_REPLICATION);
    const moved = { ...HEALTHY_REPLICATION, ...HEALTHY_SOAK, legacyWriteOps: 300, targetWriteOps: 9_000 };
    sim.run(12 * SEC, 14 * SEC, moved);
    expect(sim.state).toMatchObject({ state: 'SOAKING', phaseStartedAt: 14 * SEC });

    const r = sim.tick(next, { ...HEALTHY_SOAK, legacyWriteOps: 0 }, { since: 14 * SEC });

    // legacy-writes (sum over 3 s, threshold 0) would breach on the 300 bytes of the 14 s sample.
    expect(r.verdict.criteria.find((c) => c.id === 'legacy-writes')).toMatchObject({
      status: 'ok',
      value: 0,
    });
    expect(sim.state.resets).toEqual([]);
  });

  it('leaves the deltas measured before a restart out of the new replication phase', () => {
    const sim = new Sim(
      testPolicy({
        maxResets: 0,
        replication: {
          readyAfter: '10s',
          criteria: [
            { id: 'stream-restart', metric: 'streamRestarts', aggregate: 'sum', window: '3s', threshold: 0 },
          ],
        },
      }),
    );
    sim.run(SEC, 11 * SEC, { streamRestarts: 0 });
    sim.act(12 * SEC, { type: 'cutover', actor: 'rm' });
    sim.tick(13 * SEC, { ...HEALTHY_SOAK, targetEvictions: 1 });
    expect(sim.state.state).toBe('FAILED');
    sim.act(14 * SEC, { type: 'restart', actor: 'rm' });

    const r = sim.tick(15 * SEC, { streamRestarts: 1 }, { since: 13 * SEC });

    expect(r.verdict.criteria[0]).toMatchObject({
      status: 'nodata',
      cause: 'interval began before the phase start',
    });
    expect(sim.state.criteria['stream-restart']?.breachCount).toBe(0);
  });

  it('a sample whose interval began before the cutover never breaches a phase-bound delta criterion (property)', () => {
    const deltas = ['legacyWriteOps', 'targetErrorRate', 'targetRejectedConnections', 'targetAclDenials'];
    const policy = testPolicy({
      maxResets: 100,
      soak: {
        duration: '30s',
        criteria: deltas.map((metric) => ({
          id: metric,
          metric,
          aggregate: 'sum' as const,
          window: '5s',
          threshold: 0,
        })),
      },
    });
    fc.assert(
      fc.property(
        fc.record({
          cutAfter: fc.integer({ min: 1, max: 999 }), // ms after the last replication sample
          firstAfterCut: fc.integer({ min: 1, max: 3_000 }),
          values: fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 4, maxLength: 4 }),
        }),
        ({ cutAfter, firstAfterCut, values }) => {
          for (const m of deltas) expect(isPhaseBoundDelta(m)).toBe(true);
          const sim = new Sim(policy);
          sim.run(SEC, 11 * SEC, HEALTHY_REPLICATION);
          const cut = 11 * SEC + cutAfter;
          sim.act(cut, { type: 'cutover', actor: 'rm' });
          const derived = Object.fromEntries(deltas.map((m, i) => [m, values[i] ?? 0]));

          const r = sim.tick(cut + firstAfterCut, derived, { since: 11 * SEC });

          expect(r.verdict.criteria.filter((c) => c.status === 'breach')).toEqual([]);
          expect(sim.state.resets).toEqual([]);
          expect(Object.values(sim.state.criteria).every((run) => run.breachCount === 0)).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });
});
