import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { planCloudWatchRound, readCloudWatchRound } from '../../../src/aws/cloudwatchRound.js';
import { createMemberCache, MEMBER_CACHE_MS } from '../../../src/aws/index.js';

const cw = mockClient(CloudWatchClient);
afterEach(() => cw.reset());

const T0 = Date.parse('2025-03-01T10:00:00Z');
const query = (metric: string, periodSeconds = 60) => ({
  id: metric,
  metric: `cloudwatch:${metric}`,
  stat: 'Maximum',
  periodSeconds,
  namespace: 'AWS/ElastiCache',
});
const nodes = (group: string, n: number) =>
  Array.from({ length: n }, (_, k) => `${group}-${String(k + 1).padStart(3, '0')}`);

describe('planCloudWatchRound', () => {
  it('fills calls to 500 queries per window, a tenant spanning two calls, ids unique across the round', () => {
    const plan = planCloudWatchRound([
      {
        tenantId: 'a',
        replicationGroupId: 'a',
        cacheClusterIds: nodes('a', 300),
        criteria: [query('CPUUtilization')],
        from: T0 - 180_000,
        to: T0,
      },
      {
        tenantId: 'b',
        replicationGroupId: 'b',
        cacheClusterIds: nodes('b', 300),
        criteria: [query('CPUUtilization')],
        from: T0 - 180_000,
        to: T0,
      },
      // A 5-minute period looks back 15 minutes: its own window, so its own call.
      {
        tenantId: 'c',
        replicationGroupId: 'c',
        criteria: [query('Evictions', 300)],
        from: T0 - 900_000,
        to: T0,
      },
      // No `cloudwatch:` metric: nothing to read.
      { tenantId: 'd', replicationGroupId: 'd', criteria: [], from: T0 - 180_000, to: T0 },
    ]);
    expect(plan.calls.map((c) => [c.queries.length, c.tenants, c.from])).toEqual([
      [500, ['a', 'b'], T0 - 180_000],
      [100, ['b'], T0 - 180_000],
      [1, ['c'], T0 - 900_000],
    ]);
    const ids = plan.calls.flatMap((c) => c.queries.map((q) => q.Id));
    expect(new Set(ids).size).toBe(601);
    expect([...plan.tenants.keys()]).toEqual(['a', 'b', 'c']);
    expect(plan.calls[2]?.queries[0]?.MetricStat?.Metric?.Dimensions).toEqual([
      { Name: 'ReplicationGroupId', Value: 'c' },
    ]);
  });

  it('shares the queries of tenants on one replication group, each still getting its values', async () => {
    const shared = (tenantId: string, stat = 'Maximum') => ({
      tenantId,
      replicationGroupId: 'shared',
      cacheClusterIds: nodes('shared', 6),
      criteria: [{ ...query('CPUUtilization'), stat }],
      from: T0 - 180_000,
      to: T0,
    });
    const plan = planCloudWatchRound([shared('a'), shared('b'), shared('c', 'Minimum')]);
    // a and b ask the same 6 queries; c's Minimum is another statistic, so 6 queries of its own.
    expect(plan.calls.map((c) => [c.queries.length, c.tenants])).toEqual([[12, ['a', 'b', 'c']]]);
    cw.on(GetMetricDataCommand).callsFake((input) => ({
      MetricDataResults: (input.MetricDataQueries ?? []).map((q: { Id?: string }, k: number) => ({
        Id: q.Id,
        Values: [k],
        Timestamps: [new Date(T0)],
      })),
    }));
    const out = await readCloudWatchRound(new CloudWatchClient({}), plan, { concurrency: 1 });
    expect(Object.fromEntries(out.values)).toEqual({
      a: { 'cloudwatch:CPUUtilization': 5 },
      b: { 'cloudwatch:CPUUtilization': 5 },
      c: { 'cloudwatch:CPUUtilization': 6 },
    });
  });

  it('gives no values to a tenant one of whose calls failed, even when its other call was answered', async () => {
    const plan = planCloudWatchRound([
      {
        tenantId: 'a',
        replicationGroupId: 'a',
        cacheClusterIds: nodes('a', 300),
        criteria: [query('CPUUtilization')],
        from: T0 - 180_000,
        to: T0,
      },
      {
        tenantId: 'b',
        replicationGroupId: 'b',
        cacheClusterIds: nodes('b', 300),
        criteria: [query('CPUUtilization')],
        from: T0 - 180_000,
        to: T0,
      },
    ]);
    cw.on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: (plan.calls[0]?.queries ?? []).map((q) => ({
          Id: q.Id,
          Values: [1],
          Timestamps: [new Date(T0)],
        })),
      })
      .rejectsOnce(new Error('Throttling'));
    const out = await readCloudWatchRound(new CloudWatchClient({}), plan, { concurrency: 1 });
    expect([...out.values.keys()]).toEqual(['a']);
    expect([...out.failedTenants]).toEqual(['b']);
    expect(out).toMatchObject({ calls: 2, failedCalls: [{ queries: 100, error: 'Throttling' }] });
  });
});

describe('the member cache for a round', () => {
  it('gives the last list read without reading, whatever its age', async () => {
    let now = 1_000_000;
    let reads = 0;
    const cache = createMemberCache({
      describe: () => Promise.resolve([`acme-00${++reads}`]),
      log: { warn: () => {} },
      clock: () => now,
    });
    expect(cache.last?.('acme')).toBeUndefined();
    await cache.get('acme');
    now += MEMBER_CACHE_MS * 3;
    expect(cache.last?.('acme')).toEqual(['acme-001']);
    expect(reads).toBe(1);
  });
});
