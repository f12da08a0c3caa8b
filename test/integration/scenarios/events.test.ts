import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import {
  DescribeEventsCommand,
  DescribeReplicationGroupsCommand,
  ElastiCacheClient,
} from '@aws-sdk/client-elasticache';
import type { SNSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMemberCache, describeReplicationGroup } from '../../../src/aws/index.js';
import type { SoakEvent } from '../../../src/events/index.js';
import { type EventsRuntime, ingestEvents, tickDeps } from '../../../src/runtime/index.js';
import { runTick } from '../../../src/tick/index.js';
import { useStandalone } from '../../support/topologies.js';
import {
  forceCutover,
  type Harness,
  openHarness,
  quietLog,
  SECOND,
  scenarioConfig,
  type TenantInput,
} from './fixture.js';

// ElastiCache events reach the tenants whose replication group they are about, and no other: matched by
// the group's member clusters (DescribeReplicationGroups, mocked here; the store is a real Redis), by
// ElastiCache's node naming only when AWS cannot be read, never by a bare `<group>-` prefix.

const legacy = useStandalone();
const target = useStandalone();
const store = useStandalone();
const ec = mockClient(ElastiCacheClient);
// The (mocked) AWS clients a runtime with AWS would hold.
const elasticache = new ElastiCacheClient({});
const cloudwatch = new CloudWatchClient({});

const MINUTE = 60 * SECOND;
let h: Harness;
let clock = Date.now();

const MEMBERS: Record<string, string[]> = {
  acme: ['acme-0001-001', 'acme-0001-002'],
  'acme-staging': ['acme-staging-0001-001', 'acme-staging-0001-002'],
};

function mockGroups(members: Record<string, string[]> = MEMBERS) {
  ec.on(DescribeReplicationGroupsCommand).callsFake((input: { ReplicationGroupId: string }) => ({
    ReplicationGroups: [
      { ReplicationGroupId: input.ReplicationGroupId, MemberClusters: members[input.ReplicationGroupId] },
    ],
  }));
}

/** A runtime whose member cache runs on the test's clock, over the (mocked) ElastiCache client. */
function runtime(): EventsRuntime {
  const members = createMemberCache({
    describe: async (groupId) => (await describeReplicationGroup(elasticache, groupId)).memberClusters,
    log: quietLog,
    clock: () => clock,
  });
  return h.eventsRuntime(members);
}

let seq = 0;
function notification(at: number, body: Record<string, string>): { kind: 'elasticache'; event: SNSEvent } {
  seq++;
  const Sns = { MessageId: `m-${seq}`, Timestamp: new Date(at).toISOString(), Message: JSON.stringify(body) };
  return { kind: 'elasticache', event: { Records: [{ Sns }] } as unknown as SNSEvent };
}

const eventsOf = (tenantId: string) => h.clients.store.events<SoakEvent>(tenantId, 0, Date.now() + MINUTE);

beforeAll(async () => {
  const tenant = (id: string, group: string): TenantInput => ({
    id,
    legacy: { url: legacy().node.url },
    target: { url: target().node.url, replicationGroupId: group },
  });
  h = await openHarness(
    scenarioConfig(store().node.url, [
      tenant('acme', 'acme'),
      tenant('staging', 'acme-staging'),
      tenant('solo', 'solo'),
      tenant('described', 'described'),
    ]),
  );
  for (const id of ['acme', 'staging', 'solo', 'described'])
    await forceCutover(h, id, Date.now() - 5 * MINUTE);
});

afterEach(() => ec.reset());

afterAll(async () => {
  await h?.close();
  elasticache.destroy();
  cloudwatch.destroy();
});

