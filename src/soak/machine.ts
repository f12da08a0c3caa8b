import type { Criterion, Policy } from '../config/schema.js';
import { formatDuration } from '../util/duration.js';
import { clockCoverage, creditClock, startClock } from './clock.js';
import { criterionKey, type Evaluation, evaluateCriterion } from './criteria.js';
import { JudgeInputError } from './errors.js';
import {
  describeFullCompare,
  FULL_COMPARE_EVENT,
  FULL_COMPARE_EVIDENCE_ID,
  fullCompareOf,
  isClean,
} from './fullCompare.js';
import { addToSeries, bucketWidth, emptySeries } from './series.js';
import { wilsonUpper } from './stats.js';
import type {
  Action,
  ActionResult,
  CriterionRun,
  JudgeInput,
  JudgeResult,
  JudgeSample,
  SoakEvent,
  SoakState,
  SoakStateName,
  Transition,
  TransitionKind,
} from './types.js';
import { verdictOf } from './verdict.js';

/** Who automatic transitions are attributed to. */
export const JUDGE_ACTOR = 'soakwatch';
/** Auto cutover: writes have left legacy (≤ legacyMaxBytes of offset growth, e.g. replica PINGs) and reach the target, for `samples` samples in a row. */
export const AUTO_CUTOVER = { samples: 3, legacyMaxBytes: 512, targetMinBytes: 512 } as const;
const MAX_RECENT_EVENTS = 50;
const MAX_SEEN_EVENTS = 256;
const TERMINAL: ReadonlySet<SoakStateName> = new Set(['FAILED', 'ABORTED', 'SCALED_DOWN']);

/** The criteria of a phase. */
export function phaseCriteria(policy: Policy, phase: 'replication' | 'soak'): Criterion[] {
  return phase === 'replication' ? policy.replication.criteria : policy.soak.criteria;
}

/** Creates the state of a tenant whose replication starts at `now`. */
export function initialSoakState(tenantId: string, policy: Policy, now: number): SoakState {
  if (typeof tenantId !== 'string' || tenantId === '')
    throw new JudgeInputError('tenantId', 'must be a non-empty string');
  checkTime(now, 'now');
  const series: SoakState['series'] = {};
  for (const [key, keep] of trackedMetrics(policy, 'replication'))
    series[key] = emptySeries(bucketWidth(policy.sampleInterval, keep));
  return {
    v: 1,
    tenant: tenantId,
    state: 'REPLICATING',
    phase: 'replication',
    enteredAt: now,
    phaseStartedAt: now,
    clock: null,
    lastSampleAt: null,
    series,
    criteria: {},
    resets: [],
    resetCount: 0,
    spotCheck: { checked: 0, mismatches: 0 },
    openAlarms: {},
    autoCutoverStreak: 0,
    events: [],
    seenEvents: [],
    lastTransition: null,
  };
}

interface Ctx {
  policy: Policy;
  /** Metric keys each phase's criteria read, with the largest window reading each. */
  tracked: Record<'replication' | 'soak', Map<string, number>>;
  transitions: Transition[];
}

function context(policy: Policy): Ctx {
  return {
    policy,
    tracked: { replication: trackedMetrics(policy, 'replication'), soak: trackedMetrics(policy, 'soak') },
    transitions: [],
  };
}

/**
 * Copies what a tick may change. Buckets are shared with the input and copied before they are
 * changed (see addToSeries), so a tick costs the window, not a deep copy of the whole state.
 */
function cloneState(s: SoakState): SoakState {
  const series: SoakState['series'] = {};
  for (const [key, v] of Object.entries(s.series)) series[key] = { ...v, b: v.b.slice() };
  const criteria: SoakState['criteria'] = {};
  for (const [id, run] of Object.entries(s.criteria)) criteria[id] = { ...run };
  return {
    ...s,
    clock: s.clock ? { ...s.clock } : null,
    series,
    criteria,
    resets: s.resets.slice(),
    spotCheck: { ...s.spotCheck },
    openAlarms: { ...s.openAlarms },
    events: s.events.slice(),
    seenEvents: s.seenEvents.slice(),
    ...(s.fullCompare ? { fullCompare: { ...s.fullCompare } } : {}),
  };
}

