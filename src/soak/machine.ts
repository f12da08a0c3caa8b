import type { Policy } from '../config/index.js';
import { absentCauseOf, isPhaseBoundDelta, type Phase } from '../metrics/index.js';
import { formatDuration } from '../util/duration.js';
import { type AlarmChange, alarmChangeOf, applyAlarmChange, isAlarmState } from './alarms.js';
import { creditClock, startClock } from './clock.js';
import { criterionKey, evaluateCriterion, phaseCriteria } from './criteria.js';
import { JudgeInputError } from './errors.js';
import { FULL_COMPARE_EVENT } from './fullCompare.js';
import { addMismatches, MISMATCH_METRIC } from './mismatches.js';
import { readinessRules } from './modes.js';
import type { Ctx, Look } from './readiness.js';
import { addToSeries, bucketWidth, emptySeries } from './series.js';
import { wilsonUpper } from './stats.js';
import { coverageOk, describe, finite, move, pct, revoke, TERMINAL } from './step.js';
import type {
  Action,
  ActionResult,
  JudgeInput,
  JudgeResult,
  JudgeSample,
  SoakEvent,
  SoakState,
  Transition,
} from './types.js';
import { verdictOf } from './verdict.js';

// The state machine of one tenant's migration (README.md, Rules): samples, events and actions in; new
// state, transitions and a verdict out. What differs between online and offline mode (how readiness is
// proven and lost) sits in online.ts and offline.ts behind ReadinessRules (readiness.ts).

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

function context(policy: Policy): Ctx {
  return {
    policy,
    tracked: { replication: trackedMetrics(policy, 'replication'), soak: trackedMetrics(policy, 'soak') },
    readiness: readinessRules(policy.mode),
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
      const reason = why('cutover marked');
      // Forced before readiness: said in the reason for people, and carried as fields for the replay.
      const forced = s.state === 'REPLICATING' ? { forced: true as const, actorReason: reason } : undefined;
      enterSoak(s, now);
      const words = forced ? `${reason} (forced before readiness)` : reason;
      return done(s, move(s, 'SOAKING', now, 'cutover', words, ctx, by, forced));
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

function onSample(s: SoakState, sample: JudgeSample, ctx: Ctx): void {
  if (s.lastSampleAt !== null && sample.at <= s.lastSampleAt) return;
  const at = sample.at;
  const derived = { ...sample.derived };
  const notes = { ...sample.notes };
  accumulateSpotCheck(s, sample);
  const mismatchWindow = addMismatches(
    s.mismatchWindow,
    at,
    sample.mismatches,
    ctx.tracked[s.phase].get(MISMATCH_METRIC),
    ctx.policy.sampleInterval,
  );
  if (mismatchWindow) s.mismatchWindow = mismatchWindow;
  else delete s.mismatchWindow;
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
    // Absent (not null) where the catalogue says the metric applies only sometimes: not measured, not blind.
    const absent = absentCauseOf(key) !== undefined && !Object.hasOwn(derived, key);
    if (absent) note = absentCauseOf(key);
    if (value !== null && straddles && isPhaseBoundDelta(key)) {
      // A delta belongs to the phase in which its interval began: the last writes to legacy before a
      // cutover are not a service writing to legacy after it.
      value = null;
      note = `interval began before the ${s.phase === 'soak' ? 'cutover' : 'phase start'}`;
    }
    if (value === null && note === undefined) note = missingCause(derived, key);
    addToSeries(series, at, value, keep, note, absent);
  }
  s.lastSampleAt = at;
  // Watched time is time the sample saw: one lacking a metric the criteria read (a node the sampler
  // could not reach, a delta against such a sample) credits no soak time, or a blind stretch would pass.
  // A delta left out because its interval began in the phase before was seen: it is not blindness.
  // A metric that does not apply now (absent, with its catalogue's absentCause) is not blindness either.
  const watched = [...tracked.keys()].every(
    (key) =>
      finite(derived[key]) !== null || (absentCauseOf(key) !== undefined && !Object.hasOwn(derived, key)),
  );
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
    if (e.status === 'nodata' && !e.inapplicable) look.nodata.push(c);
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
  if (failOnFatal(s, look, ctx, sample.at)) return;
  ctx.readiness.replicating(s, sample, look, ctx, watched);
}

function stepCutoverReady(s: SoakState, sample: JudgeSample, look: Look, ctx: Ctx): void {
  const { policy } = ctx;
  const at = sample.at;
  if (failOnFatal(s, look, ctx, at)) return;
  // Writes moving to the target make it diverge from legacy (drift, spot-check mismatches): with
  // autoCutover that is the cutover being detected, not a replication fault, while the move lasts.
  const revocation =
    policy.autoCutover && writesMoved(sample) ? undefined : ctx.readiness.revocation(sample, look);
  if (revocation) {
    revoke(s, at, revocation.reason, { criterion: revocation.criterion }, ctx);
    return;
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
    ctx.readiness.fullCompare(s, ev, ctx);
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
      ctx.readiness.doubt(s, ev.at, reason);
      break;
    case 'CUTOVER_READY':
      // A late notification of something readiness already saw past (an alarm is different: it is open now).
      if (!alarm && ctx.readiness.predatesProof(s, ev.at)) return;
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

// ── transitions ────────────────────────────────────────────────────────────

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
  delete s.mismatchWindow;
  s.openAlarms = {};
  delete s.fullCompare;
}

// ── helpers ────────────────────────────────────────────────────────────────

/** Metric keys a phase's criteria read, each with the largest window that reads it. */
export function trackedMetrics(policy: Policy, phase: Phase): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of phaseCriteria(policy, phase)) {
    const key = criterionKey(c);
    out.set(key, Math.max(out.get(key) ?? 0, c.window));
  }
  return out;
}

/** Why a sample has no value for a key it gave no note for. */
function missingCause(derived: JudgeSample['derived'], key: string): string {
  if (!Object.hasOwn(derived, key)) return 'not measured in this sample';
  const v = derived[key];
  return v === null ? 'no value in this sample' : `not a number in this sample (${String(v)})`;
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
    if (ev.alarmState !== undefined && !isAlarmState(ev.alarmState))
      throw new JudgeInputError(
        `events[${i}].alarmState`,
        `must be ALARM, OK or INSUFFICIENT_DATA (got ${String(ev.alarmState)})`,
      );
    if (ev.alarmName !== undefined && (typeof ev.alarmName !== 'string' || ev.alarmName === ''))
      throw new JudgeInputError(`events[${i}].alarmName`, 'must be a non-empty string');
  });
}
