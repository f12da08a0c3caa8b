import type { CloudWatchClient, MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { Criterion } from '../config/index.js';
import { importNamed } from '../util/importNamed.js';
import { AwsError } from './errors.js';

/** A `cloudwatch:<MetricName>` criterion's query: statistic, period and namespace. */
export interface CloudWatchQuery {
  id: string;
  /** `cloudwatch:<MetricName>`, e.g. `cloudwatch:DatabaseMemoryUsagePercentage`. */
  metric: string;
  stat: string;
  periodSeconds: number;
  namespace: string;
}

export interface FetchCloudWatchOptions {
  replicationGroupId: string;
  /**
   * The group's member clusters (`DescribeReplicationGroups` MemberClusters, see
   * `describeReplicationGroup`). ElastiCache publishes node-based metrics per `CacheClusterId`; with
   * these ids each node is queried and the nodes are combined. Without them the query uses the
   * `ReplicationGroupId` dimension, which only metrics published at group level carry.
   */
  cacheClusterIds?: readonly string[];
  criteria: readonly CloudWatchQuery[];
  /** Epoch ms. */
  from: number;
  to: number;
}

const PREFIX = 'cloudwatch:';

/**
 * What a `cloudwatch:` criterion asks of CloudWatch when it names no `cloudwatch:` block of its own:
 * the worst node's maximum over one-minute periods of ElastiCache's namespace.
 */
export const CLOUDWATCH_DEFAULTS = {
  stat: 'Maximum',
  periodSeconds: 60,
  namespace: 'AWS/ElastiCache',
} as const;

/** The GetMetricData query of each criterion: its own statistic, period and namespace, else the defaults. */
export function cloudWatchQueries(criteria: readonly Criterion[]): CloudWatchQuery[] {
  return criteria.map((c) => ({
    id: c.id,
    metric: c.metric,
    stat: c.cloudwatch?.stat ?? CLOUDWATCH_DEFAULTS.stat,
    periodSeconds: c.cloudwatch?.periodSeconds ?? CLOUDWATCH_DEFAULTS.periodSeconds,
    namespace: c.cloudwatch?.namespace ?? CLOUDWATCH_DEFAULTS.namespace,
  }));
}

/**
 * How far back a tick asks CloudWatch: three of the longest period, so the latest datapoint is there
 * even though CloudWatch publishes a period some time after it ends.
 */
export function cloudWatchLookbackMs(criteria: readonly Criterion[]): number {
  const periods = cloudWatchQueries(criteria).map((q) => q.periodSeconds);
  return Math.max(CLOUDWATCH_DEFAULTS.periodSeconds, ...periods) * 1000 * 3;
}
// GetMetricData takes at most 500 queries per request.
export const MAX_QUERIES_PER_CALL = 500;

/** One metric of one group as planned: its statistic (how nodes combine) and its queries' ids. */
export interface PlannedMetric {
  metric: string;
  stat: string;
  queryIds: string[];
}

/**
 * The GetMetricData queries of one group's `cloudwatch:` metrics: one per node (per `CacheClusterId`)
 * when the members are known, else one through the `ReplicationGroupId` dimension. `nextId` names each
 * query: ids must be unique within a call (a round shares one namer across tenants). Pure.
 */
export function planGroupQueries(
  opts: Pick<FetchCloudWatchOptions, 'replicationGroupId' | 'cacheClusterIds' | 'criteria'>,
  nextId: () => string,
): { queries: MetricDataQuery[]; planned: PlannedMetric[] } {
  const nodes = opts.cacheClusterIds?.length ? opts.cacheClusterIds : undefined;
  const queries: MetricDataQuery[] = [];
  const planned: PlannedMetric[] = [];
  for (const c of opts.criteria) {
    if (!c.metric.startsWith(PREFIX) || planned.some((p) => p.metric === c.metric)) continue;
    const metricName = c.metric.slice(PREFIX.length);
    const dimensions = nodes
      ? nodes.map((node) => [{ Name: 'CacheClusterId', Value: node }])
      : [[{ Name: 'ReplicationGroupId', Value: opts.replicationGroupId }]];
    const queryIds = dimensions.map((Dimensions) => {
      const Id = nextId();
      queries.push({
        Id,
        MetricStat: {
          Metric: { Namespace: c.namespace, MetricName: metricName, Dimensions },
          Period: c.periodSeconds,
          Stat: c.stat,
        },
        ReturnData: true,
      });
      return Id;
    });
    planned.push({ metric: c.metric, stat: c.stat, queryIds });
  }
  return { queries, planned };
}

/** Query ids as GetMetricData wants them: a lowercase letter first, then only letters, digits and _. */
export function queryNamer(): () => string {
  let n = 0;
  return () => `q${n++}`;
}

/** The latest datapoint of each query id. */
export type LatestDatapoints = Map<string, { at: number; value: number }>;

/**
 * GetMetricData over `queries` (at most 500 per call; paged by NextToken), the latest finite datapoint
 * of each query kept in `into`. Throws the SDK's error as is: the callers say what could not be read.
 */
export async function readLatestDatapoints(
  client: CloudWatchClient,
  queries: readonly MetricDataQuery[],
  window: { from: number; to: number },
  into: LatestDatapoints = new Map(),
): Promise<LatestDatapoints> {
  // Imported at use: a function's module init loads no SDK package (the client is built lazily too).
  const GetMetricDataCommand = importNamed(
    await import('@aws-sdk/client-cloudwatch'),
    'GetMetricDataCommand',
  );
  for (let i = 0; i < queries.length; i += MAX_QUERIES_PER_CALL) {
    let nextToken: string | undefined;
    do {
      const out = await client.send(
        new GetMetricDataCommand({
          MetricDataQueries: queries.slice(i, i + MAX_QUERIES_PER_CALL),
          StartTime: new Date(window.from),
          EndTime: new Date(window.to),
          NextToken: nextToken,
        }),
      );
      for (const r of out.MetricDataResults ?? []) {
        if (!r.Id) continue;
        const values = r.Values ?? [];
        const stamps = r.Timestamps ?? [];
        values.forEach((value, k) => {
          const at = stamps[k]?.getTime() ?? Number.NEGATIVE_INFINITY;
          const seen = into.get(r.Id as string);
          if (Number.isFinite(value) && (!seen || at > seen.at)) into.set(r.Id as string, { at, value });
        });
      }
      nextToken = out.NextToken;
    } while (nextToken);
  }
  return into;
}

/**
 * Each planned metric's value from the latest datapoints: nodes combined by the statistic; no datapoint
 * on any node is `null` — no data, never 0. Pure.
 */
export function combinePlanned(
  planned: readonly PlannedMetric[],
  latest: LatestDatapoints,
): Record<string, number | null> {
  const result: Record<string, number | null> = {};
  for (const p of planned) {
    const values = p.queryIds.flatMap((id) => {
      const v = latest.get(id);
      return v ? [v.value] : [];
    });
    result[p.metric] = values.length === 0 ? null : combine(p.stat, values);
  }
  return result;
}

/**
 * Reads the latest datapoint of each `cloudwatch:<Name>` metric of a replication group with
 * GetMetricData. Per node, combined across nodes: `Minimum` → the lowest node, `Sum` → the total,
 * every other statistic → the highest node (the worst for "above threshold" criteria). Nodes without
 * datapoints are left out (a primary publishes no ReplicationLag); a metric with no datapoint on any
 * node is `null` — no data, never 0. When two criteria name the same metric, the first one's stat wins.
 */
export async function fetchCloudWatchMetrics(
  client: CloudWatchClient,
  opts: FetchCloudWatchOptions,
): Promise<Record<string, number | null>> {
  const { queries, planned } = planGroupQueries(opts, queryNamer());
  let latest: LatestDatapoints;
  try {
    latest = await readLatestDatapoints(client, queries, { from: opts.from, to: opts.to });
  } catch (error) {
    throw new AwsError(
      `could not read CloudWatch metrics of replication group ${opts.replicationGroupId}`,
      'GetMetricData',
      { cause: error },
    );
  }
  return combinePlanned(planned, latest);
}

function combine(stat: string, values: number[]): number {
  if (stat === 'Minimum') return Math.min(...values);
  if (stat === 'Sum') return values.reduce((a, b) => a + b, 0);
  return Math.max(...values);
}
