/**
 * The catalogue of metrics a criterion may name. A sample derives a flat map of these
 * (`DerivedMetrics`): a number, or `null` when the sample could not see it ("no data").
 *
 * Scoped metrics carry a suffix: `keyDriftRatio@db3` is the drift of legacy db 3 against its
 * mapped target prefix. A criterion names the base metric and an optional `scope`.
 */
export interface MetricInfo {
  description: string;
  unit: 'count' | 'ratio' | 'percent' | 'ms' | 'seconds' | 'bytes' | 'per1000' | 'perMinute';
  /** The scope a criterion may pass, if any (`db<N>` for legacy dbs). */
  scope?: 'db';
  /**
   * `level`: a reading at the sample's moment. `delta`: measured over the interval since the previous
   * sample (`JudgeSample.since`), so it belongs to the phase in which that interval began.
   */
  kind: 'level' | 'delta';
  /**
   * Deltas only: judged in a new phase even when the interval began before its start. Set on the metrics
   * that count lost data: keys lost before the cutover are as lost after it, and no phase but the new one
   * is left to see them (the replication phase is over when its last interval is judged).
   */
  spansPhases?: true;
  /**
   * The one phase that measures the metric (absent: both). The heartbeat and the spot-check run only while
   * replicating; key loss on the target is read only in the soak, when nothing else compares it with legacy.
   */
  phase?: Phase;
  /**
   * Measured only while a condition holds (the fence of legacy): a sample WITHOUT the metric (absent, not
   * `null`) did not apply it. The judge shows such a window as `nodata` with this cause, and it holds
   * nothing back (no pass withheld, no soak time lost); a `null` (measured, but not seen) is no data as
   * usual.
   */
  absentCause?: string;
}

/** The two phases of a migration: replication until the cutover, then the soak. */
export type Phase = 'replication' | 'soak';

/**
 * Per metric key of a sample (scoped keys included, e.g. `persistentKeyDriftRatio@db3`), a short sentence
 * for people: why a `null` has no data (`no maxmemory on 127.0.0.1:7001`), or what a value is made of
 * (`target 5,012 within legacy 4,990–5,031 during the pass`). Rendered, never parsed back.
 */
export type MetricNotes = Record<string, string>;

export const METRIC_CATALOGUE = {
  keyDrift: {
    description:
      'Keys unaccounted for between legacy and target. Unscoped: the worst drift visible now, the larger of the live totals (INFO keyspace of the watched dbs against every target master, same sample) beyond what the writes in flight explain (legacy write rate × (CDC lag + read span)) and the worst per-db value. @db<N>: per db; live where the target holds the db at an exact INFO count, else the last completed SCAN pass of the prefix against the legacy counts seen during that pass (widened by the churn measured then), carried until the next pass; no data before the first pass',
    unit: 'count',
    scope: 'db',
    kind: 'level',
  },
  keyDriftRatio: {
    description: 'keyDrift divided by the legacy key count it was measured against (0 when both are empty)',
    unit: 'ratio',
    scope: 'db',
    kind: 'level',
  },
  persistentKeyDrift: {
    description:
      'keyDrift of the keys without expiry (expiry timing differs between the clusters), by the same rules',
    unit: 'count',
    scope: 'db',
    kind: 'level',
  },
  persistentKeyDriftRatio: {
    description: 'persistentKeyDrift divided by the legacy persistent key count it was measured against',
    unit: 'ratio',
    scope: 'db',
    kind: 'level',
  },
  legacyKeys: {
    description:
      "Keys on legacy: live INFO keyspace total of the watched dbs (@db<N>: that db), soakwatch's own keys taken out",
    unit: 'count',
    scope: 'db',
    kind: 'level',
  },
  targetKeys: {
    description:
      "Keys on the target: live INFO keyspace total of every master, soakwatch's own keys taken out (@db<N>: the db's prefix, from the last completed SCAN pass on a cluster target)",
    unit: 'count',
    scope: 'db',
    kind: 'level',
  },
  targetKeysLost: {
    description:
      "Keys that left the target since the previous sample (@db<N>: since the previous SCAN pass) beyond what TTL expiry, evictions and the application's deletes explain",
    unit: 'count',
    scope: 'db',
    kind: 'delta',
    spansPhases: true,
    phase: 'soak',
  },
  targetKeyLossRatio: {
    description: 'targetKeysLost divided by the target keys before that interval (0 when there were none)',
    unit: 'ratio',
    scope: 'db',
    kind: 'delta',
    spansPhases: true,
    phase: 'soak',
  },
  cdcLagMs: {
    description: 'End-to-end CDC lag measured with the heartbeat key (written on legacy, read on target)',
    unit: 'ms',
    kind: 'level',
    phase: 'replication',
  },
  spotCheckMismatches: {
    description: 'Confirmed spot-check mismatches in this sample (after re-checks)',
    unit: 'count',
    kind: 'level',
    phase: 'replication',
  },
  spotCheckChecked: {
    description: 'Keys spot-checked (compared on both sides) in this sample',
    unit: 'count',
    kind: 'level',
    phase: 'replication',
  },
  spotCheckMismatchRateUpper: {
    description:
      'Upper bound (95 %, Wilson) of the mismatch rate over every spot-checked key since replication began (computed by the judge from spotCheckChecked and spotCheckMismatches)',
    unit: 'ratio',
    kind: 'level',
  },
  legacyReplicationLagBytes: {
    description: 'Largest byte lag of a legacy replica (primary offset minus replica offset)',
    unit: 'bytes',
    kind: 'level',
  },
  targetReplicationLagBytes: {
    description: 'Largest byte lag of a replica inside the target cluster',
    unit: 'bytes',
    kind: 'level',
  },
  targetReplicationLinksDown: {
    description: 'Target replicas whose master link is not up',
    unit: 'count',
    kind: 'level',
  },
  targetMemoryPct: {
    description: 'Highest used_memory / maxmemory over target masters, in percent',
    unit: 'percent',
    kind: 'level',
  },
  targetFragmentation: {
    description: 'Highest mem_fragmentation_ratio over target nodes',
    unit: 'ratio',
    kind: 'level',
  },
  targetEvictions: {
    description: 'Keys evicted on the target since the previous sample',
    unit: 'count',
    kind: 'delta',
    spansPhases: true,
  },
  targetErrorRate: {
    description:
      'Error replies on the target per 1000 commands since the previous sample: 1000 × errors / max(commands, 1000)',
    unit: 'per1000',
    kind: 'delta',
  },
  targetRejectedConnections: {
    description: 'Connections rejected by the target since the previous sample',
    unit: 'count',
    kind: 'delta',
  },
  targetAclDenials: {
    description: 'ACL denials on the target since the previous sample',
    unit: 'count',
    kind: 'delta',
  },
  legacyErrorRate: {
    description:
      'Error replies on legacy per 1000 commands since the previous sample: 1000 × errors / max(commands, 1000)',
    unit: 'per1000',
    kind: 'delta',
  },
  legacyWriteOps: {
    description:
      "Replication-offset growth on the legacy primary since the previous sample, soakwatch's own writes taken out (bytes)",
    unit: 'bytes',
    kind: 'delta',
  },
  legacyCommands: {
    description: "Commands processed on legacy since the previous sample, soakwatch's own taken out",
    unit: 'count',
    kind: 'delta',
  },
  legacyAppClients: {
    description: 'Clients connected to legacy that are not soakwatch, not replicas and not the CDC tool',
    unit: 'count',
    kind: 'level',
  },
  targetWriteOps: {
    description: 'Replication-offset growth on target masters since the previous sample (bytes)',
    unit: 'bytes',
    kind: 'delta',
  },
  streamRestarts: {
    description: 'Replication streams restarted since the previous sample (replid change or a new full sync)',
    unit: 'count',
    kind: 'delta',
  },
  legacyRefusedWrites: {
    description:
      'Commands of the fenced application users the legacy primary refused since the previous sample (its ACL LOG: NOPERM); read only while legacy is fenced (`soakwatch fence`), so a forgotten writer fails the soak before legacy is gone',
    unit: 'count',
    kind: 'delta',
    // No `phase`: it is not left out by phase but by the fence (read only in the soak, while fenced).
    absentCause: 'legacy not fenced',
  },
  samplerFailures: {
    description: 'Nodes the sampler could not read in this sample (the note names them and why)',
    unit: 'count',
    kind: 'level',
  },
} as const satisfies Record<string, MetricInfo>;

