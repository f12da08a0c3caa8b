import { describe, expect, it } from 'vitest';
import { DEFAULT_SOAK_CRITERIA, policySchema } from '../../../src/config/schema.js';
import { HEALTHY_SOAK, SEC, Sim, SOAK_CRITERIA, testPolicy } from './fixtures.js';

const CUT = 12 * SEC;
const REFUSED = {
  id: 'legacy-refused-writes',
  metric: 'legacyRefusedWrites',
  aggregate: 'sum',
  window: '3s',
  threshold: 0,
} as const;
const policy = () => testPolicy({ soak: { duration: '30s', criteria: [...(SOAK_CRITERIA ?? []), REFUSED] } });

describe('judgeSoak: refused writes on a fenced legacy', () => {
  it('is in the default soak policy: sum over 5m > 0, critical', () => {
    const c = policySchema.parse({}).soak.criteria.find((x) => x.id === 'legacy-refused-writes');
    expect(c).toMatchObject({
      metric: 'legacyRefusedWrites',
      aggregate: 'sum',
      window: 300_000,
      threshold: 0,
      severity: 'critical',
    });
    expect(DEFAULT_SOAK_CRITERIA.some((x) => x.metric === 'legacyRefusedWrites')).toBe(true);
  });

  it('never fenced (the metric absent from every sample): nodata "legacy not fenced", and the soak passes', () => {
    const sim = new Sim(policy());
    sim.readyAndCutover(CUT);
    sim.run(CUT + SEC, CUT + 40 * SEC, HEALTHY_SOAK);

    expect(sim.state.state).toBe('PASSED');
    const c = sim.last?.verdict.criteria.find((x) => x.id === 'legacy-refused-writes');
    expect(c).toMatchObject({ status: 'nodata', cause: 'legacy not fenced', inapplicable: true });
    expect(sim.last?.verdict.inconclusive).toBe(false);
  });

  it('fenced and clean: ok, and the soak passes', () => {
    const sim = new Sim(policy());
    sim.readyAndCutover(CUT);
    sim.run(CUT + SEC, CUT + 40 * SEC, { ...HEALTHY_SOAK, legacyRefusedWrites: 0 });

    expect(sim.state.state).toBe('PASSED');
    expect(sim.last?.verdict.criteria.find((x) => x.id === 'legacy-refused-writes')?.status).toBe('ok');
  });

  it('fenced and a write refused: a breach that resets the soak clock, naming the writer', () => {
    const sim = new Sim(policy());
    sim.readyAndCutover(CUT);
    sim.run(CUT + SEC, CUT + 20 * SEC, { ...HEALTHY_SOAK, legacyRefusedWrites: 0 });
    const r = sim.tick(
      CUT + 21 * SEC,
      { ...HEALTHY_SOAK, legacyRefusedWrites: 3 },
      { notes: { legacyRefusedWrites: '3 refused: billing SET ×3' } },
    );

    const c = r.verdict.criteria.find((x) => x.id === 'legacy-refused-writes');
    expect(c).toMatchObject({
      status: 'breach',
      value: 3,
      firing: true,
      detail: '3 refused: billing SET ×3',
    });
    expect(sim.state.resets.at(-1)?.criterion).toBe('legacy-refused-writes');
    // Writes still refused: the soak never passes on them.
    sim.run(CUT + 22 * SEC, CUT + 80 * SEC, { ...HEALTHY_SOAK, legacyRefusedWrites: 1 });
    expect(sim.state.state).not.toBe('PASSED');
  });

  it('fenced but the ACL LOG unread (null): plain nodata that blocks the pass and credits no soak time', () => {
    const sim = new Sim(policy());
    sim.readyAndCutover(CUT);
    sim.run(CUT + SEC, CUT + 40 * SEC, { ...HEALTHY_SOAK, legacyRefusedWrites: null });

    expect(sim.state.state).toBe('SOAKING');
    const c = sim.last?.verdict.criteria.find((x) => x.id === 'legacy-refused-writes');
    expect(c?.status).toBe('nodata');
    expect(c?.inapplicable).toBeUndefined();
    expect(sim.last?.verdict.inconclusive).toBe(true);
  });

  it('a sampler gone blind is still blind: a stale inapplicable window is plain nodata', () => {
    const sim = new Sim(policy());
    sim.readyAndCutover(CUT);
    sim.run(CUT + SEC, CUT + 10 * SEC, HEALTHY_SOAK);
    // No sample for a minute: the verdict at now - interval finds no latest sample in the window.
    const v = sim.events(CUT + 70 * SEC, []).verdict;
    const c = v.criteria.find((x) => x.id === 'legacy-refused-writes');
    expect(c?.status).toBe('nodata');
    expect(c?.inapplicable).toBeUndefined();
  });
});