/**
 * Judges the new samples and events (only those since the last call) and returns the new state, the
 * transitions made and the verdict at `now`. Pure: the input state is not modified. Samples at or
 * before the state's last sample and already-seen events are ignored, so a re-delivered tick is a no-op.
 */
export function judgeSoak(state: SoakState, input: JudgeInput, policy: Policy): JudgeResult {
  checkState(state);
  checkInput(input);
  const s = cloneState(state);
  const ctx = context(policy);

  const samples = [...input.samples].sort((a, b) => a.at - b.at);
  const events = [...input.events].sort((a, b) => a.at - b.at);
  let e = 0;
  for (const sample of samples) {
    // Events first on a tie: the sample at that moment already sees their effect.
    while (e < events.length && (events[e]?.at ?? Number.POSITIVE_INFINITY) <= sample.at) {
      const ev = events[e++];
      if (ev) onEvent(s, ev, ctx);
    }
    onSample(s, sample, ctx);
  }
  for (; e < events.length; e++) {
    const ev = events[e];
    if (ev) onEvent(s, ev, ctx);
  }
  return { state: s, transitions: ctx.transitions, verdict: verdictOf(s, policy, input.now) };
}

/** Applies a release manager's action, or refuses it with the reason. Pure. */
export function applyAction(state: SoakState, action: Action, policy: Policy, now: number): ActionResult {
  checkState(state);
  checkTime(now, 'now');
  if (typeof action?.actor !== 'string' || action.actor.trim() === '')
    return { ok: false, reason: 'an action needs an actor (who is doing this)' };
  const s = cloneState(state);
  const ctx = context(policy);
  const by = action.actor;
  const why = (fallback: string): string => action.reason?.trim() || fallback;
  switch (action.type) {
    case 'cutover': {
      if (s.state === 'REPLICATING' && action.force) {
        if (!action.reason?.trim())
          return { ok: false, reason: 'a forced cutover from REPLICATING needs a reason' };
      } else if (s.state !== 'CUTOVER_READY') {
        return {
          ok: false,
          reason: `cutover is possible from CUTOVER_READY only (or forced, with a reason, from REPLICATING); the state is ${s.state}`,
        };
      }
      const forced = s.state === 'REPLICATING' ? ' (forced before readiness)' : '';
      enterSoak(s, now);
      return done(s, move(s, 'SOAKING', now, 'cutover', `${why('cutover marked')}${forced}`, ctx, by));
    }
    case 'abort':
      if (s.state === 'ABORTED' || s.state === 'SCALED_DOWN')
        return { ok: false, reason: `cannot abort from ${s.state}` };
      return done(s, move(s, 'ABORTED', now, 'aborted', why('aborted'), ctx, by));
    case 'approve':
      if (s.state !== 'PASSED')
        return { ok: false, reason: `approve is possible from PASSED only; the state is ${s.state}` };
      return done(s, move(s, 'SCALE_DOWN_APPROVED', now, 'approved', why('scale-down approved'), ctx, by));
    case 'scaled-down':
      if (s.state !== 'SCALE_DOWN_APPROVED')
        return {
          ok: false,
          reason: `scaled-down is possible from SCALE_DOWN_APPROVED only; the state is ${s.state}`,
        };
      return done(s, move(s, 'SCALED_DOWN', now, 'scaled-down', why('legacy cluster scaled down'), ctx, by));
    case 'restart':
      if (s.state !== 'FAILED' && s.state !== 'ABORTED')
        return {
          ok: false,
          reason: `restart is possible from FAILED or ABORTED only; the state is ${s.state}`,
        };
      enterReplication(s, now);
      return done(s, move(s, 'REPLICATING', now, 'restarted', why('replication restarted'), ctx, by));
    default:
      return { ok: false, reason: `unknown action "${String((action as { type?: unknown }).type)}"` };
  }
}

