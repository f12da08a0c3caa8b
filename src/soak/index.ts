export { alarmName, isAlarmState } from './alarms.js';
export { clockCoverage } from './clock.js';
export type { Evaluation } from './criteria.js';
export { breaches, coverageFloor, evaluateCriterion, phaseCriteria } from './criteria.js';
export { JudgeInputError, SoakError } from './errors.js';
export type { FullCompareOutcome } from './fullCompare.js';
export { describeFullCompare, FULL_COMPARE_EVENT, fullCompareEvent, fullCompareOf } from './fullCompare.js';
export {
  AUTO_CUTOVER,
  applyAction,
  INCIDENT_WINDOW_MS,
  initialSoakState,
  judgeSoak,
  trackedMetrics,
} from './machine.js';
export { readinessRules } from './modes.js';
export { readinessSlackMs } from './online.js';
export type { ReadinessRules } from './readiness.js';
export type { ReplayResult } from './replay.js';
export { replayPolicy } from './replay.js';
export { clopperPearsonUpper, wilsonUpper } from './stats.js';
export { describe as describeBreach, JUDGE_ACTOR } from './step.js';
export type {
  Action,
  ActionResult,
  CriterionEvidence,
  CriterionStatus,
  FullCompareRecord,
  FullCompareState,
  JudgeInput,
  JudgeResult,
  JudgeSample,
  Reset,
  SoakEvent,
  SoakState,
  Transition,
  Verdict,
} from './types.js';
export { verdictOf } from './verdict.js';
export type {
  ActionType,
  AlarmState,
  Milestone,
  SoakStateName,
  TransitionKind,
  TransitionMeaning,
} from './vocabulary.js';
export {
  ACTIONS,
  ALARM_EVENT_TYPES,
  ALARM_STATES,
  SOAK_STATES,
  TRANSITIONS,
  transitionMeaning,
} from './vocabulary.js';
