import { describe, expect, it } from 'vitest';
import { type JudgeSample, replayPolicy, verdictOf } from '../../../src/soak/index.js';
import { HEALTHY_REPLICATION, HEALTHY_SOAK, SEC, Sim, testPolicy } from './fixtures.js';

function recorded(): JudgeSample[] {
  const out: JudgeSample[] = [];
  for (let at = SEC; at <= 11 * SEC; at += SEC)
    out.push({ at, derived: HEALTHY_REPLICATION, complete: true });
  for (let at = 13 * SEC; at <= 70 * SEC; at += SEC)
    out.push({
      at,
      derived: { ...HEALTHY_SOAK, targetMemoryPct: at === 30 * SEC ? 92 : 60 },
      complete: true,
    });
  return out;
}
const cutover = [{ at: 12 * SEC, action: { type: 'cutover' as const, actor: 'rm' } }];

describe('replayPolicy', () => {
  it('prints the verdict timeline of recorded samples, events and actions', () => {
    const r = replayPolicy(recorded(), [], cutover, testPolicy(), 'acme', 0);

    expect(r.timeline.map((t) => t.kind)).toEqual(['ready', 'cutover', 'passed']);
    expect(r.verdicts).toHaveLength(recorded().length);
    expect(r.final.state).toBe('PASSED');
  });

  it('shows how a stricter policy would have judged the same soak', () => {
    const strict = testPolicy({
      soak: {
        duration: '30s',
        criteria: [
          { id: 'memory', metric: 'targetMemoryPct', aggregate: 'max', window: '3s', threshold: 90 },
        ],
      },
    });

    const r = replayPolicy(recorded(), [], cutover, strict, 'acme', 0);

    expect(r.timeline.map((t) => t.kind)).toEqual(['ready', 'cutover', 'reset', 'passed']);
    expect(r.final.resets).toEqual([expect.objectContaining({ at: 30 * SEC, criterion: 'memory' })]);
  });

  it('reports refused actions instead of throwing', () => {
    const r = replayPolicy(
      recorded(),
      [],
      [{ at: 5 * SEC, action: { type: 'approve', actor: 'rm' } }],
      testPolicy(),
      'acme',
    );

    expect(r.refused).toEqual([
      expect.objectContaining({ at: 5 * SEC, reason: expect.stringContaining('PASSED only') }),
    ]);
  });

  it('gives the same verdicts as the live judge did', () => {
    const policy = testPolicy();
    const sim = new Sim(policy);
    for (const s of recorded()) {
      if (s.at === 13 * SEC) sim.act(12 * SEC, { type: 'cutover', actor: 'rm' });
      sim.tick(s.at, s.derived);
    }

    const r = replayPolicy(recorded(), [], cutover, policy, 'acme', 0);

    expect(r.final).toEqual(verdictOf(sim.state, policy, 70 * SEC));
    expect(r.timeline).toEqual(sim.transitions);
  });
});