function done(state: SoakState, transition: Transition): ActionResult {
  return { ok: true, state, transition };
}

// ── samples ────────────────────────────────────────────────────────────────

interface Look {
  evals: { c: Criterion; e: Evaluation; run: CriterionRun }[];
  fatal: { c: Criterion; e: Evaluation }[];
  rising: { c: Criterion; e: Evaluation }[];
  firingCritical: { c: Criterion; e: Evaluation }[];
  /** A critical or fatal criterion in breach now, tolerated or not. */
  openBreach: boolean;
  nodata: Criterion[];
}

function onSample(s: SoakState, sample: JudgeSample, ctx: Ctx): void {
  if (s.lastSampleAt !== null && sample.at <= s.lastSampleAt) return;
  const at = sample.at;
  const derived = { ...sample.derived };
  accumulateSpotCheck(s, sample);
  // The judge owns the bound: it alone sees the whole replication phase.
  derived.spotCheckMismatchRateUpper = wilsonUpper(s.spotCheck.mismatches, s.spotCheck.checked);
  const tracked = ctx.tracked[s.phase];
  // Only the current phase's metrics are kept: windows never reach back before the phase start.
  for (const key of Object.keys(s.series)) if (!tracked.has(key)) delete s.series[key];
  for (const [key, keep] of tracked) {
    const w = bucketWidth(ctx.policy.sampleInterval, keep);
    let series = s.series[key];
    if (!series || series.w !== w) {
      series = emptySeries(w);
      s.series[key] = series;
    }
    addToSeries(series, at, finite(derived[key]), keep);
  }
  s.lastSampleAt = at;
  // Watched time is time the sample saw: one lacking a metric the criteria read (a node the sampler
  // could not reach, a delta against such a sample) credits no soak time, or a blind stretch would pass.
  const watched = [...tracked.keys()].every((key) => finite(derived[key]) !== null);
  const look = lookAt(s, at, ctx.policy);
  switch (s.state) {
    case 'REPLICATING':
      stepReplicating(s, sample, look, ctx);
      break;
    case 'CUTOVER_READY':
      stepCutoverReady(s, sample, look, ctx);
      break;
    case 'SOAKING':
      stepSoaking(s, look, ctx, at, watched);
      break;
    case 'PASSED':
    case 'SCALE_DOWN_APPROVED':
      stepPassed(s, look, ctx, at, watched);
      break;
    default:
      break; // terminal: evidence only
  }
}

function accumulateSpotCheck(s: SoakState, sample: JudgeSample): void {
  if (s.phase !== 'replication' || TERMINAL.has(s.state)) return;
  const checked = finite(sample.derived.spotCheckChecked);
  const mismatches = finite(sample.derived.spotCheckMismatches);
  // Checked keys without a mismatch count prove nothing: both or neither.
  if (checked === null || mismatches === null || checked <= 0 || mismatches < 0) return;
  s.spotCheck.checked += checked;
  s.spotCheck.mismatches += Math.min(mismatches, checked);
}

function lookAt(s: SoakState, at: number, policy: Policy): Look {
  const look: Look = { evals: [], fatal: [], rising: [], firingCritical: [], openBreach: false, nodata: [] };
  const criteria = phaseCriteria(policy, s.phase);
  // A criterion removed from the policy leaves no state behind.
  for (const id of Object.keys(s.criteria)) if (!criteria.some((c) => c.id === id)) delete s.criteria[id];
  for (const c of criteria) {
    const e = evaluateCriterion(c, s.series[criterionKey(c)], at, s.phaseStartedAt, policy);
    let run = s.criteria[c.id];
    if (!run) {
      run = { consecutive: 0, firing: false, firingSince: null, breachCount: 0, lastBreachAt: null };
      s.criteria[c.id] = run;
    }
    let rising = false;
    if (e.status === 'breach') {
      run.consecutive++;
      run.breachCount++;
      run.lastBreachAt = at;
      if (!run.firing && run.consecutive >= c.consecutive) {
        run.firing = true;
        run.firingSince = at;
        rising = true;
      }
    } else if (e.status === 'ok') {
      run.consecutive = 0;
      run.firing = false;
      run.firingSince = null;
    }
    // nodata: neither clears nor extends a breach; a firing criterion stays firing until seen ok.
    look.evals.push({ c, e, run });
    if (e.status === 'nodata') look.nodata.push(c);
    if (c.severity === 'warn') continue;
    if (e.status === 'breach') look.openBreach = true;
    if (c.severity === 'fatal' && run.firing) look.fatal.push({ c, e });
    if (c.severity === 'critical' && run.firing) {
      look.firingCritical.push({ c, e });
      if (rising) look.rising.push({ c, e });
    }
  }
  return look;
}

