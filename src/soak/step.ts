import type { Criterion, Policy } from '../config/index.js';
import { formatDuration } from '../util/duration.js';
import { clockCoverage } from './clock.js';
import type { Evaluation } from './criteria.js';
import type { Ctx } from './readiness.js';
import type { SoakState, Transition } from './types.js';
import type { SoakStateName, TransitionKind } from './vocabulary.js';

// What every step of the state machine uses, the readiness rules of each mode included: the moves between
// states and the words for them.

/** Who automatic transitions are attributed to. */
export const JUDGE_ACTOR = 'soakwatch';
export const TERMINAL: ReadonlySet<SoakStateName> = new Set(['FAILED', 'ABORTED', 'SCALED_DOWN']);

/** Moves the tenant to `to`, recording the transition. */
export function move(
  s: SoakState,
  to: SoakStateName,
  at: number,
  kind: TransitionKind,
  reason: string,
  ctx: Ctx,
  actor: string = JUDGE_ACTOR,
  extra: Pick<Transition, 'forced' | 'actorReason'> = {},
): Transition {
  const t: Transition = { at, from: s.state, to, reason, actor, kind, ...extra };
  s.state = to;
  s.enteredAt = at;
  s.lastTransition = t;
  ctx.transitions.push(t);
  return t;
}

/** CUTOVER_READY → REPLICATING: readiness revoked (recorded in `resets` with `phase: 'replication'`). */
export function revoke(
  s: SoakState,
  at: number,
  reason: string,
  extra: { criterion?: string; event?: string },
  ctx: Ctx,
): void {
  s.resets.push({ at, reason, phase: 'replication', ...extra });
  s.clock = null;
  s.autoCutoverStreak = 0;
  ctx.readiness.doubt(s, at, reason);
  move(s, 'REPLICATING', at, 'revoked', `readiness revoked: ${reason}`, ctx);
}

/** Whether the running clock's coverage reaches `minCoverage` (always, when nothing is required). */
export function coverageOk(s: SoakState, at: number, policy: Policy, required: number): boolean {
  if (!s.clock) return false;
  if (required === 0) return true;
  const coverage = clockCoverage(s.clock, at, policy.sampleInterval);
  return coverage !== null && coverage >= policy.minCoverage;
}

/** The running clock's coverage in words: `97.3%`, `n/a`. */
export function pct(s: SoakState, at: number, policy: Policy): string {
  const coverage = s.clock ? clockCoverage(s.clock, at, policy.sampleInterval) : null;
  return coverage === null ? 'n/a' : `${(coverage * 100).toFixed(1)}%`;
}

/** A criterion's breach in words: `evictions: sum(targetEvictions) over 5m = 12 > 0`. */
export function describe(c: Criterion, e: Evaluation): string {
  const scope = c.scope ? `@${c.scope}` : '';
  const value = e.value === null ? 'no data' : String(Number(e.value.toPrecision(6)));
  const partial = e.partial ? ` (${e.count} of ${e.expected} samples)` : '';
  return `${c.id}: ${c.aggregate}(${c.metric}${scope}) over ${formatDuration(c.window)} = ${value} ${c.op} ${c.threshold}${partial}`;
}

export function finite(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
