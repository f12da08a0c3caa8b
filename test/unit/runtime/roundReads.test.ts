import { performance } from 'node:perf_hooks';
import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import {
  DescribeEventsCommand,
  type DescribeEventsCommandInput,
  DescribeReplicationGroupsCommand,
  type DescribeReplicationGroupsCommandInput,
  ElastiCacheClient,
  type Event as ElastiCacheEvent,
} from '@aws-sdk/client-elasticache';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { planCloudWatchRound } from '../../../src/aws/cloudwatchRound.js';
import { createMemberCache, type MemberCache } from '../../../src/aws/members.js';
import { describeReplicationGroup, listMemberClusters } from '../../../src/aws/replicationGroup.js';
import { createCloudWatchReader, createElastiCacheEventsReader } from '../../../src/aws/tenantReaders.js';
import type { Config } from '../../../src/config/index.js';
import { runRound, runTenantTask } from '../../../src/runtime/fanout.js';
import { createRoundReader } from '../../../src/runtime/roundReads.js';
import { parseTenantTask, roundTasks, type TenantTask } from '../../../src/tick/fanout.js';
import { roundMetricsPlans } from '../../../src/tick/roundReads.js';
import { memoryStore } from '../../support/memoryStore.js';
import {
  compressedPolicy,
  quietLog,
  T0,
  tenantInput,
  unitConfig,
  unitTickDeps,
} from '../../support/unitTick.js';

// The round's shared AWS reads (docs/scaling.md, "Where the first limit is"): GetMetricData and
// DescribeEvents once per round for every tenant, the SDK clients stubbed by aws-sdk-client-mock.

const cw = mockClient(CloudWatchClient);
const ec = mockClient(ElastiCacheClient);
afterEach(() => {
  cw.reset();
  ec.reset();
});

const ROUND = 60_000;
const NODES = 6;
/** Each tenant's group: 3 shards × 2 nodes, `<group>-000s-00n` as ElastiCache names them. */
const nodesOf = (group: string) =>
  Array.from({ length: NODES }, (_, k) => `${group}-000${1 + Math.floor(k / 2)}-00${1 + (k % 2)}`);
const members: MemberCache = { get: (group) => Promise.resolve(nodesOf(group)) };

/** A tenant with two `cloudwatch:` criteria: 2 metrics × 6 nodes = 12 queries a round. */
function watchedTenant(id: string) {
  const policy = compressedPolicy();
  return tenantInput(id, {
    target: { url: 'redis://127.0.0.1:2', replicationGroupId: `${id}-rg` },
    soak: {
      ...policy,
      replication: {
        ...policy.replication,
        criteria: [
          ...(policy.replication?.criteria ?? []),
          {
            id: 'memory',
            metric: 'cloudwatch:DatabaseMemoryUsagePercentage',
            aggregate: 'max',
            window: '3s',
            threshold: 90,
          },
          {
            id: 'cpu-floor',
            metric: 'cloudwatch:EngineCPUUtilization',
            aggregate: 'max',
            window: '3s',
            threshold: 90,
            cloudwatch: { stat: 'Minimum' },
          },
        ],
      },
    },
  });
}
const fleet = (n: number): Config => unitConfig(Array.from({ length: n }, (_, i) => watchedTenant(`t${i}`)));

/** What CloudWatch answers for a node's metric: a value that says whose it is. */
function nodeValue(node: string, metric: string): number {
  const [, tenant = '0', shard = '0', replica = '0'] = /^t(\d+)-rg-(\d{4})-(\d{3})$/.exec(node) ?? [];
  const k = (Number(shard) - 1) * 2 + Number(replica);
  return Number(tenant) * 100 + k + (metric === 'EngineCPUUtilization' ? 0.5 : 0);
}
function answer(input: GetMetricDataCommandInput) {
  return {
    MetricDataResults: (input.MetricDataQueries ?? []).map((q: MetricDataQuery) => {
      const metric = q.MetricStat?.Metric;
      const node = metric?.Dimensions?.[0]?.Value ?? '';
      return {
        Id: q.Id,
        Values: [nodeValue(node, metric?.MetricName ?? '')],
        Timestamps: [new Date(T0 - 60_000)],
      };
    }),
  };
}
/** The values tenant `i` must get: the highest node's memory, the lowest node's CPU (its Minimum). */
const expected = (i: number) => ({
  'cloudwatch:DatabaseMemoryUsagePercentage': i * 100 + NODES,
  'cloudwatch:EngineCPUUtilization': i * 100 + 1 + 0.5,
});

