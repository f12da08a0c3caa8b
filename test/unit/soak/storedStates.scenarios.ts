import type { z } from 'zod';
import type { Policy, policySchema } from '../../../src/config/index.js';
import type { DerivedMetrics } from '../../../src/metrics/index.js';
import {
  type Action,
  applyAction,
  initialSoakState,
  judgeSoak,
  type SoakEvent,
  type SoakState,
  type Transition,
  type Verdict,
} from '../../../src/soak/index.js';
import { HEALTHY_REPLICATION, HEALTHY_SOAK, SEC, testPolicy } from './fixtures.js';

// Migrations driven through the judge in two halves: `before` builds the state a store would hold,
// `after` continues from it. storedStates.pre-i8.json holds, for each, the state JSON after `before`
// and what the judge of commit a263492 (before issue 8) answered to every step of `after`: states
// stored then must still load and judge the same.

export type Step =
  | { at: number; sample: DerivedMetrics; events?: SoakEvent[]; since?: number | null }
  | { at: number; events: SoakEvent[] }
  | { at: number; action: Action };

export interface Scenario {
  name: string;
  policy: Policy;
  before: Step[];
  after: Step[];
}

/** What the judge answered to one step. */
export interface StepOutcome {
  ok: boolean;
  reason?: string;
  transitions: Transition[];
  verdict?: Pick<
    Verdict,
    'state' | 'phase' | 'inconclusive' | 'coverage' | 'elapsedMs' | 'remainingMs' | 'requiredMs'
  > & { firing: string[] };
}

export interface Recorded {
  name: string;
  stored: SoakState;
  outcomes: StepOutcome[];
  final: { state: SoakState; verdict: Verdict };
}

type PolicyInput = z.input<typeof policySchema>;
const policy = (over: Partial<PolicyInput> = {}) =>
  testPolicy({ maxResets: 5, events: { resetOn: ['ElastiCache:FailoverComplete'] }, ...over });

const samples = (from: number, to: number, d: DerivedMetrics | ((at: number) => DerivedMetrics)): Step[] => {
  const out: Step[] = [];
  for (let at = from; at <= to; at += SEC) out.push({ at, sample: typeof d === 'function' ? d(at) : d });
  return out;
};

// An alarm event as src/events wrote it before events carried alarmName/alarmState.
const oldAlarm = (at: number, state: 'ALARM' | 'OK', name: string, id: string): SoakEvent => ({
  at,
  id,
  type: state === 'ALARM' ? 'CloudWatchAlarm' : 'CloudWatchAlarmOK',
  source: 'cloudwatch',
  detail: `${name} ${state}: threshold ${state === 'ALARM' ? 'crossed' : 'no longer crossed'}`,
});
const failover = (at: number, id: string, sourceId = 'acme-0001-001'): SoakEvent => ({
  at,
  id,
  type: 'ElastiCache:FailoverComplete',
  source: 'elasticache',
  detail: sourceId,
  sourceId,
});
const compare = (at: number, mismatches = 0): SoakEvent => ({
  at,
  type: 'FullCompare',
  source: 'manual',
  id: `full-compare:${at}`,
  detail: `1000 keys compared, ${mismatches} mismatches (by alice)`,
  actor: 'alice',
  checked: 1_000,
  mismatches,
  unverified: 0,
  byClass: mismatches > 0 ? { value: mismatches } : {},
});
const SPOT = { ...HEALTHY_REPLICATION, spotCheckChecked: 20, spotCheckMismatches: 0 };

