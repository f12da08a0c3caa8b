import {
  DescribeEventsCommand,
  DescribeReplicationGroupsCommand,
  ElastiCacheClient,
  type Event as ElastiCacheEvent,
} from '@aws-sdk/client-elasticache';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AwsError,
  describeElastiCacheEvents,
  describeReplicationGroup,
  elastiCacheEventType,
} from '../../../src/aws/index.js';
import { parseElastiCacheNotification } from '../../../src/events/index.js';

const ec = mockClient(ElastiCacheClient);
afterEach(() => ec.reset());

const T0 = Date.parse('2025-03-01T10:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

describe('describeElastiCacheEvents', () => {
  it('reads group and member-cluster events, paginated, normalized and oldest first', async () => {
    ec.on(DescribeEventsCommand, { SourceType: 'replication-group' }).resolves({
      Events: [
        {
          SourceIdentifier: 'acme',
          SourceType: 'replication-group',
          Message: 'Failover from master node acme-0001-001 to replica node acme-0001-002 completed',
          Date: at(-2),
        },
      ],
    });
    ec.on(DescribeEventsCommand, { SourceType: 'cache-cluster' })
      .resolvesOnce({
        Events: [
          {
            SourceIdentifier: 'acme-0001-001',
            SourceType: 'cache-cluster',
            Message: 'Recovering cache nodes 0001',
            Date: at(-3),
          },
          {
            SourceIdentifier: 'acme2-0001-001',
            SourceType: 'cache-cluster',
            Message: 'Cache node 0001 restarted',
            Date: at(-3),
          },
        ],
        Marker: 'next',
      })
      .resolvesOnce({
        Events: [
          {
            SourceIdentifier: 'other-001',
            SourceType: 'cache-cluster',
            Message: 'Cache node 0001 restarted',
            Date: at(-1),
          },
        ],
      });

    const events = await describeElastiCacheEvents(new ElastiCacheClient({}), {
      replicationGroupId: 'acme',
      since: T0 - 5 * 60_000,
      until: T0,
    });

    expect(events.map((e) => [e.type, e.detail])).toEqual([
      ['ElastiCache:CacheNodeRecoveryStarted', 'acme-0001-001: Recovering cache nodes 0001'],
      [
        'ElastiCache:FailoverComplete',
        'acme: Failover from master node acme-0001-001 to replica node acme-0001-002 completed',
      ],
    ]);
    expect(events[1]?.at).toBe(T0 - 2 * 60_000);
    expect(events[1]?.source).toBe('elasticache');
    expect(events[1]?.id).toMatch(/^describe:replication-group:acme:\d+:[0-9a-f]{12}$/);
    const calls = ec.commandCalls(DescribeEventsCommand).map((c) => c.args[0].input);
    expect(calls).toContainEqual({
      SourceType: 'replication-group',
      SourceIdentifier: 'acme',
      StartTime: at(-5),
      EndTime: at(0),
    });
    // Two pages of cache-cluster events (the SDK paginator reuses its input object, so only the last Marker shows).
    const clusterCalls = calls.filter((c) => c.SourceType === 'cache-cluster');
    expect(clusterCalls).toHaveLength(2);
    expect(clusterCalls[1]?.Marker).toBe('next');
  });

  it('keeps only the listed member clusters once the members are known, with their source ids', async () => {
    ec.on(DescribeEventsCommand, { SourceType: 'replication-group' }).resolves({ Events: [] });
    ec.on(DescribeEventsCommand, { SourceType: 'cache-cluster' }).resolves({
      Events: [
        {
          SourceIdentifier: 'acme-001',
          SourceType: 'cache-cluster',
          Message: 'Cache node 0001 restarted',
          Date: at(-4),
        },
        {
          SourceIdentifier: 'acme-staging-001',
          SourceType: 'cache-cluster',
          Message: 'Cache node 0001 restarted',
          Date: at(-3),
        },
        {
          SourceIdentifier: 'acme-0001-002',
          SourceType: 'cache-cluster',
          Message: 'Cache node 0001 restarted',
          Date: at(-2),
        },
      ],
    });

    const events = await describeElastiCacheEvents(new ElastiCacheClient({}), {
      replicationGroupId: 'acme',
      memberClusters: ['acme-0001-001', 'acme-0001-002'],
      since: T0 - 5 * 60_000,
      until: T0,
    });

    // acme-001 is named like a node of acme but is not one of its members: a standalone cluster.
    expect(events.map((e) => [e.type, e.sourceId])).toEqual([
      ['ElastiCache:CacheNodesRebooted', 'acme-0001-002'],
    ]);
  });

  it('re-reads the member list once when a node named like the group is not in it (a node added since)', async () => {
    ec.on(DescribeEventsCommand, { SourceType: 'replication-group' }).resolves({ Events: [] });
    ec.on(DescribeEventsCommand, { SourceType: 'cache-cluster' }).resolves({
      Events: [
        {
          SourceIdentifier: 'acme-0002-001',
          SourceType: 'cache-cluster',
          Message: 'Cache node 0001 restarted',
          Date: at(-2),
        },
        {
          SourceIdentifier: 'acme-0003-001',
          SourceType: 'cache-cluster',
          Message: 'Cache node 0001 restarted',
          Date: at(-1),
        },
      ],
    });
    let refreshed = 0;

    const events = await describeElastiCacheEvents(new ElastiCacheClient({}), {
      replicationGroupId: 'acme',
      memberClusters: ['acme-0001-001'],
      refreshMembers: () => {
        refreshed++;
        return Promise.resolve(['acme-0001-001', 'acme-0002-001']);
      },
      since: T0 - 5 * 60_000,
      until: T0,
    });

    expect(refreshed).toBe(1);
    expect(events.map((e) => e.sourceId)).toEqual(['acme-0002-001']);
  });

  it.each<[string, Record<string, string>, ElastiCacheEvent]>([
    [
      'a failover of the group',
      { 'ElastiCache:FailoverComplete': 'acme' },
      {
        SourceIdentifier: 'acme',
        SourceType: 'replication-group',
        Message: 'Failover to replica node acme-0001-002 completed',
      },
    ],
    [
      'a failover seen on the new primary',
      { 'ElastiCache:FailoverComplete': 'acme-0001-002' },
      {
        SourceIdentifier: 'acme-0001-002',
        SourceType: 'cache-cluster',
        Message: 'Failover from master node acme-0001-001 to replica node acme-0001-002 completed',
      },
    ],
    [
      'a node reboot',
      { 'ElastiCache:CacheNodesRebooted': 'acme-0001-001' },
      {
        SourceIdentifier: 'acme-0001-001',
        SourceType: 'cache-cluster',
        Message: 'Cache node 0001 restarted',
      },
    ],
    [
      'a node replacement',
      { 'ElastiCache:CacheNodeReplaceStarted': 'acme-0002-001' },
      {
        SourceIdentifier: 'acme-0002-001',
        SourceType: 'cache-cluster',
        Message: 'Cache node 0001 replacement started',
      },
    ],
    [
      'a test failover',
      { 'ElastiCache:TestFailoverApiCalled': 'acme' },
      {
        SourceIdentifier: 'acme',
        SourceType: 'replication-group',
        Message: 'Test Failover API called for node group 0001',
      },
    ],
  ])(
    'gives %s the same type and source id through SNS and through DescribeEvents',
    async (_, body, described) => {
      const tenants = [
        {
          id: 'acme',
          replicationGroupId: 'acme',
          memberClusters: ['acme-0001-001', 'acme-0001-002', 'acme-0002-001'],
        },
      ];
      const viaSns = parseElastiCacheNotification(
        {
          Records: [
            { Sns: { MessageId: 'm-1', Timestamp: at(-1).toISOString(), Message: JSON.stringify(body) } },
          ],
        },
        tenants,
      ).events.map((e) => e.event);
      const group = described.SourceType === 'replication-group' ? [described] : [];
      const nodes = described.SourceType === 'cache-cluster' ? [described] : [];
      ec.on(DescribeEventsCommand, { SourceType: 'replication-group' }).resolves({
        Events: group.map((e) => ({ ...e, Date: at(-1) })),
      });
      ec.on(DescribeEventsCommand, { SourceType: 'cache-cluster' }).resolves({
        Events: nodes.map((e) => ({ ...e, Date: at(-1) })),
      });

      const viaDescribe = await describeElastiCacheEvents(new ElastiCacheClient({}), {
        replicationGroupId: 'acme',
        memberClusters: tenants[0]?.memberClusters ?? [],
        since: T0 - 5 * 60_000,
        until: T0,
      });

      expect(viaSns).toHaveLength(1);
      expect(viaDescribe.map((e) => [e.type, e.sourceId])).toEqual(viaSns.map((e) => [e.type, e.sourceId]));
    },
  );

  it('gives the same id to the same event read twice', async () => {
    ec.on(DescribeEventsCommand, { SourceType: 'replication-group' }).resolves({
      Events: [{ SourceIdentifier: 'acme', SourceType: 'replication-group', Message: 'x', Date: at(-1) }],
    });
    ec.on(DescribeEventsCommand, { SourceType: 'cache-cluster' }).resolves({ Events: [] });
    const opts = { replicationGroupId: 'acme', since: T0 - 60_000, until: T0 };

    const [first] = await describeElastiCacheEvents(new ElastiCacheClient({}), opts);
    const [second] = await describeElastiCacheEvents(new ElastiCacheClient({}), opts);

    expect(first?.id).toBe(second?.id);
  });

  it('wraps an ElastiCache failure in an AwsError', async () => {
    ec.on(DescribeEventsCommand).rejects(new Error('AccessDenied'));

    const error = await describeElastiCacheEvents(new ElastiCacheClient({}), {
      replicationGroupId: 'acme',
      since: T0 - 60_000,
      until: T0,
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsError);
    expect((error as AwsError).message).toBe(
      'could not read the ElastiCache events of replication group acme',
    );
    expect((error as AwsError).cause).toBeInstanceOf(Error);
  });
});

describe('elastiCacheEventType', () => {
  it.each([
    ['Failover to replica node acme-0001-002 completed', 'ElastiCache:FailoverComplete'],
    ['Test Failover API called for node group 0001', 'ElastiCache:TestFailoverApiCalled'],
    ['Cache node 0001 replacement started', 'ElastiCache:CacheNodeReplaceStarted'],
    ['Cache node 0001 replacement completed', 'ElastiCache:CacheNodeReplaceComplete'],
    ['The replacement of cache node 0001 is scheduled', 'ElastiCache:NodeReplacementScheduled'],
    ['Finished recovery for cache nodes 0001', 'ElastiCache:CacheNodeRecoveryComplete'],
    ['Cache node 0001 restarted', 'ElastiCache:CacheNodesRebooted'],
    ['Failed to apply modification to number of node groups', 'ElastiCache:ReplicationGroupScalingFailed'],
    ['Snapshot succeeded for snapshot with ID automatic.acme-2025', 'ElastiCache:SnapshotComplete'],
    ['Replication group acme created', 'ElastiCache:CreateReplicationGroupComplete'],
    ['Something ElastiCache said', 'ElastiCache:Other'],
  ])('reads "%s" as %s', (message, type) => {
    expect(elastiCacheEventType(message, 'replication-group')).toBe(type);
  });
});

describe('describeReplicationGroup', () => {
  it('returns status, member clusters and the size of each shard', async () => {
    ec.on(DescribeReplicationGroupsCommand).resolves({
      ReplicationGroups: [
        {
          ReplicationGroupId: 'acme',
          Status: 'available',
          ClusterEnabled: true,
          MemberClusters: ['acme-0001-001', 'acme-0001-002'],
          NodeGroups: [{ NodeGroupId: '0001', NodeGroupMembers: [{}, {}] }],
        },
      ],
    });

    const info = await describeReplicationGroup(new ElastiCacheClient({}), 'acme');

    expect(info).toEqual({
      id: 'acme',
      status: 'available',
      clusterEnabled: true,
      memberClusters: ['acme-0001-001', 'acme-0001-002'],
      nodeGroups: [{ id: '0001', nodes: 2 }],
    });
  });

  it('says so when the group does not exist', async () => {
    ec.on(DescribeReplicationGroupsCommand).resolves({ ReplicationGroups: [] });

    await expect(describeReplicationGroup(new ElastiCacheClient({}), 'nope')).rejects.toThrow(
      'ElastiCache replication group nope was not found',
    );
  });
});