export type MetricName = keyof typeof METRIC_CATALOGUE;

/** Metrics read from CloudWatch (ElastiCache's own), named `cloudwatch:<MetricName>`. */
export const CLOUDWATCH_PREFIX = 'cloudwatch:';

/** A sample's view of the catalogue: metric (with optional `@scope`) → value, `null` for no data. */
export type DerivedMetrics = Record<string, number | null>;

export function isKnownMetric(name: string): name is MetricName {
  return Object.hasOwn(METRIC_CATALOGUE, name);
}

/** The catalogue entry of a metric key (`targetEvictions`, `keyDrift@db3`); `undefined` for `cloudwatch:` and unknown keys. */
export function metricInfoOf(key: string): MetricInfo | undefined {
  const at = key.indexOf('@');
  const name = at < 0 ? key : key.slice(0, at);
  return isKnownMetric(name) ? METRIC_CATALOGUE[name] : undefined;
}

/** The key under which a (possibly scoped) metric appears in `DerivedMetrics`. */
export function metricKey(metric: string, scope?: string): string {
  return scope ? `${metric}@${scope}` : metric;
}

/** The scope of a per-db metric: `db<N>`, legacy db N. */
export const DB_SCOPE_PATTERN = /^db(\d+)$/;

/** The scope of legacy db `db`: `db3`. */
export function dbScope(db: number): string {
  return `db${db}`;
}

/** The legacy db a `db<N>` scope names; `undefined` for any other scope. */
export function dbOfScope(scope: string): number | undefined {
  const m = DB_SCOPE_PATTERN.exec(scope);
  return m ? Number(m[1]) : undefined;
}

/**
 * True for a delta metric that belongs to the phase in which its interval began: a sample at the phase
 * start measured the interval before it, so its windows start after the phase start.
 */
export function isPhaseBoundDelta(key: string): boolean {
  const info = metricInfoOf(key);
  return info?.kind === 'delta' && info.spansPhases !== true;
}

/** Why a sample without this metric key did not measure it (`legacy not fenced`); undefined for the others. */
export function absentCauseOf(key: string): string | undefined {
  return metricInfoOf(key)?.absentCause;
}

/** The phase that alone measures a metric key; `undefined` when both do (or for `cloudwatch:` and unknown keys). */
export function measuredOnlyIn(key: string): Phase | undefined {
  return metricInfoOf(key)?.phase;
}