function stepReplicating(s: SoakState, sample: JudgeSample, look: Look, ctx: Ctx): void {
  const { policy } = ctx;
  const at = sample.at;
  if (failOnFatal(s, look, ctx, at)) return;
  if (policy.mode === 'offline') {
    // Offline: no CDC to follow, so no readiness loop. The proof is one clean full compare of every key
    // (a FullCompare event, see onFullCompare); the random spot-checks are evidence, never the proof.
    const mismatches = finite(sample.derived.spotCheckMismatches);
    if (mismatches !== null && mismatches > 0)
      voidFullCompare(s, at, `spot-check found ${mismatches} mismatches after the full compare`);
    // A clean compare that waited for an open alarm to clear.
    offlineReady(s, at, ctx);
    return;
  }
  const held =
    look.nodata.length === 0 &&
    !look.openBreach &&
    look.firingCritical.length === 0 &&
    Object.keys(s.openAlarms).length === 0;
  if (!held) {
    s.clock = null; // readiness must hold without a gap: start again at the next clean sample
    return;
  }
  if (s.clock) creditClock(s.clock, at, policy.sampleInterval);
  else s.clock = startClock(at);
  const required = policy.replication.readyAfter;
  if (s.clock.creditedMs >= required && coverageOk(s, at, policy, required)) {
    move(
      s,
      'CUTOVER_READY',
      at,
      'ready',
      `replication criteria held for ${formatDuration(s.clock.creditedMs)} (coverage ${pct(s, at, policy)})`,
      ctx,
    );
  }
}

function stepCutoverReady(s: SoakState, sample: JudgeSample, look: Look, ctx: Ctx): void {
  const { policy } = ctx;
  const at = sample.at;
  if (failOnFatal(s, look, ctx, at)) return;
  if (policy.mode === 'offline') {
    // Offline, neither side should change after the full compare: a confirmed spot-check mismatch means
    // one did (or the compare missed it), so the compare no longer proves the target. Not while the
    // writes are moving to the target with autoCutover: that divergence is the cutover.
    const mismatches = finite(sample.derived.spotCheckMismatches);
    if (mismatches !== null && mismatches > 0 && !(policy.autoCutover && writesMoved(sample))) {
      revoke(
        s,
        at,
        `spot-check found ${mismatches} mismatches after the full compare; run a new full compare`,
        { criterion: 'spotCheckMismatches' },
        ctx,
      );
      return;
    }
  } else {
    const firing = look.firingCritical[0];
    // Writes moving to the target make it diverge from legacy (drift, spot-check mismatches): with
    // autoCutover that is the cutover being detected, not a replication fault, while the move lasts.
    if (firing && !(policy.autoCutover && writesMoved(sample))) {
      revoke(s, at, describe(firing.c, firing.e), { criterion: firing.c.id }, ctx);
      return;
    }
  }
  if (s.clock) creditClock(s.clock, at, policy.sampleInterval);
  if (!policy.autoCutover) return;
  s.autoCutoverStreak = writesMoved(sample) ? s.autoCutoverStreak + 1 : 0;
  if (s.autoCutoverStreak >= AUTO_CUTOVER.samples) {
    enterSoak(s, at);
    move(
      s,
      'SOAKING',
      at,
      'cutover',
      `cutover detected: writes left legacy and reach the target for ${AUTO_CUTOVER.samples} samples`,
      ctx,
    );
  }
}

