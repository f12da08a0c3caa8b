/**
 * Ids and metric names the judge's verdict uses for evidence that is not a configured criterion. A
 * configured criterion id is letters, digits, `_ . -` (src/config), so the `:` ids cannot collide; the
 * others are reserved and refused as criterion ids.
 */

/** The verdict's entry for an offline tenant's full compare (replication phase). */
export const FULL_COMPARE_CRITERION_ID = 'full-compare';
/** The metric the full compare's entry reports: confirmed mismatches of the last compare. */
export const FULL_COMPARE_METRIC = 'fullCompareMismatches';

/** Criterion ids a policy may not use (the verdict reports its own evidence under them), and what for. */
export const RESERVED_CRITERION_IDS: Readonly<Record<string, string>> = {
  [FULL_COMPARE_CRITERION_ID]: 'the full compare',
};

/** The verdict's entry for an open CloudWatch alarm is `alarm:<alarm name>`. */
export const ALARM_EVIDENCE_PREFIX = 'alarm:';
/** The metric an open alarm's entry reports. */
export const ALARM_METRIC = 'CloudWatchAlarm';