const clock = () => Date.now();
const reader = () =>
  createRoundReader({
    cloudwatch: new CloudWatchClient({}),
    elasticache: new ElastiCacheClient({}),
    members,
    log: quietLog,
    clock,
  });

/** One round's reads for a fleet of `tenants`, its tasks at T0. */
function readRound(tenants: number) {
  const config = fleet(tenants);
  return reader()(
    config,
    roundTasks(
      config.tenants.map((t) => t.id),
      T0,
      ROUND,
    ),
  );
}

/**
 * A fleet of `groups` replication groups (a tenant each) whose member lists come from ElastiCache's
 * paged listing (DescribeReplicationGroups stubbed; every answer waits for `gate.hold` while it is set),
 * and a round reader over it with its clock at `clock.now`.
 */
function listedFleet(groups: number, membersBudgetMs: number, opts: { unwatchedEvery?: number } = {}) {
  const names = Array.from({ length: groups }, (_, i) => `t${i}-rg`);
  const gate: { hold: Promise<void> | undefined } = { hold: undefined };
  ec.on(DescribeReplicationGroupsCommand).callsFake(async (input: DescribeReplicationGroupsCommandInput) => {
    await gate.hold;
    if (input.ReplicationGroupId)
      return {
        ReplicationGroups: [
          { ReplicationGroupId: input.ReplicationGroupId, MemberClusters: nodesOf(input.ReplicationGroupId) },
        ],
      };
    const from = Number(input.Marker ?? 0);
    const page = names.slice(from, from + (input.MaxRecords ?? 100));
    return {
      ReplicationGroups: page.map((g) => ({ ReplicationGroupId: g, MemberClusters: nodesOf(g) })),
      ...(from + page.length < names.length ? { Marker: String(from + page.length) } : {}),
    };
  });
  const clock = { now: T0 };
  const elasticache = new ElastiCacheClient({});
  const read = createRoundReader({
    cloudwatch: new CloudWatchClient({}),
    elasticache,
    members: createMemberCache({
      describe: async (g) => (await describeReplicationGroup(elasticache, g)).memberClusters,
      log: quietLog,
      clock: () => clock.now,
    }),
    listMembers: () => listMemberClusters(elasticache),
    log: quietLog,
    clock: () => clock.now,
    membersBudgetMs,
  });
  // Every `unwatchedEvery`th tenant has a replication group but no `cloudwatch:` criterion.
  const every = opts.unwatchedEvery;
  const config = unitConfig(
    Array.from({ length: groups }, (_, i) =>
      every && i % every === 0
        ? tenantInput(`t${i}`, { target: { url: 'redis://127.0.0.1:2', replicationGroupId: `t${i}-rg` } })
        : watchedTenant(`t${i}`),
    ),
  );
  const round = () =>
    read(
      config,
      roundTasks(
        config.tenants.map((t) => t.id),
        clock.now,
        ROUND,
      ),
    );
  const describes = () => ec.commandCalls(DescribeReplicationGroupsCommand).map((c) => c.args[0].input);
  return { gate, clock, round, describes };
}