function stepSoaking(s: SoakState, look: Look, ctx: Ctx, at: number, watched: boolean): void {
  const { policy } = ctx;
  if (failOnFatal(s, look, ctx, at)) return;
  const rising = look.rising[0];
  if (rising) {
    resetSoak(s, at, describe(rising.c, rising.e), { criterion: rising.c.id }, ctx);
    if (s.state === 'FAILED') return;
  }
  if (look.firingCritical.length > 0 || Object.keys(s.openAlarms).length > 0) {
    // An open critical breach holds the clock at zero: the soak restarts when it clears, not when it began.
    s.clock = startClock(at);
    return;
  }
  if (!s.clock) s.clock = startClock(at);
  else if (watched) creditClock(s.clock, at, policy.sampleInterval);
  const required = policy.soak.duration;
  const passable =
    s.clock.creditedMs >= required &&
    coverageOk(s, at, policy, required) &&
    look.nodata.length === 0 &&
    !look.openBreach;
  if (!passable) return;
  move(
    s,
    'PASSED',
    at,
    'passed',
    `soak held for ${formatDuration(s.clock.creditedMs)} (coverage ${pct(s, at, policy)}, ${s.resetCount} resets)`,
    ctx,
  );
  if (policy.autoApprove) move(s, 'SCALE_DOWN_APPROVED', at, 'approved', 'auto-approved by policy', ctx);
}

function stepPassed(s: SoakState, look: Look, ctx: Ctx, at: number, watched: boolean): void {
  const { policy } = ctx;
  if (failOnFatal(s, look, ctx, at)) return;
  const firing = look.firingCritical[0];
  if (firing) {
    resetSoak(s, at, describe(firing.c, firing.e), { criterion: firing.c.id }, ctx);
    return;
  }
  if (s.clock && watched) creditClock(s.clock, at, policy.sampleInterval);
  if (s.state === 'PASSED' && policy.autoApprove)
    move(s, 'SCALE_DOWN_APPROVED', at, 'approved', 'auto-approved by policy', ctx);
}

/** Writes have left legacy (at most replica PINGs) and reach the target. */
function writesMoved(sample: JudgeSample): boolean {
  const legacy = finite(sample.derived.legacyWriteOps);
  const target = finite(sample.derived.targetWriteOps);
  return (
    legacy !== null &&
    target !== null &&
    legacy <= AUTO_CUTOVER.legacyMaxBytes &&
    target > AUTO_CUTOVER.targetMinBytes
  );
}

function failOnFatal(s: SoakState, look: Look, ctx: Ctx, at: number): boolean {
  const fatal = look.fatal[0];
  if (!fatal) return false;
  move(s, 'FAILED', at, 'failed', `fatal: ${describe(fatal.c, fatal.e)}`, ctx);
  return true;
}

// ── events ─────────────────────────────────────────────────────────────────

