import { DescribeReplicationGroupsCommand, ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemberCache, MEMBER_CACHE_MS, memberCacheOf } from '../../../src/aws/index.js';

const ec = mockClient(ElastiCacheClient);
afterEach(() => ec.reset());

const silent = { warn: () => {} };

function fakeClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('the member-cluster cache', () => {
  it('reads a group once while the list is young, and again after it aged', async () => {
    const clock = fakeClock();
    let reads = 0;
    const cache = createMemberCache({
      describe: () => Promise.resolve([`acme-0001-00${++reads}`]),
      log: silent,
      clock: clock.now,
    });

    const first = await cache.get('acme');
    clock.advance(MEMBER_CACHE_MS - 1);
    const young = await cache.get('acme');
    clock.advance(1);
    const aged = await cache.get('acme');

    expect([first, young, aged]).toEqual([['acme-0001-001'], ['acme-0001-001'], ['acme-0001-002']]);
  });

  it('shares one read between concurrent callers', async () => {
    let reads = 0;
    const cache = createMemberCache({
      describe: () => {
        reads++;
        return Promise.resolve(['acme-001']);
      },
      log: silent,
    });

    await Promise.all([cache.get('acme'), cache.get('acme'), cache.get('acme')]);

    expect(reads).toBe(1);
  });

  it('keeps the last list read when AWS fails, and says so', async () => {
    const clock = fakeClock();
    const warnings: unknown[] = [];
    let fail = false;
    const cache = createMemberCache({
      describe: () => (fail ? Promise.reject(new Error('AccessDenied')) : Promise.resolve(['acme-001'])),
      log: { warn: (_m, extra) => warnings.push(extra) },
      clock: clock.now,
    });

    await cache.get('acme');
    fail = true;
    clock.advance(MEMBER_CACHE_MS);
    const stale = await cache.get('acme');

    expect(stale).toEqual(['acme-001']);
    expect(warnings).toEqual([
      { replicationGroupId: 'acme', error: 'AccessDenied', using: 'the last list read' },
    ]);
  });

  it('gives up on an AWS that does not answer, and waits a minute before asking again', async () => {
    const clock = fakeClock();
    let calls = 0;
    const cache = createMemberCache({
      describe: () => {
        calls++;
        return new Promise<string[]>(() => {});
      },
      log: silent,
      clock: clock.now,
      timeoutMs: 20,
    });

    const unknown = await cache.get('acme');
    const meanwhile = await cache.get('acme');
    clock.advance(60_000);
    const retried = cache.get('acme');
    await retried;

    expect(unknown).toBeUndefined();
    expect(meanwhile).toBeUndefined();
    expect(calls).toBe(2);
  });

  it('reads the members through DescribeReplicationGroups', async () => {
    ec.on(DescribeReplicationGroupsCommand, { ReplicationGroupId: 'acme' }).resolves({
      ReplicationGroups: [{ ReplicationGroupId: 'acme', MemberClusters: ['acme-0001-001', 'acme-0001-002'] }],
    });

    const cache = memberCacheOf({ elasticache: new ElastiCacheClient({}) }, silent);

    expect(await cache.get('acme')).toEqual(['acme-0001-001', 'acme-0001-002']);
  });
});
