import type { Criterion, Policy } from '../config/index.js';
import type { Phase } from '../metrics/index.js';
import type { Evaluation } from './criteria.js';
import type {
  CriterionEvidence,
  CriterionRun,
  JudgeSample,
  SoakEvent,
  SoakState,
  Transition,
} from './types.js';

/**
 * How a tenant becomes ready for cutover, and what takes readiness away: the one part of the judge that
 * differs between the modes (online.ts: the replication criteria hold for `readyAfter` of watched time;
 * offline.ts: one clean full compare of every key). The state machine (machine.ts) asks these at the
 * points where the modes differ; everything else is common.
 */
export interface ReadinessRules {
  /** REPLICATING, a sample without a fatal breach: runs the readiness proof, and moves to CUTOVER_READY when it holds. */
  replicating(s: SoakState, sample: JudgeSample, look: Look, ctx: Ctx, watched: boolean): void;
  /** CUTOVER_READY: what in this sample revokes readiness (a firing critical criterion, a spot-check mismatch…). */
  revocation(sample: JudgeSample, look: Look): { reason: string; criterion: string } | undefined;
  /** Whether an event (not an alarm) at `at` is older than what readiness rests on, so it cannot revoke it. */
  predatesProof(s: SoakState, at: number): boolean;
  /** Something at `at` put the data in doubt (a reset event, a revocation): a proof from before no longer stands. */
  doubt(s: SoakState, at: number, reason: string): void;
  /** A `FullCompare` event. */
  fullCompare(s: SoakState, ev: SoakEvent, ctx: Ctx): void;
  /** Evidence of the replication phase's verdict besides the sampled criteria. */
  evidence(s: SoakState): CriterionEvidence[];
  /** Watched time readiness needs; `null` when it is not a matter of time (what is left is a proof). */
  requiredMs(policy: Policy): number | null;
}

/** One call of the judge: the policy, what its criteria read, the mode's readiness rules, the transitions made. */
export interface Ctx {
  policy: Policy;
  /** Metric keys each phase's criteria read, with the largest window reading each. */
  tracked: Record<Phase, Map<string, number>>;
  readiness: ReadinessRules;
  transitions: Transition[];
}

/** A criterion as one sample left it. */
export interface Judged {
  c: Criterion;
  e: Evaluation;
}

/** The current phase's criteria at one sample. */
export interface Look {
  evals: (Judged & { run: CriterionRun })[];
  fatal: Judged[];
  /** Critical criteria that started firing at this sample. */
  rising: Judged[];
  firingCritical: Judged[];
  /** A critical or fatal criterion in breach now, tolerated or not. */
  openBreach: boolean;
  nodata: Criterion[];
}