describe("the round's GetMetricData", () => {
  it('reads 1,200 tenants × 12 queries in ≤500-query calls, ids unique across tenants, each tenant exactly its values', async () => {
    cw.on(GetMetricDataCommand).callsFake(answer);
    ec.on(DescribeEventsCommand).resolves({ Events: [] });
    const { tasks, report } = await readRound(1_200);

    const calls = cw.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(Math.ceil((1_200 * 12) / 500)); // 29, against 1,200 per-tenant calls
    for (const c of calls) expect(c.MetricDataQueries?.length).toBeLessThanOrEqual(500);
    const ids = calls.flatMap((c) => (c.MetricDataQueries ?? []).map((q) => q.Id));
    expect(new Set(ids).size).toBe(1_200 * 12);
    expect(calls[0]?.StartTime).toEqual(new Date(T0 - 3 * 60_000));
    expect(calls[0]?.EndTime).toEqual(new Date(T0));
    tasks.forEach((task, i) => {
      expect(task.cloudwatch, task.tenantId).toEqual({ readAt: T0, values: expected(i) });
      // What the per-tenant invocation parses is what was sent.
      expect(parseTenantTask(JSON.parse(JSON.stringify(task)))).toEqual(task);
    });
    expect(report).toMatchObject({
      getMetricDataCalls: 29,
      failedGetMetricDataCalls: 0,
      tenantsWithMetrics: 1_200,
      tenantsReadingOwnMetrics: 0,
    });
  });

  it('a failed call leaves its tenants without values (they read their own), the others keep theirs', async () => {
    let n = 0;
    cw.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => {
      // The second call of the round fails (a service fault, the SDK's own retries already spent).
      if (n++ === 1)
        throw Object.assign(new Error('Internal service error'), {
          name: 'InternalServiceFault',
          $metadata: { httpStatusCode: 500 },
        });
      return answer(input);
    });
    ec.on(DescribeEventsCommand).resolves({ Events: [] });
    const config = fleet(100); // 1,200 queries: 500 + 500 + 200
    const { tasks, report } = await readRound(100);
    const without = tasks.filter((t) => !t.cloudwatch).map((t) => t.tenantId);
    // Call 2 held queries 500–999: tenants 41 (its last 8) to 83 (its first 4).
    expect(without).toEqual(Array.from({ length: 43 }, (_, k) => `t${41 + k}`));
    tasks.forEach((t, i) => {
      if (t.cloudwatch) expect(t.cloudwatch.values).toEqual(expected(i));
    });
    expect(report).toMatchObject({
      getMetricDataCalls: 3,
      failedGetMetricDataCalls: 1,
      tenantsWithMetrics: 57,
    });
    expect(report.tenantsReadingOwnMetrics).toBe(43);

    // The tenant's tick: values in the task → no GetMetricData of its own; none → its own read.
    const own: string[] = [];
    for (const task of [tasks[0], tasks[50]] as TenantTask[]) {
      const store = memoryStore({ now: T0 });
      const { deps } = unitTickDeps(config, store, {
        cloudwatch: (tenant) => {
          own.push(tenant.id);
          return Promise.resolve({
            'cloudwatch:DatabaseMemoryUsagePercentage': 7,
            'cloudwatch:EngineCPUUtilization': 8,
          });
        },
      });
      await runTenantTask({ deps, metrics: { addMetric: () => undefined } }, task, {
        clock: () => T0 + 1_000,
        remainingMs: 30_000,
      });
      const [judged] = await store.history<{ derived: Record<string, unknown> }>(task.tenantId, 0, T0);
      expect(judged?.derived['cloudwatch:DatabaseMemoryUsagePercentage']).toBe(
        task.cloudwatch
          ? expected(Number(task.tenantId.slice(1)))['cloudwatch:DatabaseMemoryUsagePercentage']
          : 7,
      );
    }
    expect(own).toEqual(['t50']);
  });

  it('a throttled call sheds load: its tenants read none of their own, their metrics no data with the cause', async () => {
    let n = 0;
    cw.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => {
      // The second call of the round is throttled (the SDK's own retries already spent).
      if (n++ === 1) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      return answer(input);
    });
    ec.on(DescribeEventsCommand).resolves({ Events: [] });
    const config = fleet(100); // 1,200 queries: 500 + 500 + 200
    const { tasks, report } = await readRound(100);
    const shed = tasks.filter((t) => t.cloudwatch?.unavailable).map((t) => t.tenantId);
    // Call 2 held queries 500–999: tenants 41 (its last 8) to 83 (its first 4).
    expect(shed).toEqual(Array.from({ length: 43 }, (_, k) => `t${41 + k}`));
    expect(tasks.every((t) => t.cloudwatch)).toBe(true);
    tasks.forEach((t, i) => {
      if (t.cloudwatch?.unavailable) expect(t.cloudwatch.values).toEqual({});
      else expect(t.cloudwatch?.values).toEqual(expected(i));
    });
    expect(report).toMatchObject({
      getMetricDataCalls: 3,
      failedGetMetricDataCalls: 1,
      throttledGetMetricDataCalls: 1,
      tenantsWithMetrics: 57,
      tenantsThrottled: 43,
      tenantsReadingOwnMetrics: 0,
    });
    // The shed tenant's tick makes no GetMetricData call of its own; its metrics are no data, and why.
    const task = tasks[50] as TenantTask;
    const roundTrip = parseTenantTask(JSON.parse(JSON.stringify(task)));
    const own: string[] = [];
    const store = memoryStore({ now: T0 });
    const { deps } = unitTickDeps(config, store, {
      cloudwatch: (tenant) => {
        own.push(tenant.id);
        return Promise.resolve({});
      },
    });
    await runTenantTask({ deps, metrics: { addMetric: () => undefined } }, roundTrip, {
      clock: () => T0 + 1_000,
      remainingMs: 30_000,
    });
    expect(own).toEqual([]);
    const sample = await store.latestSample<{
      derived: Record<string, unknown>;
      notes: Record<string, string>;
    }>(task.tenantId);
    expect(sample?.derived['cloudwatch:EngineCPUUtilization']).toBeNull();
    expect(sample?.notes['cloudwatch:EngineCPUUtilization']).toMatch(
      /^GetMetricData throttled for the round: Rate exceeded/,
    );
  });

  it('a metric without a datapoint is no data in the task and in the sample, never 0', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    ec.on(DescribeEventsCommand).resolves({ Events: [] });
    const config = fleet(1);
    const { tasks } = await reader()(config, roundTasks(['t0'], T0, ROUND));
    expect(tasks[0]?.cloudwatch?.values).toEqual({
      'cloudwatch:DatabaseMemoryUsagePercentage': null,
      'cloudwatch:EngineCPUUtilization': null,
    });
    const store = memoryStore({ now: T0 });
    const { deps } = unitTickDeps(config, store, {
      cloudwatch: () => Promise.reject(new Error('must not read')),
    });
    await runTenantTask({ deps, metrics: { addMetric: () => undefined } }, tasks[0] as TenantTask, {
      clock: () => T0,
      remainingMs: 30_000,
    });
    const [judged] = await store.history<{ derived: Record<string, unknown> }>('t0', 0, T0);
    expect(judged?.derived['cloudwatch:DatabaseMemoryUsagePercentage']).toBeNull();
  });

  it('values read for another time are not used: the tick reads for itself', async () => {
    const config = fleet(1);
    const [task] = roundTasks(['t0'], T0, ROUND) as [TenantTask];
    const stale = { ...task, cloudwatch: { readAt: T0 - ROUND, values: expected(0) } };
    const store = memoryStore({ now: T0 });
    let read = 0;
    const { deps } = unitTickDeps(config, store, {
      cloudwatch: () => {
        read++;
        return Promise.resolve({});
      },
    });
    await runTenantTask({ deps, metrics: { addMetric: () => undefined } }, stale, {
      clock: () => T0,
      remainingMs: 30_000,
    });
    expect(read).toBe(1);
  });

  it('does not wait past its budget for member lists: a group never read is left to its tenants, a re-read one uses its last list', async () => {
    cw.on(GetMetricDataCommand).callsFake(answer);
    ec.on(DescribeEventsCommand).resolves({ Events: [] });
    const hanging = new Promise<string[]>(() => undefined);
    const slow: MemberCache = {
      // t0's group answers; t1's was read before and is being re-read; t2's was never read.
      get: (group) => (group === 't0-rg' ? Promise.resolve(nodesOf(group)) : hanging),
      last: (group) => (group === 't1-rg' ? nodesOf(group) : undefined),
    };
    const read = createRoundReader({
      cloudwatch: new CloudWatchClient({}),
      elasticache: new ElastiCacheClient({}),
      members: slow,
      log: quietLog,
      clock,
      membersBudgetMs: 50,
    });
    const config = fleet(3);
    const { tasks, report } = await read(config, roundTasks(['t0', 't1', 't2'], T0, ROUND));
    expect(
      tasks.map((t) => [t.tenantId, t.cloudwatch?.values ?? 'own read', t.events ? 'events' : 'own read']),
    ).toEqual([
      ['t0', expected(0), 'events'],
      ['t1', expected(1), 'events'],
      ['t2', 'own read', 'own read'],
    ]);
    expect(report).toMatchObject({ tenantsWithMetrics: 2, tenantsReadingOwnMetrics: 1 });
  });

  it("lists every group's members in pages of 100 from 20 groups on, never one read per group, and again only when the lists age", async () => {
    cw.on(GetMetricDataCommand).callsFake(answer);
    ec.on(DescribeEventsCommand).resolves({ Events: [] });
    const { gate, clock, round, describes } = listedFleet(1_000, 200);
    const first = await round();
    expect(describes()).toHaveLength(10);
    expect(describes().every((d) => d.ReplicationGroupId === undefined)).toBe(true);
    expect(first.report.tenantsWithMetrics).toBe(1_000);
    // Next rounds: the lists are fresh, nothing is read; 8 min later the listing is redone, once.
    clock.now += ROUND;
    await round();
    expect(describes()).toHaveLength(10);
    clock.now = T0 + 8 * 60_000;
    // A listing slower than the round's budget: the round uses the lists it has, reads none per group.
    let release: () => void = () => undefined;
    gate.hold = new Promise((resolve) => {
      release = resolve;
    });
    const slow = await round();
    expect(slow.report.tenantsWithMetrics).toBe(1_000);
    expect(describes().filter((d) => d.ReplicationGroupId !== undefined)).toEqual([]);
    release();
    gate.hold = undefined;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(describes()).toHaveLength(20);
  });

  it('a cold dispatcher of 1,000 groups whose first listing outlasts the round sheds: no data with the cause, no read of their own', async () => {
    cw.on(GetMetricDataCommand).callsFake(answer);
    ec.on(DescribeEventsCommand).resolves({ Events: [] });
    const { gate, clock, round, describes } = listedFleet(1_000, 50, { unwatchedEvery: 4 });
    let release: () => void = () => undefined;
    gate.hold = new Promise((resolve) => {
      release = resolve;
    });
    const cold = await round();
    // Before: 1,000 ticks would each have read their group and their metrics — 2,000 calls at once.
    expect(cold.report).toMatchObject({
      getMetricDataCalls: 0,
      tenantsWithMetrics: 0,
      tenantsAwaitingMembers: 750,
      tenantsReadingOwnMetrics: 0,
      eventsRead: true,
      tenantsWithEvents: 1_000,
    });
    // A tenant without `cloudwatch:` criteria gets its events, nothing about metrics.
    expect(cold.tasks[4]?.cloudwatch).toBeUndefined();
    expect(cold.tasks[7]?.cloudwatch).toEqual({
      readAt: T0,
      values: {},
      unavailable:
        'the members of replication group t7-rg are not known yet this round (the dispatcher is still listing the groups)',
    });
    expect(describes().every((d) => !d.ReplicationGroupId)).toBe(true);
    // The listing done, the next round has every tenant's values.
    release();
    gate.hold = undefined;
    await new Promise((resolve) => setTimeout(resolve, 50));
    clock.now += ROUND;
    const warm = await round();
    expect(warm.report).toMatchObject({
      tenantsWithMetrics: 750,
      tenantsAwaitingMembers: 0,
      tenantsReadingOwnMetrics: 0,
    });
  });

  it('never loses the round to its reads: anything unforeseen sends the tasks as they were', async () => {
    const broken: MemberCache = { get: () => Promise.reject(new Error('not a member cache')) };
    const read = createRoundReader({
      cloudwatch: new CloudWatchClient({}),
      elasticache: new ElastiCacheClient({}),
      members: broken,
      log: quietLog,
      clock,
    });
    const planned = roundTasks(['t0'], T0, ROUND);
    const { tasks, report } = await read(fleet(1), planned);
    expect(tasks).toEqual(planned);
    expect(report).toMatchObject({ tenantsWithMetrics: 0, eventsRead: false });
  });

  it('makes no AWS call at all when no tenant has a replication group (local, offline)', async () => {
    const config = unitConfig([tenantInput('acme'), tenantInput('beta')]);
    const planned = roundTasks(['acme', 'beta'], T0, ROUND);
    const { tasks } = await reader()(config, planned);
    expect(tasks).toEqual(planned);
    expect(cw.calls()).toHaveLength(0);
    expect(ec.calls()).toHaveLength(0);
  });
});

