import { describe, expect, it } from 'vitest';
import { policySchema } from '../../../src/config/schema.js';
import {
  type DerivedMetrics,
  type MismatchDescriptor,
  summarizeMismatches,
} from '../../../src/metrics/index.js';
import { applyAction } from '../../../src/soak/index.js';
import { sessionKeyMissing } from '../../support/mismatches.js';
import { Sim } from './fixtures.js';

const MIN = 60_000;

const sample = (mismatches: number): DerivedMetrics => ({
  persistentKeyDriftRatio: 0,
  cdcLagMs: 800,
  spotCheckChecked: 100,
  spotCheckMismatches: mismatches,
  streamRestarts: 0,
  samplerFailures: 0,
});
const lost = (k: number, over: Partial<MismatchDescriptor> = {}) =>
  summarizeMismatches(Array.from({ length: k }, () => sessionKeyMissing(over)));
const spotCheckOf = (sim: Sim) => sim.last?.verdict.criteria.find((c) => c.id === 'spot-check');

describe('the mismatch summary of the spot-check criterion', () => {
  it("adds up the samples of the criterion's window, and forgets them once they left it", () => {
    const sim = new Sim(policySchema.parse({}));
    for (let m = 1; m <= 40; m++) {
      const k = m === 5 ? 3 : m === 7 ? 2 : m === 8 ? 1 : 0;
      const mismatches =
        m === 5 || m === 7 ? lost(k) : m === 8 ? lost(1, { db: 0, pattern: 'cart:*' }) : undefined;
      sim.tick(m * MIN, sample(k), { since: (m - 1) * MIN, ...(mismatches ? { mismatches } : {}) });
      if (m === 8) {
        const spot = spotCheckOf(sim);
        expect(spot?.firing).toBe(true);
        expect(spot?.value).toBe(6);
        expect(spot?.mismatches?.total).toBe(6);
        expect(spot?.mismatches?.finding).toMatchObject({
          kind: 'concentrated',
          pattern: { db: 2, count: 5 },
        });
        expect(spot?.mismatches?.hints).toEqual(['expiredInFlight']);
        // Only the spot-check criterion carries it.
        expect(sim.last?.verdict.criteria.filter((c) => c.mismatches).map((c) => c.id)).toEqual([
          'spot-check',
        ]);
      }
      if (m === 21) expect(spotCheckOf(sim)).toMatchObject({ value: 3, mismatches: { total: 3 } });
      if (m === 22) expect(spotCheckOf(sim)).toMatchObject({ value: 1, mismatches: { total: 1 } });
    }
    // 15 minutes after the last one, none is left: neither in the evidence nor in the state.
    expect(spotCheckOf(sim)?.value).toBe(0);
    expect(spotCheckOf(sim)?.mismatches).toBeUndefined();
    expect(sim.state.mismatchWindow).toBeUndefined();
  });

  it('stays bounded in the state however many samples carry mismatches', () => {
    const sim = new Sim(policySchema.parse({}));
    for (let m = 1; m <= 120; m++)
      sim.tick(m * MIN, sample(2), { since: (m - 1) * MIN, mismatches: lost(2, { pattern: `p${m}:*` }) });
    expect(sim.state.mismatchWindow?.b.length).toBeLessThanOrEqual(11);
    expect(JSON.stringify(sim.state.mismatchWindow).length).toBeLessThan(20_000);
    const spot = spotCheckOf(sim);
    // The window's 15 samples (to within one bucket of 1.5 min): 30 mismatches, or 32 with the bucket's edge.
    expect(spot?.mismatches?.total).toBeGreaterThanOrEqual(30);
    expect(spot?.mismatches?.total).toBeLessThanOrEqual(32);
    expect(spot?.mismatches?.finding).toMatchObject({ kind: 'concentrated', db: { db: 2 } });
  });

  it('forgets them when replication restarts', () => {
    const policy = policySchema.parse({});
    const sim = new Sim(policy);
    sim.tick(MIN, sample(3), { since: 0, mismatches: lost(3) });
    expect(sim.state.mismatchWindow?.b).toHaveLength(1);
    const aborted = applyAction(
      sim.state,
      { type: 'abort', actor: 'alice', reason: 'test' },
      policy,
      2 * MIN,
    );
    if (!aborted.ok) throw new Error(aborted.reason);
    const restarted = applyAction(aborted.state, { type: 'restart', actor: 'alice' }, policy, 3 * MIN);
    if (!restarted.ok) throw new Error(restarted.reason);
    expect(restarted.state.mismatchWindow).toBeUndefined();
  });
});
