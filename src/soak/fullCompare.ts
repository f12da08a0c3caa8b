import { FULL_COMPARE_CRITERION_ID, FULL_COMPARE_METRIC } from '../metrics/index.js';
import type { CriterionEvidence, FullCompareRecord, FullCompareState, SoakEvent } from './types.js';

/** The event type `soakwatch compare --full` records when a full compare finishes. */
export const FULL_COMPARE_EVENT = 'FullCompare';

/** What a finished full compare reports (structural: the judge does not depend on src/sampling). */
export interface FullCompareOutcome {
  checked: number;
  mismatches: number;
  /** Keys that could not be read: the compare did not see every key. */
  unverified: number;
  byClass: Readonly<Record<string, { count: number }>>;
  durationMs?: number;
}

/** The event a finished full compare is recorded as; `at` is its completion time. */
export function fullCompareEvent(outcome: FullCompareOutcome, at: number, actor: string): SoakEvent {
  const byClass: Record<string, number> = {};
  for (const [cls, v] of Object.entries(outcome.byClass)) byClass[cls] = v.count;
  return {
    at,
    type: FULL_COMPARE_EVENT,
    source: 'manual',
    id: `full-compare:${at}`,
    detail: `${outcome.checked} keys compared, ${outcome.mismatches} mismatches${
      outcome.unverified > 0 ? `, ${outcome.unverified} keys unreadable` : ''
    } (by ${actor})`,
    actor,
    checked: outcome.checked,
    mismatches: outcome.mismatches,
    unverified: outcome.unverified,
    byClass,
    ...(outcome.durationMs !== undefined ? { durationMs: outcome.durationMs } : {}),
  };
}

const count = (v: unknown): number | null =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null;

/**
 * The result a FullCompare event carries, or `null` when its counts are missing or not counts (such an
 * event proves nothing: it is recorded, never taken as clean).
 */
export function fullCompareOf(ev: SoakEvent): FullCompareRecord | null {
  const checked = count(ev.checked);
  const mismatches = count(ev.mismatches);
  // Older events without the field: nothing was reported unreadable.
  const unverified = ev.unverified === undefined ? 0 : count(ev.unverified);
  if (checked === null || mismatches === null || unverified === null) return null;
  const byClass: Record<string, number> = {};
  for (const [cls, n] of Object.entries(ev.byClass ?? {})) {
    const c = count(n);
    if (c !== null && c > 0) byClass[cls] = c;
  }
  return { at: ev.at, checked, mismatches, unverified, byClass };
}

/** Clean = proof: keys were compared, none differed, none was left unread. */
export function isClean(r: FullCompareRecord): boolean {
  return r.checked > 0 && r.mismatches === 0 && r.unverified === 0;
}

/** A full compare in words, naming the count and the time: `full compare of 2026-… : 1000 keys, 3 mismatches (value 3)`. */
export function describeFullCompare(r: FullCompareRecord): string {
  const classes = Object.entries(r.byClass)
    .map(([cls, n]) => `${cls} ${n}`)
    .join(', ');
  const unread = r.unverified > 0 ? `, ${r.unverified} keys unreadable` : '';
  const none = r.checked === 0 ? ' (no key compared)' : '';
  return `full compare completed ${new Date(r.at).toISOString()}: ${r.checked} keys compared, ${r.mismatches} mismatches${
    classes ? ` (${classes})` : ''
  }${unread}${none}`;
}

/**
 * The full compare as a criterion of the verdict: `nodata` until a compare proves something (none yet,
 * keys unreadable, or voided by what happened since), `ok` when clean, `breach` (firing) with mismatches.
 */
export function fullCompareEvidence(fc: FullCompareState | undefined): CriterionEvidence {
  const last = fc?.last ?? null;
  const breach = last !== null && last.mismatches > 0;
  const ok = last !== null && !breach && isClean(last) && !fc?.voided;
  const value = breach || ok ? (last?.mismatches ?? null) : null;
  return {
    id: FULL_COMPARE_CRITERION_ID,
    metric: FULL_COMPARE_METRIC,
    severity: 'critical',
    status: breach ? 'breach' : ok ? 'ok' : 'nodata',
    value,
    worst: value,
    threshold: 0,
    op: '>',
    aggregate: 'last',
    breachCount: fc?.breachCount ?? 0,
    consecutiveBreaches: breach ? 1 : 0,
    firing: breach,
    firingSince: breach ? (last?.at ?? null) : null,
    lastBreachAt: fc?.lastBreachAt ?? null,
    ...(breach || ok ? (last ? { detail: describeFullCompare(last) } : {}) : { cause: noProofCause(fc) }),
  };
}

/** Why the full compare proves nothing yet. */
function noProofCause(fc: FullCompareState | undefined): string {
  if (!fc) return 'no full compare recorded in this replication phase';
  if (fc.voided) return `the last full compare was voided: ${fc.voided.reason}`;
  if (fc.last.checked === 0) return 'the last full compare compared no key';
  return `the last full compare left ${fc.last.unverified} keys unreadable`;
}
