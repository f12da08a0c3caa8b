// src/metrics — the vocabulary of measurements, shared by the config, the judge and the sampler: the
// metric catalogue (names, units, scopes, kinds, the phase that measures each), metric keys and notes,
// the `cloudwatch:` prefix and the ids the verdict reserves. A leaf: it imports nothing from the project.
export type { DerivedMetrics, MetricInfo, MetricName, MetricNotes, Phase } from './catalogue.js';
export {
  absentCauseOf,
  CLOUDWATCH_PREFIX,
  DB_SCOPE_PATTERN,
  dbOfScope,
  dbScope,
  isKnownMetric,
  isPhaseBoundDelta,
  METRIC_CATALOGUE,
  measuredOnlyIn,
  metricInfoOf,
  metricKey,
} from './catalogue.js';
export type {
  HintCode,
  MismatchDescriptor,
  MismatchFinding,
  MismatchKind,
  MismatchSummary,
  TtlClass,
} from './mismatchSummary.js';
export {
  CONCENTRATED_SHARE,
  dbLabel,
  describeMismatches,
  describePatterns,
  HINT_CODES,
  HINT_LABELS,
  KIND_LABELS,
  keyTtlOf,
  MAX_PATTERN_LENGTH,
  MAX_PATTERNS,
  MAX_TYPES,
  MISMATCH_KINDS,
  mergeMismatchSummaries,
  mismatchSummarySchema,
  parseMismatchSummary,
  summarizeMismatches,
  TTL_CLASSES,
  TTL_LABELS,
  ttlClassOf,
} from './mismatchSummary.js';
export {
  ALARM_EVIDENCE_PREFIX,
  ALARM_METRIC,
  FULL_COMPARE_CRITERION_ID,
  FULL_COMPARE_METRIC,
  RESERVED_CRITERION_IDS,
} from './reserved.js';
