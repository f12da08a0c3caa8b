import type { Criterion, Policy } from '../config/schema.js';
import { formatDuration } from '../util/duration.js';
import { clockCoverage, creditClock, pauseClock, startClock, uncreditedMs } from './clock.js';
import { criterionKey, type Evaluation, evaluateCriterion, isPhaseBoundDelta } from './criteria.js';
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
  AlarmState,
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
/**
 * One incident, one reset: a reset-class ElastiCache event within this long of the event that opened the
 * tenant's current incident joins it (the same failover seen through SNS and DescribeEvents, the
 * NodeReplace that follows a failover). It restarts the running clock but counts no new reset.
 */
export const INCIDENT_WINDOW_MS = 10 * 60_000;
const MAX_RECENT_EVENTS = 50;
const MAX_SEEN_EVENTS = 256;
/** Alarms whose latest state change is remembered (open ones are never forgotten). */
const MAX_ALARM_CHANGES = 64;
const ALARM_STATE_OF_TYPE: Record<string, AlarmState> = {
  CloudWatchAlarm: 'ALARM',
  CloudWatchAlarmOK: 'OK',
  CloudWatchAlarmInsufficientData: 'INSUFFICIENT_DATA',
};
const ALARM_STATES: ReadonlySet<string> = new Set(['ALARM', 'OK', 'INSUFFICIENT_DATA']);
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
    ...(s.incident ? { incident: { ...s.incident } } : {}),
    ...(s.alarmChanges ? { alarmChanges: { ...s.alarmChanges } } : {}),
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
  const notes = { ...sample.notes };
  accumulateSpotCheck(s, sample);
  // The judge owns the bound: it alone sees the whole replication phase.
  derived.spotCheckMismatchRateUpper = wilsonUpper(s.spotCheck.mismatches, s.spotCheck.checked);
  notes.spotCheckMismatchRateUpper =
    s.spotCheck.checked > 0
      ? `${s.spotCheck.mismatches} mismatches in ${s.spotCheck.checked} keys spot-checked since replication began`
      : 'no key spot-checked yet in this replication phase';
  // Deltas were measured since the previous sample; a sample stored before `since` existed was measured
  // against the previous one the judge saw.
  const since = sample.since !== undefined ? sample.since : s.lastSampleAt;
  const straddles = since !== null && since < s.phaseStartedAt;
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
    let value = finite(derived[key]);
    let note = typeof notes[key] === 'string' ? notes[key] : undefined;
    if (value !== null && straddles && isPhaseBoundDelta(key)) {
      // A delta belongs to the phase in which its interval began: the last writes to legacy before a
      // cutover are not a service writing to legacy after it.
      value = null;
      note = `interval began before the ${s.phase === 'soak' ? 'cutover' : 'phase start'}`;
    }
    if (value === null && note === undefined) note = missingCause(derived, key);
    addToSeries(series, at, value, keep, note);
  }
  s.lastSampleAt = at;
  // Watched time is time the sample saw: one lacking a metric the criteria read (a node the sampler
  // could not reach, a delta against such a sample) credits no soak time, or a blind stretch would pass.
  // A delta left out because its interval began in the phase before was seen: it is not blindness.
  const watched = [...tracked.keys()].every((key) => finite(derived[key]) !== null);
  const look = lookAt(s, at, ctx.policy);
  switch (s.state) {
    case 'REPLICATING':
      stepReplicating(s, sample, look, ctx, watched);
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

function stepReplicating(s: SoakState, sample: JudgeSample, look: Look, ctx: Ctx, watched: boolean): void {
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
  // A breach (critical or fatal, tolerated or not) or an open alarm: readiness starts again from zero.
  if (look.openBreach || look.firingCritical.length > 0 || Object.keys(s.openAlarms).length > 0) {
    s.clock = null;
    return;
  }
  const slack = readinessSlackMs(policy);
  if (!watched) {
    // A sample without data only pauses the clock: its interval is not credited, so one missed tick costs
    // one tick. Once the uncredited time makes coverage at readyAfter impossible, start again.
    if (s.clock) {
      pauseClock(s.clock, at);
      if (uncreditedMs(s.clock) > slack) s.clock = null;
    }
    return;
  }
  // A sample that carried every metric credits its interval even while a window is still short of the
  // samples missed before it: that time is uncredited already, and two missed ticks cost two, not four.
  // Such a window is `nodata`, which keeps the tenant from becoming ready until it is whole again.
  if (s.clock) {
    creditClock(s.clock, at, policy.sampleInterval);
    // A gap without samples is uncredited time too.
    if (uncreditedMs(s.clock) > slack) s.clock = startClock(at);
  } else s.clock = startClock(at);
  if (look.nodata.length > 0) return;
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

  if (ev.type === FULL_COMPARE_EVENT) {
    onFullCompare(s, ev, ctx);
    return;
  }
  const alarm = alarmChangeOf(ev);
  // A mapped alarm going to ALARM is a critical breach by definition; other types as the policy says.
  const critical = alarm ? applyAlarmChange(s, alarm, ev.at) : ctx.policy.events.resetOn.includes(ev.type);
  if (!critical || TERMINAL.has(s.state) || ev.at < s.phaseStartedAt) return;
  const reason = eventReason(ev, alarm);
  const incidental = !alarm && isElastiCacheEvent(ev);
  const joins =
    incidental && s.incident !== undefined && Math.abs(ev.at - s.incident.at) <= INCIDENT_WINDOW_MS;
  switch (s.state) {
    case 'REPLICATING':
      s.clock = null;
      // Offline: e.g. a failover on the target after the compare may have lost writes: compare again.
      if (ctx.policy.mode === 'offline') voidFullCompare(s, ev.at, reason);
      break;
    case 'CUTOVER_READY':
      // Offline: a late notification of something before the compare: the compare saw the data after it.
      // (An alarm is different: it is open now.)
      if (ctx.policy.mode === 'offline' && !alarm && s.fullCompare && ev.at < s.fullCompare.last.at) return;
      revoke(s, ev.at, reason, { event: ev.type }, ctx);
      break;
    default:
      // Older than the running clock (a late notification): that time is already not counted.
      if (s.clock && ev.at < s.clock.startedAt) return;
      if (joins && s.state === 'SOAKING') {
        // The same incident again (another delivery path, its follow-up event): the clock starts again
        // from it, but one incident is one reset towards maxResets.
        s.clock = startClock(Math.max(ev.at, s.clock?.lastAt ?? ev.at));
        if (s.incident) s.incident = { ...s.incident, joined: s.incident.joined + 1 };
        return;
      }
      resetSoak(s, ev.at, reason, { event: ev.type }, ctx);
  }
  if (!incidental) return;
  if (joins && s.incident) s.incident = { ...s.incident, joined: s.incident.joined + 1 };
  else s.incident = { at: ev.at, event: ev.type, joined: 0 };
}

function isElastiCacheEvent(ev: SoakEvent): boolean {
  return ev.source === 'elasticache' || ev.type.startsWith('ElastiCache:');
}

/**
 * An event's reason in resets and transitions: `event ElastiCache:FailoverComplete (acme-0001-001)`, the
 * source named once (an ElastiCache notification's detail is its source id).
 */
function eventReason(ev: SoakEvent, alarm: AlarmChange | null): string {
  const on = ev.sourceId && !ev.detail?.includes(ev.sourceId) ? ` on ${ev.sourceId}` : '';
  const what = ev.detail ? ` (${ev.detail})` : alarm ? ` (${alarm.name} ${alarm.state})` : '';
  return `event ${ev.type}${on}${what}`;
}

interface AlarmChange {
  name: string;
  state: AlarmState;
}

/**
 * The alarm state change an event carries (`alarmName`, `alarmState`), or `null` for other events. Events
 * stored before those fields existed fall back to their type and to the name src/events put at the start
 * of `detail` (`<name> <STATE>: reason`): old history replays as it was judged.
 */
function alarmChangeOf(ev: SoakEvent): AlarmChange | null {
  const state = ev.alarmState ?? ALARM_STATE_OF_TYPE[ev.type];
  if (!state) return null;
  return { name: ev.alarmName ?? alarmName(ev.detail), state };
}

/**
 * Applies an alarm's state change unless a later one was applied already (a late OK never closes a newer
 * ALARM). True when the alarm opened now: only that resets, not the same ALARM delivered again.
 * INSUFFICIENT_DATA is not OK: an open alarm stays open until seen OK.
 */
function applyAlarmChange(s: SoakState, change: AlarmChange, at: number): boolean {
  const latest = s.alarmChanges?.[change.name];
  if (latest !== undefined && at < latest) return false;
  const changes = { ...s.alarmChanges, [change.name]: at };
  const names = Object.keys(changes);
  if (names.length > MAX_ALARM_CHANGES) {
    const closed = names
      .filter((n) => !(n in s.openAlarms) && n !== change.name)
      .sort((a, b) => (changes[a] ?? 0) - (changes[b] ?? 0) || a.localeCompare(b));
    for (const n of closed.slice(0, names.length - MAX_ALARM_CHANGES)) delete changes[n];
  }
  s.alarmChanges = changes;
  if (change.state === 'OK') delete s.openAlarms[change.name];
  if (change.state !== 'ALARM' || change.name in s.openAlarms) return false;
  s.openAlarms[change.name] = at;
  return true;
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

/**
 * Drops what phase-bound deltas measured before the phase start: their windows start after it, and a
 * bucket shared with a later sample would otherwise carry the value across (automatic cutover).
 */
function forgetDeltasBefore(s: SoakState): void {
  for (const [key, series] of Object.entries(s.series))
    if (isPhaseBoundDelta(key)) s.series[key] = emptySeries(series.w);
}

function enterSoak(s: SoakState, at: number): void {
  forgetDeltasBefore(s);
  s.phase = 'soak';
  s.phaseStartedAt = at;
  s.clock = startClock(at);
  s.criteria = {};
  s.resetCount = 0;
  s.autoCutoverStreak = 0;
}

function enterReplication(s: SoakState, at: number): void {
  forgetDeltasBefore(s);
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

/**
 * Uncredited time the readiness clock may carry: beyond it, coverage at `readyAfter` of credited time
 * (readyAfter / (readyAfter + uncredited)) could no longer reach `minCoverage`, so the clock starts again.
 */
export function readinessSlackMs(policy: Policy): number {
  const m = policy.minCoverage;
  if (m <= 0) return Number.POSITIVE_INFINITY;
  return (policy.replication.readyAfter * (1 - m)) / m;
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
  const partial = e.partial ? ` (${e.count} of ${e.expected} samples)` : '';
  return `${c.id}: ${c.aggregate}(${c.metric}${scope}) over ${formatDuration(c.window)} = ${value} ${c.op} ${c.threshold}${partial}`;
}

/** Why a sample has no value for a key it gave no note for. */
function missingCause(derived: JudgeSample['derived'], key: string): string {
  if (!Object.hasOwn(derived, key)) return 'not measured in this sample';
  const v = derived[key];
  return v === null ? 'no value in this sample' : `not a number in this sample (${String(v)})`;
}

/**
 * The alarm an old stored event is about, from its `detail` (`<alarm name> <STATE>[: reason]`, as src/events
 * wrote it before events carried `alarmName`) or the name alone. Only a fallback for those events: the
 * judge reads `alarmName` when an event has it.
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
    const since = sample.since;
    if (since !== undefined && since !== null) {
      checkTime(since, `samples[${i}].since`);
      if (since >= sample.at)
        throw new JudgeInputError(`samples[${i}].since`, `must be before at (${since} >= ${sample.at})`);
    }
    if (sample.notes !== undefined && (sample.notes === null || typeof sample.notes !== 'object'))
      throw new JudgeInputError(`samples[${i}].notes`, 'must be an object of metric notes');
  });
  input.events.forEach((ev, i) => {
    checkTime(ev?.at, `events[${i}].at`);
    if (typeof ev.type !== 'string' || ev.type === '')
      throw new JudgeInputError(`events[${i}].type`, 'must be a non-empty string');
    if (ev.alarmState !== undefined && !ALARM_STATES.has(ev.alarmState))
      throw new JudgeInputError(
        `events[${i}].alarmState`,
        `must be ALARM, OK or INSUFFICIENT_DATA (got ${String(ev.alarmState)})`,
      );
    if (ev.alarmName !== undefined && (typeof ev.alarmName !== 'string' || ev.alarmName === ''))
      throw new JudgeInputError(`events[${i}].alarmName`, 'must be a non-empty string');
  });
}