/** A region's ElastiCache event log, as DescribeEvents answers from it. */
function regionEvents(log: ElastiCacheEvent[], opts: { failing?: () => boolean } = {}) {
  ec.on(DescribeEventsCommand).callsFake((input: DescribeEventsCommandInput) => {
    if (opts.failing?.()) throw Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
    const from = input.StartTime?.getTime() ?? 0;
    const to = input.EndTime?.getTime() ?? Number.POSITIVE_INFINITY;
    return {
      Events: log.filter(
        (e) =>
          e.SourceType === input.SourceType &&
          (!input.SourceIdentifier || e.SourceIdentifier === input.SourceIdentifier) &&
          (e.Date?.getTime() ?? 0) >= from &&
          (e.Date?.getTime() ?? 0) <= to,
      ),
    };
  });
}
const nodeEvent = (node: string, at: number, message = 'Cache node 0001 restarted'): ElastiCacheEvent => ({
  SourceIdentifier: node,
  SourceType: 'cache-cluster',
  Message: message,
  Date: new Date(at),
});

describe("the round's DescribeEvents", () => {
  it('is read once per round for every group (per source type, no SourceIdentifier), each tenant given only its own', async () => {
    cw.on(GetMetricDataCommand).callsFake(answer);
    regionEvents([
      nodeEvent('t3-rg-0002-001', T0 - 30_000),
      {
        SourceIdentifier: 't7-rg',
        SourceType: 'replication-group',
        Message: 'Failover to replica node t7-rg-0001-002 completed',
        Date: new Date(T0 - 20_000),
      },
      nodeEvent('t30-rg-0001-001', T0 - 10_000), // t3's group is a prefix of t30's: not t3's
      nodeEvent('other-0001-001', T0 - 10_000),
    ]);
    const { tasks, report } = await readRound(1_000);
    const calls = ec.commandCalls(DescribeEventsCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => [c.SourceType, c.SourceIdentifier])).toEqual([
      ['replication-group', undefined],
      ['cache-cluster', undefined],
    ]);
    expect(calls[0]?.StartTime).toEqual(new Date(T0 - 5 * ROUND));
    const withEvents = tasks.filter((t) => (t.events?.items.length ?? 0) > 0);
    expect(withEvents.map((t) => [t.tenantId, t.events?.items.map((e) => e.sourceId)])).toEqual([
      ['t3', ['t3-rg-0002-001']],
      ['t7', ['t7-rg']],
      ['t30', ['t30-rg-0001-001']],
    ]);
    expect(report).toMatchObject({ eventsRead: true, tenantsWithEvents: 1_000 });
  });

  it('loses no event across rounds: a failed round read, a tenant behind by more than the window, a late one', async () => {
    const log: ElastiCacheEvent[] = [];
    let failing = false;
    regionEvents(log, { failing: () => failing });
    cw.on(GetMetricDataCommand).callsFake(answer);
    const config = fleet(3);
    const store = memoryStore({ now: T0 });
    const elasticache = new ElastiCacheClient({});
    const { deps } = unitTickDeps(config, store, {
      elasticacheEvents: createElastiCacheEventsReader({ elasticache, members }),
      cloudwatch: createCloudWatchReader({ cloudwatch: new CloudWatchClient({}), members }),
    });
    const read = reader();
    const ownReads = () =>
      ec.commandCalls(DescribeEventsCommand).filter((c) => c.args[0].input.SourceIdentifier !== undefined)
        .length;
    /** One round at `now`: the dispatcher's read, then every tenant's task (only `ticked` ones). */
    const round = async (now: number, ticked = ['t0', 't1', 't2']) => {
      store.now = now;
      const { tasks } = await read(config, roundTasks(ticked, now, ROUND));
      for (const task of tasks)
        await runTenantTask({ deps, metrics: { addMetric: () => undefined } }, task, {
          clock: () => now + 1_000,
          remainingMs: 30_000,
        });
      return tasks;
    };

    log.push(nodeEvent('t0-rg-0001-001', T0 - 10_000, 'Cache node 0001 restarted'));
    // A tenant's first tick has no watermark: it looks back 15 min, further than the round's window
    // (5 rounds), so it reads for itself once; from then on the round's read covers it.
    await round(T0);
    expect(ownReads()).toBe(3);
    await round(T0 + ROUND / 2);
    expect(ownReads()).toBe(3);

    // Next round: the round's DescribeEvents fails → every tenant reads from its watermark itself.
    log.push(nodeEvent('t0-rg-0001-002', T0 + 30_000, 'Recovering cache nodes 0002'));
    failing = true;
    const second = await round(T0 + ROUND);
    failing = false;
    expect(second.every((t) => t.events === undefined)).toBe(true);
    // 2 of the 3 own reads ran into the same throttling (the mock fails every call): t0 catches up below.

    // t1 and t2 are not ticked for 7 rounds (more than the round's 5-round window): t1's next task
    // cannot cover its watermark and t1 reads from it itself; t0 keeps ticking with the round.
    log.push(nodeEvent('t1-rg-0002-001', T0 + 2 * ROUND + 5_000, 'Recovering cache nodes 0001'));
    for (let r = 2; r <= 8; r++) await round(T0 + r * ROUND, ['t0']);
    log.push(nodeEvent('t0-rg-0003-001', T0 + 8 * ROUND + 1_000, 'Cache node 0001 shutdown'));
    const before = ownReads();
    await round(T0 + 9 * ROUND);
    expect(ownReads() - before).toBe(2); // t1 and t2, behind by 8 rounds; t0 used the round's read
    // An event ElastiCache makes visible a round late, dated inside the round's window: still seen.
    log.push(nodeEvent('t2-rg-0001-001', T0 + 9 * ROUND - 20_000, 'Cache node 0001 restarted'));
    const lateBefore = ownReads();
    await round(T0 + 10 * ROUND);
    expect(ownReads()).toBe(lateBefore);

    const seen = async (t: string) =>
      (await store.events<{ sourceId?: string }>(t, 0, T0 + 11 * ROUND)).map((e) => e.sourceId);
    expect(await seen('t0')).toEqual(['t0-rg-0001-001', 't0-rg-0001-002', 't0-rg-0003-001']);
    expect(await seen('t1')).toEqual(['t1-rg-0002-001']);
    expect(await seen('t2')).toEqual(['t2-rg-0001-001']);
  });
});

