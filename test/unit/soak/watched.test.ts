import { describe, expect, it } from 'vitest';
import { HEALTHY_SOAK, SEC, Sim, testPolicy } from './fixtures.js';

const CUT = 12 * SEC;

describe('judgeSoak: only watched time is soak time', () => {
  it('credits no soak time for samples that lack a metric the soak criteria read', () => {
    const sim = new Sim(testPolicy({ minCoverage: 0.5 }));
    sim.readyAndCutover(CUT);
    sim.run(CUT + SEC, CUT + 10 * SEC, HEALTHY_SOAK);
    const watched = sim.last?.verdict.elapsedMs;

    // Legacy unreadable for 20 s: its metrics are no data, the target's are fine.
    const blind = { ...HEALTHY_SOAK, legacyWriteOps: null };
    for (let at = CUT + 11 * SEC; at <= CUT + 30 * SEC; at += SEC) sim.tick(at, blind, { complete: false });

    expect(sim.state.state).toBe('SOAKING');
    expect(sim.last?.verdict.elapsedMs).toBe(watched);
    expect(sim.last?.verdict.inconclusive).toBe(true);
  });

  it('does not pass on a blind stretch once the sampler sees again', () => {
    const sim = new Sim(testPolicy({ minCoverage: 0.5 }));
    sim.readyAndCutover(CUT);
    sim.run(CUT + SEC, CUT + 5 * SEC, HEALTHY_SOAK);
    for (let at = CUT + 6 * SEC; at <= CUT + 40 * SEC; at += SEC)
      sim.tick(at, { ...HEALTHY_SOAK, legacyWriteOps: null }, { complete: false });

    // Three clean samples make the 3 s windows whole again: not enough watched time to pass a 30 s soak.
    sim.run(CUT + 41 * SEC, CUT + 43 * SEC, HEALTHY_SOAK);

    expect(sim.state.state).toBe('SOAKING');
    expect(sim.last?.verdict.elapsedMs).toBeLessThan(10 * SEC);
  });
});