export const SCENARIOS: Scenario[] = [
  {
    name: 'online: stored CUTOVER_READY, then an old alarm, the cutover, resets, an incident, the pass',
    policy: policy(),
    before: samples(SEC, 11 * SEC, HEALTHY_REPLICATION),
    after: [
      { at: 11.5 * SEC, events: [oldAlarm(11.5 * SEC, 'ALARM', 'soakwatch-acme-cpu', 'a1')] },
      ...samples(12 * SEC, 13 * SEC, HEALTHY_REPLICATION),
      { at: 13.5 * SEC, events: [oldAlarm(13.5 * SEC, 'OK', 'soakwatch-acme-cpu', 'a2')] },
      ...samples(14 * SEC, 24 * SEC, HEALTHY_REPLICATION),
      { at: 25 * SEC, action: { type: 'cutover', actor: 'rm', reason: 'window 42' } },
      ...samples(26 * SEC, 30 * SEC, HEALTHY_SOAK),
      { at: 31 * SEC, sample: { ...HEALTHY_SOAK, targetEvictions: 3 } },
      ...samples(32 * SEC, 35 * SEC, HEALTHY_SOAK),
      { at: 36 * SEC, sample: HEALTHY_SOAK, events: [failover(35.5 * SEC, 'sns-1')] },
      { at: 37 * SEC, sample: HEALTHY_SOAK, events: [failover(35.6 * SEC, 'describe-1')] },
      ...samples(38 * SEC, 75 * SEC, HEALTHY_SOAK),
      { at: 76 * SEC, action: { type: 'approve', actor: 'rm' } },
      ...samples(77 * SEC, 78 * SEC, HEALTHY_SOAK),
      { at: 79 * SEC, action: { type: 'scaled-down', actor: 'ops', reason: 'legacy gone' } },
    ],
  },
  {
    name: 'online: stored SOAKING with an open alarm, an incident and a reset, then a fatal breach and a restart',
    policy: policy(),
    before: [
      ...samples(SEC, 11 * SEC, HEALTHY_REPLICATION),
      { at: 12 * SEC, action: { type: 'cutover', actor: 'rm', reason: 'window' } },
      ...samples(13 * SEC, 15 * SEC, HEALTHY_SOAK),
      { at: 16 * SEC, sample: HEALTHY_SOAK, events: [failover(15.5 * SEC, 'f1')] },
      {
        at: 17 * SEC,
        sample: HEALTHY_SOAK,
        events: [oldAlarm(16.5 * SEC, 'ALARM', 'soakwatch-acme-mem', 'm1')],
      },
      ...samples(18 * SEC, 20 * SEC, HEALTHY_SOAK),
    ],
    after: [
      { at: 21 * SEC, sample: HEALTHY_SOAK, events: [failover(20.5 * SEC, 'f2')] },
      {
        at: 22 * SEC,
        sample: HEALTHY_SOAK,
        events: [oldAlarm(21.5 * SEC, 'OK', 'soakwatch-acme-mem', 'm2')],
      },
      ...samples(23 * SEC, 26 * SEC, HEALTHY_SOAK),
      { at: 27 * SEC, sample: { ...HEALTHY_SOAK, targetMemoryPct: 99.5 } },
      { at: 28 * SEC, action: { type: 'restart', actor: 'rm', reason: 'fixed maxmemory' } },
      ...samples(29 * SEC, 33 * SEC, HEALTHY_REPLICATION),
      { at: 34 * SEC, action: { type: 'cutover', actor: 'rm', reason: 'hotfix 7', force: true } },
      ...samples(35 * SEC, 37 * SEC, HEALTHY_SOAK),
      { at: 38 * SEC, action: { type: 'abort', actor: 'rm', reason: 'rollback' } },
    ],
  },
  {
    name: 'online: stored REPLICATING with a paused readiness clock, then auto cutover and auto approve',
    policy: policy({ autoCutover: true, autoApprove: true }),
    before: [
      ...samples(SEC, 4 * SEC, HEALTHY_REPLICATION),
      { at: 5 * SEC, sample: { keyDrift: 0, legacyWriteOps: 5_000, targetWriteOps: 5_000 } },
      ...samples(6 * SEC, 8 * SEC, HEALTHY_REPLICATION),
    ],
    after: [
      { at: 9 * SEC, sample: HEALTHY_REPLICATION, since: 8 * SEC },
      ...samples(10 * SEC, 20 * SEC, HEALTHY_REPLICATION),
      ...samples(21 * SEC, 23 * SEC, { ...HEALTHY_REPLICATION, legacyWriteOps: 100 }),
      ...samples(24 * SEC, 60 * SEC, HEALTHY_SOAK),
    ],
  },
  {
    name: 'offline: stored CUTOVER_READY on a clean compare, then a spot-check mismatch, a dirty and a clean compare',
    policy: policy({ mode: 'offline' }),
    before: [
      ...samples(SEC, 3 * SEC, SPOT),
      { at: 4 * SEC, sample: SPOT, events: [compare(3.5 * SEC)] },
      ...samples(5 * SEC, 6 * SEC, SPOT),
    ],
    after: [
      { at: 7 * SEC, sample: { ...SPOT, spotCheckMismatches: 2 } },
      ...samples(8 * SEC, 9 * SEC, SPOT),
      { at: 10 * SEC, sample: SPOT, events: [compare(9.5 * SEC, 4)] },
      { at: 11 * SEC, sample: SPOT, events: [failover(10.5 * SEC, 'f1')] },
      { at: 12 * SEC, sample: SPOT, events: [compare(11.5 * SEC)] },
      { at: 13 * SEC, sample: SPOT, events: [oldAlarm(12.5 * SEC, 'ALARM', 'soakwatch-acme-cpu', 'c1')] },
      { at: 14 * SEC, sample: SPOT, events: [compare(13.5 * SEC)] },
      { at: 15 * SEC, sample: SPOT, events: [oldAlarm(14.5 * SEC, 'OK', 'soakwatch-acme-cpu', 'c2')] },
      ...samples(16 * SEC, 17 * SEC, SPOT),
      { at: 18 * SEC, action: { type: 'cutover', actor: 'rm', reason: 'offline window' } },
      ...samples(19 * SEC, 22 * SEC, HEALTHY_SOAK),
    ],
  },
];

