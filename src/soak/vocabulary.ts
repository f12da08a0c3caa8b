import type { MilestoneTrigger } from '../config/index.js';

/** The states of a tenant's migration, in the order a migration goes through them. */
export const SOAK_STATES = [
  'REPLICATING',
  'CUTOVER_READY',
  'SOAKING',
  'PASSED',
  'FAILED',
  'ABORTED',
  'SCALE_DOWN_APPROVED',
  'SCALED_DOWN',
] as const;
export type SoakStateName = (typeof SOAK_STATES)[number];

/** A release manager's actions: what the CLI, the API and the replay accept. */
export const ACTIONS = ['cutover', 'abort', 'approve', 'scaled-down', 'restart'] as const;
export type ActionType = (typeof ACTIONS)[number];

/** The states a CloudWatch alarm changes to. */
export const ALARM_STATES = ['ALARM', 'OK', 'INSUFFICIENT_DATA'] as const;
export type AlarmState = (typeof ALARM_STATES)[number];

/** The event type of an alarm's change to each state (src/events writes them, the judge reads old ones by it). */
export const ALARM_EVENT_TYPES = {
  ALARM: 'CloudWatchAlarm',
  OK: 'CloudWatchAlarmOK',
  INSUFFICIENT_DATA: 'CloudWatchAlarmInsufficientData',
} as const satisfies Record<AlarmState, string>;

/** Release milestones, announced on the release topic. */
export type Milestone =
  | 'ready-for-cutover'
  | 'readiness-revoked'
  | 'cutover'
  | 'soak-reset'
  | 'passed'
  | 'failed'
  | 'approved'
  | 'scaled-down'
  | 'aborted'
  | 'restarted';

/** What a kind of transition means outside the judge. */
export interface TransitionMeaning {
  /** The release milestone announced for it (every transition is one). */
  milestone: Milestone;
  /** The hook trigger it fires, if any. */
  trigger?: MilestoneTrigger;
  /** The release-manager action that makes it (the judge may make it too: auto cutover, auto approve). */
  action?: ActionType;
}

/**
 * Every kind of transition the judge makes, with its milestone, its hook trigger and the action behind it:
 * the one table the alerts, the hooks and the replay of the audit trail read.
 */
export const TRANSITIONS = {
  ready: { milestone: 'ready-for-cutover', trigger: 'CUTOVER_READY' },
  revoked: { milestone: 'readiness-revoked' },
  cutover: { milestone: 'cutover', action: 'cutover' },
  reset: { milestone: 'soak-reset', trigger: 'SOAK_RESET' },
  'pass-revoked': { milestone: 'soak-reset', trigger: 'SOAK_RESET' },
  passed: { milestone: 'passed', trigger: 'PASSED' },
  failed: { milestone: 'failed', trigger: 'FAILED' },
  approved: { milestone: 'approved', trigger: 'SCALE_DOWN_APPROVED', action: 'approve' },
  'scaled-down': { milestone: 'scaled-down', action: 'scaled-down' },
  aborted: { milestone: 'aborted', action: 'abort' },
  restarted: { milestone: 'restarted', action: 'restart' },
} as const satisfies Record<string, TransitionMeaning>;

export type TransitionKind = keyof typeof TRANSITIONS;

/** What a transition kind means; `undefined` for a kind the judge does not make. */
export function transitionMeaning(kind: string): TransitionMeaning | undefined {
  return Object.hasOwn(TRANSITIONS, kind) ? TRANSITIONS[kind as TransitionKind] : undefined;
}