describe('an ElastiCache notification (SNS)', () => {
  it("on acme-staging's nodes never reaches tenant acme, and does not reset its soak", async () => {
    mockGroups();
    const rt = runtime();
    const at = Date.now() - 2 * MINUTE;
    await runTick(h.deps, { now: at - SECOND, tenantId: 'acme' });

    const outcomes = [
      await ingestEvents(rt, notification(at, { 'ElastiCache:FailoverComplete': 'acme-staging' })),
      await ingestEvents(
        rt,
        notification(at + 1, { 'ElastiCache:FailoverComplete': 'acme-staging-0001-002' }),
      ),
    ];
    const tick = await runTick(h.deps, { now: at + SECOND, tenantId: 'acme' });

    expect(outcomes).toEqual([
      { accepted: 1, rejected: 0 },
      { accepted: 1, rejected: 0 },
    ]);
    expect(await eventsOf('acme')).toEqual([]);
    expect((await eventsOf('staging')).map((e) => [e.type, e.sourceId])).toEqual([
      ['ElastiCache:FailoverComplete', 'acme-staging'],
      ['ElastiCache:FailoverComplete', 'acme-staging-0001-002'],
    ]);
    expect(tick.tenants[0]?.verdict?.resets).toEqual([]);
  });

  it("is matched by ElastiCache's node naming while AWS cannot be read", async () => {
    ec.on(DescribeReplicationGroupsCommand).rejects(new Error('connect ETIMEDOUT'));
    const rt = runtime();
    const at = Date.now() - MINUTE;

    const ours = await ingestEvents(
      rt,
      notification(at, { 'ElastiCache:CacheNodesRebooted': 'solo-0002-001' }),
    );
    const lookalike = await ingestEvents(
      rt,
      notification(at, { 'ElastiCache:CacheNodesRebooted': 'solo-eu-001' }),
    );

    expect(ours).toEqual({ accepted: 1, rejected: 0 });
    expect(lookalike).toEqual({ accepted: 0, rejected: 1 });
    expect((await eventsOf('solo')).map((e) => e.sourceId)).toEqual(['solo-0002-001']);
  });

  it('re-reads the member list once for a node added since it was read', async () => {
    const members = { ...MEMBERS, acme: ['acme-0001-001'] };
    mockGroups(members);
    const rt = runtime();
    await ingestEvents(rt, notification(Date.now() - MINUTE, { 'ElastiCache:SnapshotComplete': 'acme' }));
    members.acme = ['acme-0001-001', 'acme-0002-001'];
    clock += 2 * MINUTE;

    const added = await ingestEvents(
      rt,
      notification(Date.now() - MINUTE, { 'ElastiCache:CacheNodesRebooted': 'acme-0002-001' }),
    );

    expect(added).toEqual({ accepted: 1, rejected: 0 });
    expect((await eventsOf('acme')).map((e) => e.sourceId)).toContain('acme-0002-001');
    expect(ec.commandCalls(DescribeReplicationGroupsCommand, { ReplicationGroupId: 'acme' })).toHaveLength(2);
  });
});

describe('DescribeEvents in the tick', () => {
  it("records the group's own events and its member clusters', not a look-alike's, with their source ids", async () => {
    mockGroups({ described: ['described-0001-001'] });
    const near = new Date(Date.now() - 3 * MINUTE);
    ec.on(DescribeEventsCommand, { SourceType: 'replication-group' }).resolves({
      Events: [
        {
          SourceIdentifier: 'described',
          SourceType: 'replication-group',
          Message: 'Failover to replica node described-0001-001 completed',
          Date: new Date(near.getTime() + SECOND),
        },
      ],
    });
    ec.on(DescribeEventsCommand, { SourceType: 'cache-cluster' }).resolves({
      Events: [
        {
          SourceIdentifier: 'described-0001-001',
          SourceType: 'cache-cluster',
          Message: 'Cache node 0001 restarted',
          Date: near,
        },
        {
          SourceIdentifier: 'described-001',
          SourceType: 'cache-cluster',
          Message: 'Cache node 0001 restarted',
          Date: near,
        },
        {
          SourceIdentifier: 'described-staging-0001-001',
          SourceType: 'cache-cluster',
          Message: 'Cache node 0001 restarted',
          Date: near,
        },
      ],
    });
    const rt = runtime();
    const deps = {
      ...tickDeps(
        h.config,
        { ...h.clients, aws: { cloudwatch, elasticache } },
        { log: quietLog, members: rt.members },
      ).deps,
      publish: h.deps.publish,
    };

    const report = await runTick(deps, { now: Date.now() - MINUTE, tenantId: 'described' });

    expect(report.tenants[0]?.ok).toBe(true);
    expect((await eventsOf('described')).map((e) => [e.type, e.sourceId])).toEqual([
      ['ElastiCache:CacheNodesRebooted', 'described-0001-001'],
      ['ElastiCache:FailoverComplete', 'described'],
    ]);
  });
});
