export type { DerivedMetrics, MetricInfo, MetricName, MetricNotes } from './catalogue.js';
export { CLOUDWATCH_PREFIX, isKnownMetric, METRIC_CATALOGUE, metricInfoOf, metricKey } from './catalogue.js';
export { clockCoverage } from './clock.js';
export type { Evaluation } from './criteria.js';
export { breaches, coverageFloor, evaluateCriterion } from './criteria.js';
export { JudgeInputError, SoakError } from './errors.js';
export type { FullCompareOutcome } from './fullCompare.js';
export {
  describeFullCompare,
  FULL_COMPARE_EVENT,
  FULL_COMPARE_EVIDENCE_ID,
  fullCompareEvent,
  fullCompareOf,
} from './fullCompare.js';
export {
  AUTO_CUTOVER,
  alarmName,
  applyAction,
  describe as describeBreach,
  INCIDENT_WINDOW_MS,
  initialSoakState,
  JUDGE_ACTOR,
  judgeSoak,
  phaseCriteria,
  readinessSlackMs,
  trackedMetrics,
} from './machine.js';
export type { ReplayResult } from './replay.js';
export { replayPolicy } from './replay.js';
export { clopperPearsonUpper, wilsonUpper } from './stats.js';
export type {
  Action,
  ActionResult,
  AlarmState,
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
  SoakStateName,
  Transition,
  TransitionKind,
  Verdict,
} from './types.js';
export { SOAK_STATES } from './types.js';
export { verdictOf } from './verdict.js';
