import { FULL_COMPARE_CRITERION_ID } from '../metrics/index.js';
import { startClock } from './clock.js';
import { describeFullCompare, fullCompareEvidence, fullCompareOf, isClean } from './fullCompare.js';
import type { Ctx, ReadinessRules } from './readiness.js';
import { finite, move, revoke, TERMINAL } from './step.js';
import type { SoakEvent, SoakState } from './types.js';

/**
 * Offline mode (no CDC): no readiness loop. The replication criteria and the spot-checks are evidence
 * only; the proof is one clean full compare of every key (a `FullCompare` event, see fullCompare.ts).
 * Readiness rests on that one compare, so whatever puts the data in doubt after it voids it: a confirmed
 * spot-check mismatch, a reset event, an alarm, a revocation. Then only a new clean compare gives it back.
 */
export const offlineReadiness: ReadinessRules = {
  replicating(s, sample, _look, ctx) {
    // The random spot-checks are evidence, never the proof; a mismatch puts a waiting compare in doubt.
    const mismatches = finite(sample.derived.spotCheckMismatches);
    if (mismatches !== null && mismatches > 0)
      voidFullCompare(s, sample.at, `spot-check found ${mismatches} mismatches after the full compare`);
    // A clean compare that waited for an open alarm to clear.
    offlineReady(s, sample.at, ctx);
  },

  revocation(sample) {
    // Neither side should change after the full compare: a confirmed spot-check mismatch means one did (or
    // the compare missed it), so the compare no longer proves the target.
    const mismatches = finite(sample.derived.spotCheckMismatches);
    if (mismatches === null || mismatches <= 0) return undefined;
    return {
      reason: `spot-check found ${mismatches} mismatches after the full compare; run a new full compare`,
      criterion: 'spotCheckMismatches',
    };
  },

  // A late notification of something before the compare: the compare saw the data after it.
  predatesProof: (s, at) => s.fullCompare !== undefined && at < s.fullCompare.last.at,

  // E.g. a failover on the target after the compare may have lost writes: compare again.
  doubt: (s, at, reason) => voidFullCompare(s, at, reason),

  fullCompare: (s, ev, ctx) => onFullCompare(s, ev, ctx),

  // The full compare is the replication phase's proof: shown (and alerted on) like a criterion.
  evidence: (s) => [fullCompareEvidence(s.fullCompare)],

  // What is left is a clean full compare, not time.
  requiredMs: () => null,
};

/**
 * A finished `compare --full` of this replication phase. Clean (keys compared, none differing, none
 * unreadable) makes REPLICATING ready; anything else keeps it back or revokes CUTOVER_READY. Ignored after
 * the cutover and when older than the phase (a compare from before a restart proves nothing about the
 * data now) or than the compare already judged.
 */
function onFullCompare(s: SoakState, ev: SoakEvent, ctx: Ctx): void {
  if (s.phase !== 'replication' || TERMINAL.has(s.state)) return;
  if (ev.at < s.phaseStartedAt) return;
  const r = fullCompareOf(ev);
  if (!r) return; // counts missing or malformed: recorded in the events, proves nothing
  const prev = s.fullCompare;
  // A compare that finished before the one already judged (a late delivery) does not replace it.
  if (prev && r.at < prev.last.at) return;
  const dirty = r.mismatches > 0;
  s.fullCompare = {
    last: r,
    breachCount: (prev?.breachCount ?? 0) + (dirty ? 1 : 0),
    lastBreachAt: dirty ? r.at : (prev?.lastBreachAt ?? null),
  };
  const at = Math.max(r.at, s.lastSampleAt ?? r.at);
  if (s.state === 'CUTOVER_READY') {
    if (!isClean(r))
      revoke(s, at, describeFullCompare(r), { criterion: FULL_COMPARE_CRITERION_ID, event: ev.type }, ctx);
    return;
  }
  offlineReady(s, at, ctx);
}

/** REPLICATING → CUTOVER_READY when the last full compare is clean, still stands, and no alarm is open. */
function offlineReady(s: SoakState, at: number, ctx: Ctx): void {
  const fc = s.fullCompare;
  if (s.state !== 'REPLICATING' || !fc || fc.voided || !isClean(fc.last)) return;
  if (Object.keys(s.openAlarms).length > 0) return;
  s.clock = startClock(at);
  const r = fc.last;
  move(
    s,
    'CUTOVER_READY',
    at,
    'ready',
    `full compare clean: ${r.checked} keys compared, 0 mismatches (completed ${new Date(r.at).toISOString()})`,
    ctx,
  );
}

/** The last full compare no longer proves the target (something after it put the data in doubt). */
function voidFullCompare(s: SoakState, at: number, reason: string): void {
  const fc = s.fullCompare;
  if (!fc || fc.voided || !isClean(fc.last) || at < fc.last.at) return;
  s.fullCompare = { ...fc, voided: { at, reason } };
}
