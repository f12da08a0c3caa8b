import type { Policy } from '../config/index.js';
import { ALARM_EVIDENCE_PREFIX, ALARM_METRIC } from '../metrics/index.js';
import { clockCoverage } from './clock.js';
import { criterionKey, evaluateCriterion, phaseCriteria } from './criteria.js';
import { describeFullCompare, isClean } from './fullCompare.js';
import { MISMATCH_METRIC, mismatchesWithin } from './mismatches.js';
import { readinessRules } from './modes.js';
import { wilsonUpper } from './stats.js';
import { TERMINAL } from './step.js';
import type { CriterionEvidence, SoakState, Verdict } from './types.js';

/**
 * The verdict of a tenant at `now` without new input: state, clock, coverage and per-criterion
 * evidence. Windows end at the last sample while it is fresh (within one sample interval), then at
 * `now - sampleInterval`, so a sampler gone blind turns its criteria to `nodata`.
 */
export function verdictOf(state: SoakState, policy: Policy, now: number): Verdict {
  const interval = policy.sampleInterval;
  const at = state.lastSampleAt === null ? now : Math.max(state.lastSampleAt, now - interval);
  const criteria: CriterionEvidence[] = phaseCriteria(policy, state.phase).map((c) => {
    const e = evaluateCriterion(c, state.series[criterionKey(c)], at, state.phaseStartedAt, policy);
    const run = state.criteria[c.id];
    const evidence: CriterionEvidence = {
      id: c.id,
      metric: c.metric,
      severity: c.severity,
      status: e.status,
      value: e.value,
      worst: e.worst,
      threshold: c.threshold,
      op: c.op,
      aggregate: c.aggregate,
      breachCount: run?.breachCount ?? 0,
      consecutiveBreaches: run?.consecutive ?? 0,
      firing: run?.firing ?? false,
      firingSince: run?.firingSince ?? null,
      lastBreachAt: run?.lastBreachAt ?? null,
    };
    if (c.scope) evidence.scope = c.scope;
    if (e.cause !== undefined) evidence.cause = e.cause;
    if (e.detail !== undefined) evidence.detail = e.detail;
    if (c.metric === MISMATCH_METRIC) {
      const mismatches = mismatchesWithin(state.mismatchWindow, at, c.window);
      if (mismatches) evidence.mismatches = mismatches;
    }
    if (e.inapplicable) evidence.inapplicable = true;
    return evidence;
  });
  // Sampled criteria only: a full compare not run yet is a step still to take, not a blind sampler.
  const sampled = criteria.slice();
  // A metric that does not apply now (legacy not fenced) is shown, but it is not missing evidence.
  const sampledNodata = sampled.some((c) => c.status === 'nodata' && !c.inapplicable);
  const readiness = readinessRules(policy.mode);
  // The mode's own evidence (offline: the full compare, shown and alerted on like a criterion).
  if (state.phase === 'replication') criteria.push(...readiness.evidence(state));
  const firing = criteria.filter((c) => c.firing);
  for (const [name, since] of Object.entries(state.openAlarms)) firing.push(alarmEvidence(name, since));

  const done = TERMINAL.has(state.state);
  // `null`: readiness is not a matter of time (offline: what is left is a clean full compare).
  const readinessMs = readiness.requiredMs(policy);
  const requiredMs = state.phase === 'replication' ? (readinessMs ?? 0) : policy.soak.duration;
  const elapsedMs = state.clock?.creditedMs ?? 0;
  const coverage = state.clock ? clockCoverage(state.clock, now, interval) : null;
  let remainingMs: number | null;
  switch (state.state) {
    case 'REPLICATING':
      remainingMs = readinessMs === null ? null : Math.max(0, requiredMs - elapsedMs);
      break;
    case 'SOAKING':
      remainingMs = Math.max(0, requiredMs - elapsedMs);
      break;
    case 'CUTOVER_READY':
    case 'PASSED':
    case 'SCALE_DOWN_APPROVED':
      remainingMs = 0;
      break;
    default:
      remainingMs = null;
  }
  const lowCoverage =
    state.clock !== null && requiredMs > 0 && (coverage === null || coverage < policy.minCoverage);
  const inconclusive = !done && (lowCoverage || sampledNodata);
  const inconclusiveReasons: string[] = [];
  if (inconclusive) {
    if (lowCoverage) inconclusiveReasons.push(coverageReason(coverage, policy.minCoverage));
    for (const c of sampled)
      if (c.status === 'nodata' && !c.inapplicable)
        inconclusiveReasons.push(`${c.id}: ${c.cause ?? 'no data'}`);
  }
  const { checked, mismatches } = state.spotCheck;
  const fc = state.fullCompare;
  return {
    tenant: state.tenant,
    state: state.state,
    phase: done ? 'done' : state.phase,
    inconclusive,
    inconclusiveReasons,
    coverage,
    elapsedMs,
    remainingMs,
    requiredMs,
    criteria,
    firing,
    resets: state.resets.map((r) => ({ ...r })),
    lastSampleAt: state.lastSampleAt,
    spotCheck: { checked, mismatches, upperBound: wilsonUpper(mismatches, checked) },
    ...(fc
      ? {
          fullCompare: {
            ...fc.last,
            byClass: { ...fc.last.byClass },
            clean: isClean(fc.last),
            ...(fc.voided ? { voided: { ...fc.voided } } : {}),
            summary: `${describeFullCompare(fc.last)}${fc.voided ? `; voided: ${fc.voided.reason}` : ''}`,
          },
        }
      : {}),
  };
}

/** `coverage 80.0 % below the 95 % floor` (or why there is no coverage yet). */
function coverageReason(coverage: number | null, minCoverage: number): string {
  const floor = `${Number((minCoverage * 100).toFixed(1))} %`;
  if (coverage === null) return `no watched time yet on the running clock (floor ${floor})`;
  return `coverage ${(coverage * 100).toFixed(1)} % below the ${floor} floor`;
}

function alarmEvidence(name: string, since: number): CriterionEvidence {
  return {
    id: `${ALARM_EVIDENCE_PREFIX}${name}`,
    metric: ALARM_METRIC,
    severity: 'critical',
    status: 'breach',
    value: null,
    worst: null,
    threshold: 0,
    op: '>',
    aggregate: 'last',
    breachCount: 1,
    consecutiveBreaches: 1,
    firing: true,
    firingSince: since,
    lastBreachAt: since,
    detail: `in ALARM since ${new Date(since).toISOString()}`,
  };
}
