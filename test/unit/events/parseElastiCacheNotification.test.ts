import { describe, expect, it } from 'vitest';
import {
  groupsToRefresh,
  isNamedMemberOf,
  parseElastiCacheNotification,
  tenantForSource,
  tenantsForSource,
} from '../../../src/events/index.js';

const tenants = [
  { id: 'acme', replicationGroupId: 'acme' },
  { id: 'acme-eu', replicationGroupId: 'acme-eu' },
  { id: 'globex', replicationGroupId: 'globex-prod' },
  { id: 'initech' },
];

function snsEvent(message: string, messageId = 'm-1', timestamp = '2025-03-01T10:00:00.000Z') {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        Sns: { MessageId: messageId, Timestamp: timestamp, Message: message, TopicArn: 'arn:aws:sns:x' },
      },
    ],
  };
}

describe('parseElastiCacheNotification', () => {
  it('maps a failover on a member cluster to the tenant owning the replication group', () => {
    const event = snsEvent('{"ElastiCache:FailoverComplete":"acme-0001-001"}');

    const out = parseElastiCacheNotification(event, tenants);

    expect(out.rejected).toEqual([]);
    expect(out.events).toEqual([
      {
        tenant: 'acme',
        event: {
          at: Date.parse('2025-03-01T10:00:00.000Z'),
          type: 'ElastiCache:FailoverComplete',
          source: 'elasticache',
          id: 'm-1:ElastiCache:FailoverComplete',
          detail: 'acme-0001-001',
          sourceId: 'acme-0001-001',
        },
      },
    ]);
  });

  it('prefers the longest matching replication group id', () => {
    const out = parseElastiCacheNotification(
      snsEvent('{"ElastiCache:NodeReplaceStarted":"acme-eu-0002-003"}'),
      tenants,
    );

    expect(out.events.map((e) => e.tenant)).toEqual(['acme-eu']);
  });

  it('matches an event on the replication group itself', () => {
    const out = parseElastiCacheNotification(
      snsEvent('{"ElastiCache:ReplicationGroupScalingFailed":"globex-prod"}'),
      tenants,
    );

    expect(out.events.map((e) => e.tenant)).toEqual(['globex']);
  });

  it('does not match a group id that is only a string prefix of another group', () => {
    const out = parseElastiCacheNotification(
      snsEvent('{"ElastiCache:FailoverComplete":"acme2-0001-001"}'),
      tenants,
    );

    expect(out.events).toEqual([]);
    expect(out.rejected[0]?.reason).toMatch(/acme2-0001-001: no tenant/);
  });

  it('rejects a message that is not JSON without throwing', () => {
    const out = parseElastiCacheNotification(snsEvent('hello'), tenants);

    expect(out.events).toEqual([]);
    expect(out.rejected).toEqual([{ reason: 'SNS message m-1 is not JSON', raw: 'hello' }]);
  });

  it('rejects JSON that is not keyed by ElastiCache event names', () => {
    const out = parseElastiCacheNotification(snsEvent('{"foo":"acme-0001-001"}'), tenants);

    expect(out.rejected[0]?.reason).toMatch(/not an ElastiCache notification/);
  });

  it('rejects something that is not an SNS event, truncating the raw input', () => {
    const huge = { Records: 'x'.repeat(5_000) };

    const out = parseElastiCacheNotification(huge, tenants);

    expect(out.rejected[0]?.reason).toMatch(/^not an SNS event: Records/);
    expect(out.rejected[0]?.raw.length).toBeLessThan(600);
  });

  it('keeps the good records of a batch and rejects the bad ones', () => {
    const event = {
      Records: [
        snsEvent('{"ElastiCache:FailoverComplete":"acme-0001-001"}', 'a').Records[0],
        snsEvent('not json', 'b').Records[0],
        snsEvent('{"ElastiCache:CacheNodeReplaceStarted":"globex-prod-0001-002"}', 'c').Records[0],
      ],
    };

    const out = parseElastiCacheNotification(event, tenants);

    expect(out.events.map((e) => e.event.id)).toEqual([
      'a:ElastiCache:FailoverComplete',
      'c:ElastiCache:CacheNodeReplaceStarted',
    ]);
    expect(out.rejected).toHaveLength(1);
  });
});

