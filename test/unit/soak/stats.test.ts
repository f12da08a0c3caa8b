import { describe, expect, it } from 'vitest';
import { clopperPearsonUpper, wilsonUpper } from '../../../src/soak/index.js';

describe('wilsonUpper', () => {
  it('matches published Wilson 95 % upper bounds', () => {
    // Reference values: Wilson score interval, z = 1.95996 (e.g. R binom::binom.wilson).
    expect(wilsonUpper(0, 10)).toBeCloseTo(0.27753, 5);
    expect(wilsonUpper(0, 100)).toBeCloseTo(0.036993, 6);
    expect(wilsonUpper(5, 100)).toBeCloseTo(0.11175, 5);
    expect(wilsonUpper(50, 100)).toBeCloseTo(0.59617, 5);
  });

  it('proves a mismatch rate below 1 in 100k after about 400k clean checks', () => {
    expect(wilsonUpper(0, 400_000)).toBeLessThan(1e-5);
    expect(wilsonUpper(0, 300_000)).toBeGreaterThan(1e-5);
  });

  it('is null when nothing was checked or the counts are impossible', () => {
    expect(wilsonUpper(0, 0)).toBeNull();
    expect(wilsonUpper(3, 2)).toBeNull();
    expect(wilsonUpper(-1, 2)).toBeNull();
  });
});

describe('clopperPearsonUpper', () => {
  it('matches published exact 95 % upper bounds', () => {
    // Reference values: exact binomial (e.g. R binom.test(k, n)$conf.int[2]).
    expect(clopperPearsonUpper(0, 100)).toBeCloseTo(0.036217, 6);
    expect(clopperPearsonUpper(1, 10)).toBeCloseTo(0.44502, 5);
    expect(clopperPearsonUpper(5, 100)).toBeCloseTo(0.11283, 5);
    expect(clopperPearsonUpper(10, 10)).toBe(1);
  });

  it('approaches the Poisson bound for rare mismatches in many checks', () => {
    // Exact Poisson 97.5 % upper limit for 3 events is 8.7673.
    expect((clopperPearsonUpper(3, 1_000_000) ?? 0) * 1_000_000).toBeCloseTo(8.7673, 3);
  });

  it('is null when nothing was checked', () => {
    expect(clopperPearsonUpper(0, 0)).toBeNull();
  });
});
