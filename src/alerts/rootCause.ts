import type { FiringCriterion } from './types.js';

/**
 * The replication-stream failures that explain other criteria, most fundamental first, with their words.
 * A restarted stream or a stalled CDC makes key counts drift, spot-checks mismatch and the lag grow: on-call
 * needs the cause, not three symptoms to chase one by one.
 */
const CAUSES: readonly { metric: string; words: string }[] = [
  { metric: 'streamRestarts', words: 'replication stream restarted' },
  { metric: 'targetReplicationLinksDown', words: 'replication link down' },
  { metric: 'cdcLagMs', words: 'CDC stalled' },
];

/** Metrics that a replication-stream failure produces by itself (the lag too, when it is not the cause). */
const SYMPTOMS = new Set([
  'keyDrift',
  'keyDriftRatio',
  'persistentKeyDrift',
  'persistentKeyDriftRatio',
  'spotCheckMismatches',
  'spotCheckMismatchRateUpper',
  'cdcLagMs',
]);

export interface RootCause {
  /** The criterion that names the cause. */
  cause: FiringCriterion;
  /** The cause in words (`CDC stalled`). */
  words: string;
  /** How long it has fired (ms), when known. */
  forMs: number | null;
  /** Criteria firing because of it: folded into the cause's alert. */
  symptoms: FiringCriterion[];
}

/**
 * The replication failure behind this tick's firing criteria, if one fires and explains at least one other;
 * undefined otherwise (nothing to fold: each criterion is its own line). Pure.
 */
export function rootCauseOf(firing: readonly FiringCriterion[], now: number): RootCause | undefined {
  for (const { metric, words } of CAUSES) {
    const cause = firing.find((f) => f.metric === metric);
    if (!cause) continue;
    const symptoms = firing.filter((f) => f !== cause && SYMPTOMS.has(f.metric));
    if (symptoms.length === 0) return undefined;
    return { cause, words, forMs: cause.since === null ? null : Math.max(0, now - cause.since), symptoms };
  }
  return undefined;
}
