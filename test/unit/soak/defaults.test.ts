import { describe, expect, it } from 'vitest';
import { policySchema } from '../../../src/config/schema.js';
import type { DerivedMetrics } from '../../../src/metrics/index.js';
import { Sim } from './fixtures.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

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

describe('judgeSoak with the default policy and one sample a minute', () => {
  it('is ready an hour after replication is clean and passes 72 h after the cutover', () => {
    const sim = new Sim(policySchema.parse({}));

    sim.run(MIN, 60 * MIN, (at) => ({ ...replicating, cdcLagMs: 500 + ((at / MIN) % 7) * 100 }), MIN);
    expect(sim.state.state).toBe('REPLICATING');
    sim.tick(61 * MIN, replicating);
    expect(sim.state.state).toBe('CUTOVER_READY');

    sim.act(62 * MIN, { type: 'cutover', actor: 'release-manager', reason: 'tenant window' });
    sim.run(
      63 * MIN,
      62 * MIN + 72 * HOUR - MIN,
      (at) => ({ ...soaking, targetMemoryPct: 50 + ((at / MIN) % 11) }),
      MIN,
    );
    expect(sim.state.state).toBe('SOAKING');
    sim.tick(62 * MIN + 72 * HOUR, soaking);

    expect(sim.state.state).toBe('PASSED');
    expect(sim.last?.verdict).toMatchObject({ coverage: 1, inconclusive: false, elapsedMs: 72 * HOUR });
  });

  it('keeps the state small however long the soak runs', () => {
    const sim = new Sim(policySchema.parse({}));
    sim.run(MIN, 61 * MIN, replicating, MIN);
    sim.act(62 * MIN, { type: 'cutover', actor: 'rm' });

    sim.run(63 * MIN, 62 * MIN + 24 * HOUR, soaking, MIN);

    expect(JSON.stringify(sim.state).length).toBeLessThan(16_000);
  });
});