describe('a round through runRound', () => {
  it('hands each task its reads on the fanned-out path, and in-process the ticks use them', async () => {
    cw.on(GetMetricDataCommand).callsFake(answer);
    regionEvents([nodeEvent('t1-rg-0001-001', T0 - 5_000)]);
    const config = fleet(3);
    const sent: TenantTask[] = [];
    const how = {
      reads: reader(),
      metrics: { addMetric: () => undefined },
      clock: () => T0 + 1_000,
      remainingMs: () => 55_000,
    };
    const fanned = await runRound(
      { ...config, fleet: { ...config.fleet, fanOutFrom: 1 } },
      { now: T0 },
      {
        ...how,
        send: (task) => {
          sent.push(task);
          return Promise.resolve();
        },
        local: () => Promise.reject(new Error('fanned out')),
      },
    );
    expect(fanned.reads).toMatchObject({
      getMetricDataCalls: 1,
      tenantsWithMetrics: 3,
      tenantsWithEvents: 3,
    });
    expect(sent.map((t) => t.cloudwatch?.values)).toEqual([expected(0), expected(1), expected(2)]);
    expect(sent[1]?.events?.items.map((e) => e.sourceId)).toEqual(['t1-rg-0001-001']);

    const store = memoryStore({ now: T0 });
    const own = { metrics: 0, events: 0 };
    const { deps } = unitTickDeps(config, store, {
      cloudwatch: () => {
        own.metrics++;
        return Promise.resolve({});
      },
      elasticacheEvents: () => {
        own.events++;
        return Promise.resolve([]);
      },
    });
    const inProcess = (now: number) => {
      store.now = now;
      return runRound(
        config,
        { now },
        { ...how, clock: () => now + 1_000, local: async () => ({ deps, metrics: how.metrics }) },
      );
    };
    // The tenants' first ticks read DescribeEvents themselves (no watermark yet: 15 min back, past the
    // round's window); from the next round on, neither read is their own.
    await inProcess(T0 - ROUND);
    expect(own).toEqual({ metrics: 0, events: 3 });
    cw.resetHistory();
    const local = await inProcess(T0);
    expect(local.mode).toBe('in-process');
    expect(cw.commandCalls(GetMetricDataCommand)).toHaveLength(1);
    expect(own).toEqual({ metrics: 0, events: 3 });
    const [judged] = await store.history<{ derived: Record<string, unknown> }>('t2', 0, T0);
    expect(judged?.derived['cloudwatch:DatabaseMemoryUsagePercentage']).toBe(
      expected(2)['cloudwatch:DatabaseMemoryUsagePercentage'],
    );
    expect((await store.events<{ sourceId?: string }>('t1', 0, T0)).map((e) => e.sourceId)).toEqual([
      't1-rg-0001-001',
    ]);
  });
});

