import { type Policy, policySchema } from '../../../src/config/schema.js';

/**
 * The shipped defaults, compressed only in time: the sample interval and every criterion window are
 * divided by the same `timeScale` (so a window holds as many samples as in production), and the two
 * phase durations shrink further so a whole migration fits in a test. Thresholds, aggregates,
 * severities, `consecutive`, coverage and resets are the defaults as they are, whatever they become.
 */
export interface Compression {
  /** Divides the sample interval and every window (60 s → 5 s with 12). */
  timeScale: number;
  /** Divides readyAfter on top of timeScale. */
  readyAfterScale: number;
  /** Divides the soak duration on top of timeScale. */
  soakScale: number;
}

/** The compression of the scenario tests: 5 s samples, 25 s / 75 s windows, 50 s readiness and soak. */
export const SCENARIO_COMPRESSION: Compression = { timeScale: 12, readyAfterScale: 6, soakScale: 432 };

/** Maps a policy onto compressed time; every other field passes through unchanged. */
export function compressPolicy(policy: Policy, c: Compression): Policy {
  const scaled = (ms: number, by: number) => Math.max(1, Math.round(ms / by));
  const windows = (criteria: Policy['replication']['criteria']) =>
    criteria.map((criterion) => ({ ...criterion, window: scaled(criterion.window, c.timeScale) }));
  return {
    ...policy,
    sampleInterval: scaled(policy.sampleInterval, c.timeScale),
    replication: {
      ...policy.replication,
      readyAfter: scaled(policy.replication.readyAfter, c.timeScale * c.readyAfterScale),
      criteria: windows(policy.replication.criteria),
    },
    soak: {
      ...policy.soak,
      duration: scaled(policy.soak.duration, c.timeScale * c.soakScale),
      criteria: windows(policy.soak.criteria),
    },
  };
}

/** The default policy as shipped, compressed. */
export function scenarioPolicy(
  c: Compression = SCENARIO_COMPRESSION,
  overrides: Partial<Policy> = {},
): Policy {
  return { ...compressPolicy(policySchema.parse({}), c), ...overrides };
}

/** A duration of the default config (not of the policy), compressed the same way (e.g. repeatEvery). */
export function compressDuration(ms: number, c: Compression = SCENARIO_COMPRESSION): number {
  return Math.max(1, Math.round(ms / c.timeScale));
}
