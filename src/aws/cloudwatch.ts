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
const MAX_QUERIES = 500;

interface Planned {
  metric: string;
  stat: string;
  queryIds: string[];
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
  const nodes = opts.cacheClusterIds?.length ? opts.cacheClusterIds : undefined;
  const queries: MetricDataQuery[] = [];
  const planned: Planned[] = [];
  for (const c of opts.criteria) {
    if (!c.metric.startsWith(PREFIX) || planned.some((p) => p.metric === c.metric)) continue;
    const metricName = c.metric.slice(PREFIX.length);
    const dimensions = nodes
      ? nodes.map((node) => [{ Name: 'CacheClusterId', Value: node }])
      : [[{ Name: 'ReplicationGroupId', Value: opts.replicationGroupId }]];
    const queryIds = dimensions.map((Dimensions) => {
      // Query ids must start with a lowercase letter and hold only letters, digits and _.
      const Id = `q${queries.length}`;
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

  const latest = new Map<string, { at: number; value: number }>();
  try {
    // Imported at use: a function's module init loads no SDK package (the client is built lazily too).
    const GetMetricDataCommand = importNamed(
      await import('@aws-sdk/client-cloudwatch'),
      'GetMetricDataCommand',
    );
    for (let i = 0; i < queries.length; i += MAX_QUERIES) {
      let nextToken: string | undefined;
      do {
        const out = await client.send(
          new GetMetricDataCommand({
            MetricDataQueries: queries.slice(i, i + MAX_QUERIES),
            StartTime: new Date(opts.from),
            EndTime: new Date(opts.to),
            NextToken: nextToken,
          }),
        );
        for (const r of out.MetricDataResults ?? []) {
          if (!r.Id) continue;
          const values = r.Values ?? [];
          const stamps = r.Timestamps ?? [];
          values.forEach((value, k) => {
            const at = stamps[k]?.getTime() ?? Number.NEGATIVE_INFINITY;
            const seen = latest.get(r.Id as string);
            if (Number.isFinite(value) && (!seen || at > seen.at)) latest.set(r.Id as string, { at, value });
          });
        }
        nextToken = out.NextToken;
      } while (nextToken);
    }
  } catch (error) {
    throw new AwsError(
      `could not read CloudWatch metrics of replication group ${opts.replicationGroupId}`,
      'GetMetricData',
      { cause: error },
    );
  }

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

function combine(stat: string, values: number[]): number {
  if (stat === 'Minimum') return Math.min(...values);
  if (stat === 'Sum') return values.reduce((a, b) => a + b, 0);
  return Math.max(...values);
}