function onEvent(s: SoakState, ev: SoakEvent, ctx: Ctx): void {
  const key = ev.id ?? `${ev.type}|${ev.at}|${ev.detail ?? ''}`;
  if (s.seenEvents.includes(key)) return;
  s.seenEvents.push(key);
  if (s.seenEvents.length > MAX_SEEN_EVENTS) s.seenEvents.splice(0, s.seenEvents.length - MAX_SEEN_EVENTS);
  s.events.push(ev);
  if (s.events.length > MAX_RECENT_EVENTS) s.events.splice(0, s.events.length - MAX_RECENT_EVENTS);

  const alarm = alarmName(ev.detail);
  if (ev.type === 'CloudWatchAlarm') s.openAlarms[alarm] = s.openAlarms[alarm] ?? ev.at;
  if (ev.type === 'CloudWatchAlarmOK') delete s.openAlarms[alarm];
  if (ev.type === FULL_COMPARE_EVENT) {
    onFullCompare(s, ev, ctx);
    return;
  }

  // A mapped alarm in ALARM is a critical breach by definition; other types as the policy says.
  const critical = ev.type === 'CloudWatchAlarm' || ctx.policy.events.resetOn.includes(ev.type);
  if (!critical || TERMINAL.has(s.state) || ev.at < s.phaseStartedAt) return;
  const reason = `event ${ev.type}${ev.detail ? ` (${ev.detail})` : ''}`;
  switch (s.state) {
    case 'REPLICATING':
      s.clock = null;
      // Offline: e.g. a failover on the target after the compare may have lost writes: compare again.
      if (ctx.policy.mode === 'offline') voidFullCompare(s, ev.at, reason);
      return;
    case 'CUTOVER_READY':
      // Offline: a late notification of something before the compare: the compare saw the data after it.
      // (An alarm is different: it is open now.)
      if (
        ctx.policy.mode === 'offline' &&
        ev.type !== 'CloudWatchAlarm' &&
        s.fullCompare &&
        ev.at < s.fullCompare.last.at
      )
        return;
      revoke(s, ev.at, reason, { event: ev.type }, ctx);
      return;
    default:
      // Older than the running clock (a late notification): that time is already not counted.
      if (s.clock && ev.at < s.clock.startedAt) return;
      resetSoak(s, ev.at, reason, { event: ev.type }, ctx);
  }
}

/**
 * Offline mode: a finished `compare --full` of this replication phase. Clean (keys compared, none
 * differing, none unreadable) makes REPLICATING ready; anything else keeps it back or revokes
 * CUTOVER_READY. Ignored in online mode, after the cutover, and when older than the phase (a compare
 * from before a restart proves nothing about the data now).
 */
function onFullCompare(s: SoakState, ev: SoakEvent, ctx: Ctx): void {
  if (ctx.policy.mode !== 'offline' || s.phase !== 'replication' || TERMINAL.has(s.state)) return;
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
      revoke(s, at, describeFullCompare(r), { criterion: FULL_COMPARE_EVIDENCE_ID, event: ev.type }, ctx);
    return;
  }
  offlineReady(s, at, ctx);
}

/** Offline REPLICATING → CUTOVER_READY when the last full compare is clean, still stands, and no alarm is open. */
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

// ── transitions ────────────────────────────────────────────────────────────

function move(
  s: SoakState,
  to: SoakStateName,
  at: number,
  kind: TransitionKind,
  reason: string,
  ctx: Ctx,
  actor: string = JUDGE_ACTOR,
): Transition {
  const t: Transition = { at, from: s.state, to, reason, actor, kind };
  s.state = to;
  s.enteredAt = at;
  s.lastTransition = t;
  ctx.transitions.push(t);
  return t;
}

function revoke(
  s: SoakState,
  at: number,
  reason: string,
  extra: { criterion?: string; event?: string },
  ctx: Ctx,
): void {
  s.resets.push({ at, reason, phase: 'replication', ...extra });
  s.clock = null;
  s.autoCutoverStreak = 0;
  // Offline readiness rests on one compare: once revoked, only a new clean compare gives it back.
  if (ctx.policy.mode === 'offline') voidFullCompare(s, at, reason);
  move(s, 'REPLICATING', at, 'revoked', `readiness revoked: ${reason}`, ctx);
}

function resetSoak(
  s: SoakState,
  at: number,
  reason: string,
  extra: { criterion?: string; event?: string },
  ctx: Ctx,
): void {
  s.resets.push({ at, reason, phase: 'soak', ...extra });
  s.resetCount++;
  s.clock = startClock(Math.max(at, s.clock?.lastAt ?? at));
  if (s.state === 'PASSED' || s.state === 'SCALE_DOWN_APPROVED')
    move(s, 'SOAKING', at, 'pass-revoked', `pass revoked, soak clock reset: ${reason}`, ctx);
  else move(s, 'SOAKING', at, 'reset', `soak clock reset: ${reason}`, ctx);
  if (s.resetCount > ctx.policy.maxResets)
    move(
      s,
      'FAILED',
      at,
      'failed',
      `too many resets: ${s.resetCount} > maxResets ${ctx.policy.maxResets}`,
      ctx,
    );
}