describe('tenantForSource', () => {
  it('ignores tenants without a replication group id', () => {
    expect(tenantForSource('initech-0001-001', tenants)).toBeUndefined();
  });
});

describe('matching an event to tenants by its source', () => {
  const staging = [
    { id: 'acme', replicationGroupId: 'acme' },
    { id: 'other', replicationGroupId: 'other' },
  ];

  it.each([
    'acme-staging',
    'acme-staging-001',
    'acme-staging-0001-001',
    'acme-0001',
    'acme-01',
    'acme-0001-01',
    'acme-x001',
  ])('never gives tenant acme an event on %s by name (members unknown)', (sourceId) => {
    const out = parseElastiCacheNotification(
      snsEvent(`{"ElastiCache:CacheNodesRebooted":"${sourceId}"}`),
      staging,
    );

    expect(out.events).toEqual([]);
    expect(out.rejected[0]?.sourceId).toBe(sourceId);
  });

  it.each(['acme-001', 'acme-0003-002'])(
    'gives tenant acme an event on %s, named like its node, while its members are unknown',
    (sourceId) => {
      expect(tenantsForSource(sourceId, staging)).toEqual(['acme']);
    },
  );

  it('matches listed member clusters exactly once they are known, whatever their names', () => {
    const known = [
      { id: 'acme', replicationGroupId: 'acme', memberClusters: ['acme-0001-001', 'legacy-primary'] },
    ];

    expect(tenantsForSource('legacy-primary', known)).toEqual(['acme']);
    expect(tenantsForSource('acme-0001-001', known)).toEqual(['acme']);
    // A standalone cache cluster someone named like a node is not a member.
    expect(tenantsForSource('acme-001', known)).toEqual([]);
    expect(tenantsForSource('acme', known)).toEqual(['acme']);
  });

  it('gives the event to every tenant watching the same replication group', () => {
    const shared = [
      { id: 'billing', replicationGroupId: 'shop', memberClusters: ['shop-0001-001'] },
      { id: 'orders', replicationGroupId: 'shop', memberClusters: ['shop-0001-001'] },
      { id: 'acme', replicationGroupId: 'acme', memberClusters: ['acme-0001-001'] },
    ];

    const out = parseElastiCacheNotification(
      snsEvent('{"ElastiCache:FailoverComplete":"shop-0001-001"}'),
      shared,
    );

    expect(out.events.map((e) => e.tenant)).toEqual(['billing', 'orders']);
    expect(out.events.every((e) => e.event.sourceId === 'shop-0001-001')).toBe(true);
  });

  it('prefers an exact member over a name-only match of a tenant whose members are unknown', () => {
    const mixed = [
      { id: 'a', replicationGroupId: 'acme' },
      { id: 'b', replicationGroupId: 'acme-0001', memberClusters: ['acme-0001-001'] },
    ];

    expect(tenantsForSource('acme-0001-001', mixed)).toEqual(['b']);
  });

  it('names the groups whose member list lacks a node named like theirs (a node added since)', () => {
    const known = [
      { id: 'acme', replicationGroupId: 'acme', memberClusters: ['acme-0001-001'] },
      { id: 'unknown', replicationGroupId: 'zeta' },
    ];

    expect(groupsToRefresh('acme-0002-001', known)).toEqual(['acme']);
    expect(groupsToRefresh('acme-0001-001', known)).toEqual([]);
    expect(groupsToRefresh('acme-staging-001', known)).toEqual([]);
    // Without a list there is nothing to refresh: the naming already applies.
    expect(groupsToRefresh('zeta-001', known)).toEqual([]);
  });

  it('reads ElastiCache node naming exactly', () => {
    expect(isNamedMemberOf('acme-0001-001', 'acme')).toBe(true);
    expect(isNamedMemberOf('acme-002', 'acme')).toBe(true);
    expect(isNamedMemberOf('acme-eu-002', 'acme')).toBe(false);
    expect(isNamedMemberOf('acme-0001', 'acme')).toBe(false);
    expect(isNamedMemberOf('acme-0001-001-001', 'acme')).toBe(false);
  });
});