/** Runs `steps` from `state`, recording what the judge answered to each. */
export function runSteps(
  state: SoakState,
  steps: readonly Step[],
  policy: Policy,
): { state: SoakState; outcomes: StepOutcome[] } {
  const outcomes: StepOutcome[] = [];
  let s = state;
  for (const step of steps) {
    if ('action' in step) {
      const r = applyAction(s, step.action, policy, step.at);
      if (!r.ok) {
        outcomes.push({ ok: false, reason: r.reason, transitions: [] });
        continue;
      }
      s = r.state;
      outcomes.push({ ok: true, transitions: [r.transition] });
      continue;
    }
    const samples =
      'sample' in step
        ? [
            {
              at: step.at,
              derived: step.sample,
              complete: true,
              ...(step.since !== undefined ? { since: step.since } : {}),
            },
          ]
        : [];
    const r = judgeSoak(s, { now: step.at, samples, events: step.events ?? [] }, policy);
    s = r.state;
    const v = r.verdict;
    outcomes.push({
      ok: true,
      transitions: r.transitions,
      verdict: {
        state: v.state,
        phase: v.phase,
        inconclusive: v.inconclusive,
        coverage: v.coverage,
        elapsedMs: v.elapsedMs,
        remainingMs: v.remainingMs,
        requiredMs: v.requiredMs,
        firing: v.firing.map((f) => f.id),
      },
    });
  }
  return { state: s, outcomes };
}

/** The state a store holds after `before`, as JSON text gives it back. */
export function storedAfterBefore(scenario: Scenario): SoakState {
  const start = initialSoakState('acme', scenario.policy, 0);
  const { state } = runSteps(start, scenario.before, scenario.policy);
  return JSON.parse(JSON.stringify(state)) as SoakState;
}

export { SEC };
