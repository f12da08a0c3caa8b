import type { DerivedMetrics, MetricNotes, MismatchSummary, Phase } from '../metrics/index.js';
import type { ActionType, AlarmState, SoakStateName, TransitionKind } from './vocabulary.js';

/** What the judge needs of a sample: when, the derived metrics (`null` = no data), whether every node answered. */
export interface JudgeSample {
  at: number;
  derived: DerivedMetrics;
  complete: boolean;
  /**
   * The `at` of the previous sample the deltas were computed against (`null`: there was none). A delta
   * whose interval began before the phase start belongs to the phase before. Absent (samples stored before
   * the field existed): the judge takes its own previous sample, which is what the sampler compared with.
   */
  since?: number | null;
  /** Per metric key: why a `null` has no data, or what a value is made of (for people; never parsed). */
  notes?: MetricNotes;
  /** The spot-check's confirmed mismatches of this sample by db, key pattern, type, TTL class, kind. */
  mismatches?: MismatchSummary;
}

/** Something that happened to a tenant outside the sample stream. */
export interface SoakEvent {
  at: number;
  /** e.g. `ElastiCache:FailoverComplete`, `CloudWatchAlarm`, `CloudWatchAlarmOK`, `StreamRestart`. */
  type: string;
  source: 'elasticache' | 'cloudwatch' | 'sampler' | 'manual';
  /** For people: the cluster, the alarm's reason. Never parsed (but see alarms.ts for old stored events). */
  detail?: string;
  /** CloudWatch alarm events: the alarm, and the state it changed to (at `at`). */
  alarmName?: string;
  alarmState?: AlarmState;
  /** ElastiCache events: the cache cluster or replication group the event is about. */
  sourceId?: string;
  /** For dedupe; `type|at|detail` when absent. */
  id?: string;
  /** Who recorded it (manual events). */
  actor?: string;
  /** `FullCompare` only: keys compared, confirmed mismatches, keys that could not be read, mismatches per class. */
  checked?: number;
  mismatches?: number;
  unverified?: number;
  byClass?: Record<string, number>;
  durationMs?: number;
}

/** A finished full compare, as the judge keeps it. */
export interface FullCompareRecord {
  /** Completion time. */
  at: number;
  checked: number;
  mismatches: number;
  unverified: number;
  /** Mismatches per class (only classes with some). */
  byClass: Record<string, number>;
}

/** What the judge knows of the full compares of the current replication phase (offline mode). */
export interface FullCompareState {
  last: FullCompareRecord;
  /** Something after the last compare put the data in doubt (readiness revoked, a reset event, a spot-check mismatch): a new compare is needed. */
  voided?: { at: number; reason: string };
  /** Compares with mismatches in this phase. */
  breachCount: number;
  lastBreachAt: number | null;
}

export interface Transition {
  at: number;
  from: SoakStateName;
  to: SoakStateName;
  /** Why, in words for people (never parsed). */
  reason: string;
  actor?: string;
  /** What it means downstream (its milestone, hook trigger, action): `TRANSITIONS[kind]`. */
  kind: TransitionKind;
  /** A cutover forced before readiness (from REPLICATING); `reason` says so in words. */
  forced?: true;
  /** A forced cutover: the reason as the release manager gave it (what the replay gives the action again). */
  actorReason?: string;
}

/** A release manager's action (`ACTIONS`). */
export interface Action {
  type: ActionType;
  actor: string;
  reason?: string;
  /** Only for `cutover` from REPLICATING (needs a reason). */
  force?: boolean;
}

export type ActionResult =
  | { ok: true; state: SoakState; transition: Transition }
  | { ok: false; reason: string };

/** A clock reset (soak) or a readiness revocation (replication). Kept in full, never trimmed. */
export interface Reset {
  at: number;
  reason: string;
  criterion?: string;
  event?: string;
  phase?: Phase;
}

export type CriterionStatus = 'ok' | 'breach' | 'nodata';

export interface CriterionEvidence {
  id: string;
  metric: string;
  scope?: string;
  severity: 'warn' | 'critical' | 'fatal';
  status: CriterionStatus;
  /** The aggregate over the window; `null` when `nodata`. */
  value: number | null;
  /** Worst single value in the window (max for `>`/`>=`, min for `<`/`<=`). */
  worst: number | null;
  threshold: number;
  op: string;
  aggregate: string;
  breachCount: number;
  consecutiveBreaches: number;
  firing: boolean;
  firingSince: number | null;
  lastBreachAt: number | null;
  /** Why there is no data (set whenever `status` is `nodata`): the sample's note, or the judge's own cause. */
  cause?: string;
  /** What the value is made of: the latest sample's note for the metric, and how a partial window breached. */
  detail?: string;
  /** A criterion on `spotCheckMismatches`: the mismatches of its window, summarized (absent when none). */
  mismatches?: MismatchSummary;
  /**
   * `nodata` because the metric does not apply now (`legacy not fenced`): shown with its cause, but it
   * makes nothing inconclusive and withholds no pass.
   */
  inapplicable?: true;
}

