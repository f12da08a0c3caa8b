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
}

export const METRIC_CATALOGUE = {
  keyDrift: {
    description: 'Absolute difference of key counts, legacy db(s) against mapped target prefix(es)',
    unit: 'count',
    scope: 'db',
  },
  keyDriftRatio: {
    description: 'keyDrift divided by the legacy key count (0 when both are empty)',
    unit: 'ratio',
    scope: 'db',
  },
  persistentKeyDrift: {
    description: 'Drift of keys without expiry (expiry timing differs between the clusters)',
    unit: 'count',
    scope: 'db',
  },
  persistentKeyDriftRatio: {
    description: 'persistentKeyDrift divided by the legacy persistent key count',
    unit: 'ratio',
    scope: 'db',
  },
  legacyKeys: { description: 'Keys on legacy (watched dbs)', unit: 'count', scope: 'db' },
  targetKeys: { description: 'Keys on target (mapped prefixes, or total)', unit: 'count', scope: 'db' },
  cdcLagMs: {
    description: 'End-to-end CDC lag measured with the heartbeat key (written on legacy, read on target)',
    unit: 'ms',
  },
  spotCheckMismatches: {
    description: 'Confirmed spot-check mismatches in this sample (after re-checks)',
    unit: 'count',
  },
  spotCheckChecked: {
    description: 'Keys spot-checked (compared on both sides) in this sample',
    unit: 'count',
  },
  spotCheckMismatchRateUpper: {
    description:
      'Upper bound (95 %, Wilson) of the mismatch rate over every spot-checked key since replication began (computed by the judge from spotCheckChecked and spotCheckMismatches)',
    unit: 'ratio',
  },
  legacyReplicationLagBytes: {
    description: 'Largest byte lag of a legacy replica (primary offset minus replica offset)',
    unit: 'bytes',
  },
  targetReplicationLagBytes: {
    description: 'Largest byte lag of a replica inside the target cluster',
    unit: 'bytes',
  },
  targetReplicationLinksDown: {
    description: 'Target replicas whose master link is not up',
    unit: 'count',
  },
  targetMemoryPct: {
    description: 'Highest used_memory / maxmemory over target masters, in percent',
    unit: 'percent',
  },
  targetFragmentation: { description: 'Highest mem_fragmentation_ratio over target nodes', unit: 'ratio' },
  targetEvictions: { description: 'Keys evicted on the target since the previous sample', unit: 'count' },
  targetErrorRate: {
    description: 'Error replies on the target per 1000 commands processed since the previous sample',
    unit: 'per1000',
  },
  targetRejectedConnections: {
    description: 'Connections rejected by the target since the previous sample',
    unit: 'count',
  },
  targetAclDenials: { description: 'ACL denials on the target since the previous sample', unit: 'count' },
  legacyErrorRate: {
    description: 'Error replies on legacy per 1000 commands processed since the previous sample',
    unit: 'per1000',
  },
  legacyWriteOps: {
    description:
      "Replication-offset growth on the legacy primary since the previous sample, soakwatch's own writes taken out (bytes)",
    unit: 'bytes',
  },
  legacyCommands: {
    description: "Commands processed on legacy since the previous sample, soakwatch's own taken out",
    unit: 'count',
  },
  legacyAppClients: {
    description: 'Clients connected to legacy that are not soakwatch, not replicas and not the CDC tool',
    unit: 'count',
  },
  targetWriteOps: {
    description: 'Replication-offset growth on target masters since the previous sample (bytes)',
    unit: 'bytes',
  },
  streamRestarts: {
    description: 'Replication streams restarted in this sample (replid change or a new full sync)',
    unit: 'count',
  },
  samplerFailures: { description: 'Nodes the sampler could not read in this sample', unit: 'count' },
} as const satisfies Record<string, MetricInfo>;

export type MetricName = keyof typeof METRIC_CATALOGUE;

/** Metrics read from CloudWatch (ElastiCache's own), named `cloudwatch:<MetricName>`. */
export const CLOUDWATCH_PREFIX = 'cloudwatch:';

/** A sample's view of the catalogue: metric (with optional `@scope`) → value, `null` for no data. */
export type DerivedMetrics = Record<string, number | null>;

export function isKnownMetric(name: string): name is MetricName {
  return Object.hasOwn(METRIC_CATALOGUE, name);
}

/** The key under which a (possibly scoped) metric appears in `DerivedMetrics`. */
export function metricKey(metric: string, scope?: string): string {
  return scope ? `${metric}@${scope}` : metric;
}
