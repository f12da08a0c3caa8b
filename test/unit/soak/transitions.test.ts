import { describe, expect, it } from 'vitest';
import { MILESTONE_TRIGGERS } from '../../../src/config/index.js';
import {
  ACTIONS,
  applyAction,
  initialSoakState,
  type Milestone,
  TRANSITIONS,
  type Transition,
} from '../../../src/soak/index.js';
import { HEALTHY_SOAK, SEC, Sim, testPolicy } from './fixtures.js';
import { runSteps, SCENARIOS } from './storedStates.scenarios.js';

/** The milestone of a transition read from the states it joins (how src/alerts derived it before the table). */
function milestoneOfStates(t: Transition): Milestone | undefined {
  if (t.from === t.to) return t.kind === 'reset' ? 'soak-reset' : undefined;
  switch (t.to) {
    case 'CUTOVER_READY':
      return 'ready-for-cutover';
    case 'REPLICATING':
      return t.from === 'CUTOVER_READY' ? 'readiness-revoked' : 'restarted';
    case 'SOAKING':
      return t.from === 'REPLICATING' || t.from === 'CUTOVER_READY' ? 'cutover' : 'soak-reset';
    case 'PASSED':
      return 'passed';
    case 'FAILED':
      return 'failed';
    case 'SCALE_DOWN_APPROVED':
      return 'approved';
    case 'SCALED_DOWN':
      return 'scaled-down';
    case 'ABORTED':
      return 'aborted';
    default:
      return undefined;
  }
}

/** Every transition of the stored-state migrations, and a pass revoked by a breach. */
function judgedTransitions(): Transition[] {
  const out: Transition[] = [];
  for (const sc of SCENARIOS)
    out.push(
      ...runSteps(
        initialSoakState('acme', sc.policy, 0),
        [...sc.before, ...sc.after],
        sc.policy,
      ).outcomes.flatMap((o) => o.transitions),
    );
  const sim = new Sim(testPolicy({ autoApprove: true }));
  sim.readyAndCutover(12 * SEC);
  sim.run(13 * SEC, 42 * SEC, HEALTHY_SOAK);
  sim.tick(43 * SEC, { ...HEALTHY_SOAK, targetEvictions: 2 });
  out.push(...sim.transitions);
  return out;
}

describe('TRANSITIONS', () => {
  it('gives every transition the judge makes the milestone of the states it joins', () => {
    const transitions = judgedTransitions();

    for (const t of transitions)
      expect(TRANSITIONS[t.kind].milestone, `${t.kind} ${t.from} → ${t.to}`).toBe(milestoneOfStates(t));
    expect(new Set(transitions.map((t) => t.kind))).toEqual(new Set(Object.keys(TRANSITIONS)));
  });

  it('fires each milestone hook trigger from some kind of transition', () => {
    const triggers = Object.values(TRANSITIONS).flatMap((m) => ('trigger' in m ? [m.trigger] : []));

    expect(new Set(triggers)).toEqual(new Set(MILESTONE_TRIGGERS));
  });

  it('names the kind of transition each release-manager action makes', () => {
    const policy = testPolicy();
    const kindOf = (type: (typeof ACTIONS)[number]) =>
      Object.entries(TRANSITIONS)
        .filter(([, m]) => 'action' in m && m.action === type)
        .map(([kind]) => kind);
    const sim = new Sim(policy);
    sim.readyAndCutover(12 * SEC);
    const made = {
      cutover: sim.transitions.at(-1)?.kind,
      abort: sim.act(13 * SEC, { type: 'abort', actor: 'rm' }).kind,
      restart: sim.act(14 * SEC, { type: 'restart', actor: 'rm' }).kind,
    };
    const soak = new Sim(testPolicy({ autoApprove: false }));
    soak.readyAndCutover(12 * SEC);
    soak.run(13 * SEC, 42 * SEC, HEALTHY_SOAK);
    const approve = applyAction(soak.state, { type: 'approve', actor: 'rm' }, policy, 43 * SEC);
    if (!approve.ok) throw new Error(approve.reason);
    const scaled = applyAction(approve.state, { type: 'scaled-down', actor: 'rm' }, policy, 44 * SEC);
    if (!scaled.ok) throw new Error(scaled.reason);
    const all = { ...made, approve: approve.transition.kind, 'scaled-down': scaled.transition.kind };

    for (const type of ACTIONS) expect(kindOf(type), type).toEqual([all[type]]);
  });
});