function enterSoak(s: SoakState, at: number): void {
  s.phase = 'soak';
  s.phaseStartedAt = at;
  s.clock = startClock(at);
  s.criteria = {};
  s.resetCount = 0;
  s.autoCutoverStreak = 0;
}

function enterReplication(s: SoakState, at: number): void {
  s.phase = 'replication';
  s.phaseStartedAt = at;
  s.clock = null;
  s.criteria = {};
  s.resetCount = 0;
  s.autoCutoverStreak = 0;
  s.spotCheck = { checked: 0, mismatches: 0 };
  s.openAlarms = {};
  delete s.fullCompare;
}

// ── helpers ────────────────────────────────────────────────────────────────

/** Metric keys a phase's criteria read, each with the largest window that reads it. */
export function trackedMetrics(policy: Policy, phase: 'replication' | 'soak'): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of phaseCriteria(policy, phase)) {
    const key = criterionKey(c);
    out.set(key, Math.max(out.get(key) ?? 0, c.window));
  }
  return out;
}

function coverageOk(s: SoakState, at: number, policy: Policy, required: number): boolean {
  if (!s.clock) return false;
  if (required === 0) return true;
  const coverage = clockCoverage(s.clock, at, policy.sampleInterval);
  return coverage !== null && coverage >= policy.minCoverage;
}

function pct(s: SoakState, at: number, policy: Policy): string {
  const coverage = s.clock ? clockCoverage(s.clock, at, policy.sampleInterval) : null;
  return coverage === null ? 'n/a' : `${(coverage * 100).toFixed(1)}%`;
}

/** A criterion's breach in words: `evictions: sum(targetEvictions) over 5m = 12 > 0`. */
export function describe(c: Criterion, e: Evaluation): string {
  const scope = c.scope ? `@${c.scope}` : '';
  const value = e.value === null ? 'no data' : String(Number(e.value.toPrecision(6)));
  return `${c.id}: ${c.aggregate}(${c.metric}${scope}) over ${formatDuration(c.window)} = ${value} ${c.op} ${c.threshold}`;
}

/**
 * The alarm an event is about: `detail` is `<alarm name> <STATE>[: reason]` (src/events) or just the
 * name, so the ALARM and the OK of one alarm meet under the same key.
 */
export function alarmName(detail: string | undefined): string {
  if (!detail) return 'CloudWatchAlarm';
  const m = /^(.+?) (?:ALARM|OK|INSUFFICIENT_DATA)(?::|$)/.exec(detail);
  return m?.[1] ?? detail;
}

function finite(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function checkTime(v: unknown, field: string): void {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new JudgeInputError(field, 'must be a finite number (epoch ms)');
}

function checkState(state: SoakState): void {
  if (!state || typeof state !== 'object') throw new JudgeInputError('state', 'must be a soak state object');
  if (state.v !== 1) throw new JudgeInputError('state.v', `must be 1 (got ${String(state.v)})`);
  if (typeof state.tenant !== 'string') throw new JudgeInputError('state.tenant', 'must be a string');
}

function checkInput(input: JudgeInput): void {
  if (!input || typeof input !== 'object') throw new JudgeInputError('input', 'must be an object');
  checkTime(input.now, 'now');
  if (!Array.isArray(input.samples)) throw new JudgeInputError('samples', 'must be an array');
  if (!Array.isArray(input.events)) throw new JudgeInputError('events', 'must be an array');
  input.samples.forEach((sample, i) => {
    checkTime(sample?.at, `samples[${i}].at`);
    if (!sample.derived || typeof sample.derived !== 'object')
      throw new JudgeInputError(`samples[${i}].derived`, 'must be an object of metric values');
  });
  input.events.forEach((ev, i) => {
    checkTime(ev?.at, `events[${i}].at`);
    if (typeof ev.type !== 'string' || ev.type === '')
      throw new JudgeInputError(`events[${i}].type`, 'must be a non-empty string');
  });
}
