import { describe, expect, it } from 'vitest';
import { HEALTHY_REPLICATION, SEC, Sim, testPolicy } from './fixtures.js';

// Once the applications write to the target it diverges from legacy by design: drift and spot-check
// mismatches are then the cutover itself, not a replication fault.
describe('judgeSoak: automatic cutover', () => {
  it('detects the cutover although the moved writes make the target diverge from legacy', () => {
    const sim = new Sim(testPolicy({ autoCutover: true }));
    sim.run(SEC, 11 * SEC, HEALTHY_REPLICATION);
    expect(sim.state.state).toBe('CUTOVER_READY');

    sim.run(12 * SEC, 14 * SEC, (at) => ({
      ...HEALTHY_REPLICATION,
      legacyWriteOps: 0,
      targetWriteOps: 9_000,
      keyDrift: (at / SEC - 11) * 20,
    }));

    expect(sim.kinds()).toEqual(['ready', 'cutover']);
    expect(sim.state).toMatchObject({ state: 'SOAKING', phaseStartedAt: 14 * SEC });
  });

  it('still revokes readiness on drift while the applications write to legacy', () => {
    const sim = new Sim(testPolicy({ autoCutover: true }));
    sim.run(SEC, 11 * SEC, HEALTHY_REPLICATION);

    sim.tick(12 * SEC, { ...HEALTHY_REPLICATION, keyDrift: 20 });

    expect(sim.kinds()).toEqual(['ready', 'revoked']);
    expect(sim.state.resets.at(-1)).toMatchObject({ phase: 'replication', criterion: 'drift' });
  });

  it('revokes readiness when the writes come back to legacy before the cutover was detected', () => {
    const sim = new Sim(testPolicy({ autoCutover: true }));
    sim.run(SEC, 11 * SEC, HEALTHY_REPLICATION);
    const diverged = { ...HEALTHY_REPLICATION, keyDrift: 20 };

    sim.tick(12 * SEC, { ...diverged, legacyWriteOps: 0, targetWriteOps: 9_000 });
    sim.tick(13 * SEC, diverged);

    expect(sim.kinds()).toEqual(['ready', 'revoked']);
  });
});