export interface Verdict {
  tenant: string;
  state: SoakStateName;
  phase: Phase | 'done';
  inconclusive: boolean;
  /** Why the verdict is inconclusive, one line each (`coverage 80.0 % below the 95 % floor`, `memory: no maxmemory on …`); empty when conclusive. */
  inconclusiveReasons: string[];
  /** Share of the running clock's wall time covered by samples; `null` when no clock runs. */
  coverage: number | null;
  /** Time credited on the running clock (readiness or soak): only time where samples arrived. */
  elapsedMs: number;
  remainingMs: number | null;
  requiredMs: number;
  criteria: CriterionEvidence[];
  /** Criteria breaching past their consecutive tolerance, and open CloudWatch alarms (`alarm:<name>`). */
  firing: CriterionEvidence[];
  resets: Reset[];
  lastSampleAt: number | null;
  spotCheck?: { checked: number; mismatches: number; upperBound: number | null };
  /** Offline mode: the last full compare of the replication phase, whether it proves the target, in words. */
  fullCompare?: FullCompareRecord & {
    clean: boolean;
    voided?: { at: number; reason: string };
    summary: string;
  };
}

export interface JudgeInput {
  now: number;
  /** Only the samples since the last call; older or equal to the state's last sample are ignored. */
  samples: JudgeSample[];
  /** Only the events since the last call; already-seen ids are ignored. */
  events: SoakEvent[];
}

export interface JudgeResult {
  state: SoakState;
  transitions: Transition[];
  verdict: Verdict;
}

/** Rolling aggregate of one time slice of a metric. */
export interface Bucket {
  /** Bucket index: floor(at / width). */
  i: number;
  n: number;
  sum: number;
  min: number;
  max: number;
  /** First and last sample time in the bucket. */
  f: number;
  l: number;
  /** Largest values, descending, at most TOP_K (exact p95 while the window's top 5 % fit). */
  top: number[];
}

/** A metric's recent history: buckets covering only the largest window that reads it. */
export interface Series {
  /** Bucket width (ms). */
  w: number;
  b: Bucket[];
  /** The latest sample's time and value for this metric (`null` value = that sample had no data). */
  lastAt: number | null;
  last: number | null;
  /** The latest sample's note for this metric, if it had one. */
  note?: string;
  /**
   * The latest sample without a value, and why (its note, or the judge's cause); `inapplicable` when that
   * sample did not measure the metric because it does not apply now (the catalogue's `absentCause`).
   */
  missing?: { at: number; cause: string; inapplicable?: true };
}

/** The samples' mismatch summaries over the largest window reading `spotCheckMismatches`, merged per bucket. */
export interface MismatchWindow {
  /** Bucket width (ms). */
  w: number;
  /** Oldest first: bucket index floor(at / w), the latest sample time in it, the merged summary. */
  b: { i: number; l: number; s: MismatchSummary }[];
}

/** A clock that only counts time where samples arrived. */
export interface SoakClock {
  startedAt: number;
  creditedMs: number;
  /** Up to when time has been credited (the last sample, or the start). */
  lastAt: number;
}

export interface CriterionRun {
  consecutive: number;
  firing: boolean;
  firingSince: number | null;
  breachCount: number;
  lastBreachAt: number | null;
}

/** The judge's state of one tenant: plain JSON, bounded in size except `resets`. */
export interface SoakState {
  v: 1;
  tenant: string;
  state: SoakStateName;
  /** Which criteria apply: the replication ones until cutover, the soak ones after. */
  phase: Phase;
  enteredAt: number;
  phaseStartedAt: number;
  /** Readiness clock (replication: since the criteria last held) or soak clock (since cutover or the last reset). */
  clock: SoakClock | null;
  lastSampleAt: number | null;
  series: Record<string, Series>;
  /** Runs of the current phase's criteria, by criterion id. */
  criteria: Record<string, CriterionRun>;
  resets: Reset[];
  /** Soak resets since the cutover (compared with maxResets). */
  resetCount: number;
  /** Spot-check totals of the current replication phase. */
  spotCheck: { checked: number; mismatches: number };
  /** The confirmed mismatches of the recent samples, for the evidence of the criteria on them (absent: none). */
  mismatchWindow?: MismatchWindow;
  /** CloudWatch alarms in ALARM: name → since. */
  openAlarms: Record<string, number>;
  /** Samples in a row where writes had moved from legacy to target (auto cutover). */
  autoCutoverStreak: number;
  /** Most recent events (bounded); the store keeps the full stream. */
  events: SoakEvent[];
  /** Dedupe keys of the most recent events (bounded). */
  seenEvents: string[];
  lastTransition: Transition | null;
  /**
   * The incident the latest reset-class ElastiCache event opened: later ones within INCIDENT_WINDOW_MS of
   * it join it (restart the clock, count no new reset). Absent until one happened.
   */
  incident?: { at: number; event: string; joined: number };
  /** Per CloudWatch alarm, the time of the latest state change applied: an older one is only recorded. */
  alarmChanges?: Record<string, number>;
  /** Offline mode: the full compares of the current replication phase (absent until one is recorded). */
  fullCompare?: FullCompareState;
}
