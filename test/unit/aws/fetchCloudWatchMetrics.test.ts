import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsError, fetchCloudWatchMetrics } from '../../../src/aws/index.js';

const cw = mockClient(CloudWatchClient);
afterEach(() => cw.reset());

const T0 = Date.parse('2025-03-01T10:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000);
const memory = {
  id: 'cw-memory',
  metric: 'cloudwatch:DatabaseMemoryUsagePercentage',
  stat: 'Maximum',
  periodSeconds: 60,
  namespace: 'AWS/ElastiCache',
};
const lag = { ...memory, id: 'cw-lag', metric: 'cloudwatch:ReplicationLag' };

describe('fetchCloudWatchMetrics', () => {
  it('queries each member cluster and keeps the highest node for a Maximum', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'q0', Values: [71, 60], Timestamps: [at(-1), at(-2)] },
        { Id: 'q1', Values: [80], Timestamps: [at(-1)] },
      ],
    });

    const out = await fetchCloudWatchMetrics(new CloudWatchClient({}), {
      replicationGroupId: 'acme',
      cacheClusterIds: ['acme-0001-001', 'acme-0001-002'],
      criteria: [memory],
      from: T0 - 5 * 60_000,
      to: T0,
    });

    expect(out).toEqual({ 'cloudwatch:DatabaseMemoryUsagePercentage': 80 });
    const input = cw.commandCalls(GetMetricDataCommand)[0]?.args[0].input;
    expect(input?.StartTime).toEqual(at(-5));
    expect(input?.EndTime).toEqual(at(0));
    expect(input?.MetricDataQueries?.[1]).toEqual({
      Id: 'q1',
      MetricStat: {
        Metric: {
          Namespace: 'AWS/ElastiCache',
          MetricName: 'DatabaseMemoryUsagePercentage',
          Dimensions: [{ Name: 'CacheClusterId', Value: 'acme-0001-002' }],
        },
        Period: 60,
        Stat: 'Maximum',
      },
      ReturnData: true,
    });
  });

  it('takes the latest datapoint whatever order CloudWatch returns them in', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'q0', Values: [10, 30, 20], Timestamps: [at(-3), at(-1), at(-2)] }],
    });

    const out = await fetchCloudWatchMetrics(new CloudWatchClient({}), {
      replicationGroupId: 'acme',
      criteria: [memory],
      from: T0 - 5 * 60_000,
      to: T0,
    });

    expect(out['cloudwatch:DatabaseMemoryUsagePercentage']).toBe(30);
    const dims =
      cw.commandCalls(GetMetricDataCommand)[0]?.args[0].input.MetricDataQueries?.[0]?.MetricStat?.Metric
        ?.Dimensions;
    expect(dims).toEqual([{ Name: 'ReplicationGroupId', Value: 'acme' }]);
  });

  it('returns null, not 0, for a metric without datapoints', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'q0', Values: [], Timestamps: [] },
        { Id: 'q1', Values: [], Timestamps: [], StatusCode: 'InternalError' },
      ],
    });

    const out = await fetchCloudWatchMetrics(new CloudWatchClient({}), {
      replicationGroupId: 'acme',
      criteria: [memory, lag],
      from: T0 - 5 * 60_000,
      to: T0,
    });

    expect(out).toEqual({
      'cloudwatch:DatabaseMemoryUsagePercentage': null,
      'cloudwatch:ReplicationLag': null,
    });
  });

  it('follows NextToken pages and sums nodes for a Sum', async () => {
    cw.on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [{ Id: 'q0', Values: [2], Timestamps: [at(-1)] }],
        NextToken: 'page-2',
      })
      .resolvesOnce({ MetricDataResults: [{ Id: 'q1', Values: [3], Timestamps: [at(-1)] }] });

    const out = await fetchCloudWatchMetrics(new CloudWatchClient({}), {
      replicationGroupId: 'acme',
      cacheClusterIds: ['acme-0001-001', 'acme-0002-001'],
      criteria: [{ ...memory, metric: 'cloudwatch:Evictions', stat: 'Sum' }],
      from: T0 - 5 * 60_000,
      to: T0,
    });

    expect(out).toEqual({ 'cloudwatch:Evictions': 5 });
    expect(cw.commandCalls(GetMetricDataCommand)[1]?.args[0].input.NextToken).toBe('page-2');
  });

  it('ignores criteria that are not cloudwatch metrics and makes no call for none', async () => {
    const out = await fetchCloudWatchMetrics(new CloudWatchClient({}), {
      replicationGroupId: 'acme',
      criteria: [{ ...memory, metric: 'targetMemoryPct' }],
      from: T0 - 5 * 60_000,
      to: T0,
    });

    expect(out).toEqual({});
    expect(cw.commandCalls(GetMetricDataCommand)).toHaveLength(0);
  });

  it('wraps a CloudWatch failure in an AwsError naming the group and keeping the cause', async () => {
    const cause = new Error('Throttling');
    cw.on(GetMetricDataCommand).rejects(cause);

    const error = await fetchCloudWatchMetrics(new CloudWatchClient({}), {
      replicationGroupId: 'acme',
      criteria: [memory],
      from: T0 - 5 * 60_000,
      to: T0,
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsError);
    expect((error as AwsError).message).toBe('could not read CloudWatch metrics of replication group acme');
    expect((error as AwsError).operation).toBe('GetMetricData');
    expect((error as AwsError).cause).toBe(cause);
  });
});