describe('calls per round, before and after (measured with the mocked clients)', () => {
  it('counts GetMetricData and DescribeEvents for 1,000 and 10,000 tenants, and times the planning of 10,000', async () => {
    cw.on(GetMetricDataCommand).callsFake(answer);
    ec.on(DescribeEventsCommand).resolves({ Events: [] });
    const lines: string[] = [];
    for (const n of [1_000, 10_000]) {
      const config = fleet(n);
      const tasks = roundTasks(
        config.tenants.map((t) => t.id),
        T0,
        ROUND,
      );
      // Before: each tenant's tick read for itself (createCloudWatchReader, createElastiCacheEventsReader).
      cw.resetHistory();
      ec.resetHistory();
      const metricsOf = createCloudWatchReader({ cloudwatch: new CloudWatchClient({}), members });
      const eventsOf = createElastiCacheEventsReader({ elasticache: new ElastiCacheClient({}), members });
      for (const tenant of config.tenants) {
        const criteria = tenant.soak.replication.criteria.filter((c) => c.metric.startsWith('cloudwatch:'));
        await metricsOf(tenant, criteria, T0 - 180_000, T0);
        await eventsOf(tenant, T0 - ROUND, T0);
      }
      const before = [
        cw.commandCalls(GetMetricDataCommand).length,
        ec.commandCalls(DescribeEventsCommand).length,
      ];
      // After: the dispatcher's read of the round.
      cw.resetHistory();
      ec.resetHistory();
      const read = reader();
      const t0 = performance.now();
      const { report } = await read(config, tasks);
      const ms = performance.now() - t0;
      // The planning alone: every tenant's queries, packed into calls (what the dispatcher computes).
      const p0 = performance.now();
      const plan = planCloudWatchRound(roundMetricsPlans(config.tenants, T0, nodesOf));
      const planMs = performance.now() - p0;
      const after = [
        cw.commandCalls(GetMetricDataCommand).length,
        ec.commandCalls(DescribeEventsCommand).length,
      ];
      expect(plan.calls).toHaveLength(after[0] ?? 0);
      lines.push(
        `${n} tenants × 12 queries: GetMetricData ${before[0]} → ${after[0]} calls/round, DescribeEvents ${before[1]} → ${after[1]} calls/round; planning ${planMs.toFixed(0)} ms, the round's reads (planning + mocked calls + merge into tasks) ${ms.toFixed(0)} ms`,
      );
      expect(before).toEqual([n, 2 * n]);
      expect(after).toEqual([Math.ceil((n * 12) / 500), 2]);
      expect(report.tenantsWithMetrics).toBe(n);
    }
    // Tenants sharing clusters (a key prefix each): 10,000 tenants on 1,000 groups ask each group once.
    const sharing = unitConfig(
      Array.from({ length: 10_000 }, (_, i) => {
        const t = watchedTenant(`t${i}`);
        return { ...t, target: { ...t.target, replicationGroupId: `g${Math.floor(i / 10)}` } };
      }),
    );
    const p0 = performance.now();
    const shared = planCloudWatchRound(roundMetricsPlans(sharing.tenants, T0, nodesOf));
    lines.push(
      `10000 tenants on 1000 shared groups: GetMetricData ${shared.calls.length} calls/round; planning ${(performance.now() - p0).toFixed(0)} ms`,
    );
    expect(shared.calls).toHaveLength(Math.ceil((1_000 * 12) / 500));
    expect(shared.tenants.size).toBe(10_000);
    console.log(lines.join('\n'));
  }, 60_000);
});
