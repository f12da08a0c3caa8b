import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import pLimit from 'p-limit';
import { planCloudWatchRound, readCloudWatchRound } from '../aws/cloudwatchRound.js';
import { type DescribedEvents, eventsOfGroup, readElastiCacheEvents } from '../aws/elasticacheEvents.js';
import { MEMBER_CACHE_MS, MEMBER_REFRESH_MIN_MS, type MemberCache } from '../aws/members.js';
import { listMemberClusters, memberCacheOf } from '../aws/replicationGroup.js';
import type { Config } from '../config/index.js';
import type { SoakEvent } from '../events/types.js';
import {
  cloudWatchCriteriaOf,
  roundEventsWindow,
  roundMetricsPlans,
  withRoundReads,
} from '../tick/roundReads.js';
import type { Log } from '../tick/types.js';
import { importNamed } from '../util/importNamed.js';
import type { RoundReadReport, RoundReads } from './fanout.js';
import { lazyClient } from './lazyClient.js';

/*
 * The round's shared AWS reads, for the dispatcher (both its paths: fanned out and in-process): one
 * GetMetricData per 500 queries of the whole round and one DescribeEvents (per source type, paged) for
 * every group, each tenant's part handed to it in its task (docs/scaling.md, "Where the first limit is").
 * What cannot be read here, each tenant reads for itself as before: nothing is lost, only not shared.
 */

export interface RoundReaderDeps {
  cloudwatch: CloudWatchClient;
  elasticache: ElastiCacheClient;
  members: MemberCache;
  log: Log;
  clock: () => number;
  /** How long the round waits for member lists (default ROUND_MEMBERS_BUDGET_MS). */
  membersBudgetMs?: number;
  /**
   * Every group's member lists in one listing (DescribeReplicationGroups, 100 a page), used from
   * LIST_MEMBERS_FROM groups on instead of one read per group; absent: one read per group.
   */
  listMembers?: () => Promise<Map<string, string[]>>;
}

/** GetMetricData calls in flight at once: the region's 50 TPS quota is shared with the rest of the account. */
export const ROUND_METRIC_CALLS_IN_FLIGHT = 8;
// DescribeReplicationGroups in flight while the round's member lists are (re)read.
const MEMBER_READS_IN_FLIGHT = 16;
/**
 * How long the round waits for its groups' member lists (cached 10 min; a cold dispatcher of thousands
 * of groups needs longer). The reads go on, so a later round has them. Groups not known by then: below
 * LIST_MEMBERS_FROM groups their tenants read their own this round; from it on (a fleet whose own reads
 * would be thousands of calls at once, against the account's shared quotas) they shed — their
 * `cloudwatch:` metrics are no data this round with the cause, their events come from the round's
 * DescribeEvents matched by ElastiCache's node naming, and their ticks make neither call.
 */
export const ROUND_MEMBERS_BUDGET_MS = 3_000;

/** From this many groups in a round, their member lists come from one listing of every group. */
export const LIST_MEMBERS_FROM = 20;
// The listing is redone before the lists it gave age past the cache's 10 min, so that a round never
// falls back to one read per group while it runs.
const LIST_MEMBERS_EVERY_MS = MEMBER_CACHE_MS - 2 * 60_000;

/**
 * The round's reads over these clients. Never throws: the round is not lost to its optimization — on
 * anything unforeseen the tasks go out as they were and every tenant reads its own.
 */
export function createRoundReader(deps: RoundReaderDeps): RoundReads {
  const read = readRound(deps);
  return async (config, tasks) => {
    try {
      return await read(config, tasks);
    } catch (error) {
      deps.log.warn('the round’s reads failed: each tenant reads its own', {
        error: error instanceof Error ? error.message : String(error),
      });
      return { tasks, report: emptyReport() };
    }
  };
}

function emptyReport(): RoundReadReport {
  return {
    getMetricDataCalls: 0,
    failedGetMetricDataCalls: 0,
    throttledGetMetricDataCalls: 0,
    tenantsWithMetrics: 0,
    tenantsThrottled: 0,
    tenantsAwaitingMembers: 0,
    tenantsReadingOwnMetrics: 0,
    eventsRead: false,
    tenantsWithEvents: 0,
    durationMs: 0,
  };
}

function readRound(deps: RoundReaderDeps): RoundReads {
  // The listing of every group's members: started by a round, awaited within its budget, kept running
  // for the next round when it takes longer (thousands of groups are tens of pages).
  let listing: { startedAt: number; running: Promise<void> | undefined } | undefined;
  const listAll = (groups: number): Promise<void> | undefined => {
    const list = deps.listMembers;
    const prime = deps.members.prime?.bind(deps.members);
    if (!list || !prime || groups < LIST_MEMBERS_FROM) return undefined;
    const now = deps.clock();
    if (listing?.running) return listing.running;
    if (listing && now - listing.startedAt < LIST_MEMBERS_EVERY_MS) return undefined;
    const started = { startedAt: now, running: undefined as Promise<void> | undefined };
    started.running = list().then(
      (lists) => {
        prime(lists);
        started.running = undefined;
      },
      (error: unknown) => {
        // Given up for this round: the groups are read one by one, the listing tried again next round.
        deps.log.warn('could not list the replication groups’ members: reading them one by one', {
          error: error instanceof Error ? error.message : String(error),
        });
        listing = undefined;
      },
    );
    listing = started;
    return started.running;
  };
  return async (config, tasks) => {
    const started = deps.clock();
    const report = emptyReport();
    const now = tasks[0]?.now;
    const inRound = new Set(tasks.map((t) => t.tenantId));
    const tenants = config.tenants.filter((t) => inRound.has(t.id) && t.target.replicationGroupId);
    // No replication group, nothing to read: a local or offline fleet makes no AWS call at all.
    if (now === undefined || tenants.length === 0) return { tasks, report };

    const groups = [...new Set(tenants.map((t) => t.target.replicationGroupId as string))];
    const members = await membersWithin(
      deps.members,
      groups,
      deps.membersBudgetMs ?? ROUND_MEMBERS_BUDGET_MS,
      listAll(groups.length),
    );
    const known = tenants.filter((t) => members.has(t.target.replicationGroupId as string));
    // A large fleet sheds what the round could not plan (see ROUND_MEMBERS_BUDGET_MS).
    const shed = groups.length >= LIST_MEMBERS_FROM;
    const watched = new Set(tenants.filter((t) => cloudWatchCriteriaOf(t).length > 0).map((t) => t.id));
    const awaiting = shed
      ? tenants.filter((t) => watched.has(t.id) && !members.has(t.target.replicationGroupId as string))
      : [];
    const covered = shed ? tenants : known;
    const plans = roundMetricsPlans(known, now, (group) => members.get(group));
    const window = roundEventsWindow(now, config.fleet.roundMs);
    const [metrics, described] = await Promise.all([
      readCloudWatchRound(deps.cloudwatch, planCloudWatchRound(plans), {
        concurrency: ROUND_METRIC_CALLS_IN_FLIGHT,
      }),
      readElastiCacheEvents(deps.elasticache, window).catch((error: unknown) => {
        deps.log.warn('could not read the round’s ElastiCache events: each tenant reads its own', {
          error: error instanceof Error ? error.message : String(error),
        });
        return undefined;
      }),
    ]);
    const failed = metrics.failedCalls.filter((c) => !c.throttled);
    const throttled = metrics.failedCalls.filter((c) => c.throttled);
    if (failed.length > 0)
      deps.log.warn('some of the round’s GetMetricData calls failed: their tenants read their own', {
        failedCalls: failed.length,
        tenants: metrics.failedTenants.size,
        error: failed[0]?.error,
      });
    if (throttled.length > 0)
      deps.log.warn(
        'some of the round’s GetMetricData calls were throttled: their tenants’ metrics are no data this round',
        {
          throttledCalls: throttled.length,
          tenants: metrics.throttledTenants.size,
          error: throttled[0]?.error,
        },
      );

    const eventsByGroup = described
      ? await groupEvents(described, covered, members, deps.members)
      : undefined;
    const byId = new Map(covered.map((t) => [t.id, t]));
    const unplanned = new Map(
      awaiting.map((t) => [
        t.id,
        `the members of replication group ${t.target.replicationGroupId} are not known yet this round (the dispatcher is still listing the groups)`,
      ]),
    );
    if (awaiting.length > 0)
      deps.log.warn(
        'the round does not know some groups’ members yet: their tenants’ metrics are no data this round',
        {
          tenants: awaiting.length,
          groups: new Set(awaiting.map((t) => t.target.replicationGroupId)).size,
        },
      );
    const out = tasks.map((task) => {
      const group = byId.get(task.tenantId)?.target.replicationGroupId;
      const items = group ? eventsByGroup?.get(group) : undefined;
      const values = metrics.values.get(task.tenantId);
      const unavailable = metrics.throttledTenants.get(task.tenantId) ?? unplanned.get(task.tenantId);
      return withRoundReads(task, {
        ...(values ? { metrics: values } : {}),
        ...(unavailable ? { metricsUnavailable: unavailable } : {}),
        ...(items ? { events: { ...window, items } } : {}),
      });
    });
    report.getMetricDataCalls = metrics.calls;
    report.failedGetMetricDataCalls = metrics.failedCalls.length;
    report.throttledGetMetricDataCalls = throttled.length;
    report.tenantsWithMetrics = out.filter((t) => t.cloudwatch && !t.cloudwatch.unavailable).length;
    report.tenantsThrottled = metrics.throttledTenants.size;
    report.tenantsAwaitingMembers = awaiting.length;
    report.tenantsReadingOwnMetrics = out.filter((t) => watched.has(t.tenantId) && !t.cloudwatch).length;
    report.eventsRead = described !== undefined;
    report.tenantsWithEvents = out.filter((t) => t.events).length;
    report.durationMs = deps.clock() - started;
    deps.log.info('round reads', { round: now, ...report });
    return { tasks: out, report };
  };
}

/**
 * The member lists of the groups, as far as they are known within `budgetMs`: a list AWS could not give
 * is known as undefined (ElastiCache's node naming, as a tenant's own read would use); a list being
 * re-read (older than the cache's 10 min) that does not come back in time is its last one (a node's id
 * does not change; a node added since is found by the events' re-read). A group never read before and
 * not answered in time is not known: its tenants read for themselves this round.
 */
async function membersWithin(
  cache: MemberCache,
  groups: readonly string[],
  budgetMs: number,
  listing: Promise<void> | undefined,
): Promise<Map<string, readonly string[] | undefined>> {
  const deadline = Date.now() + budgetMs;
  const within = async (work: Promise<unknown>) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
    });
    const done = await Promise.race([work.then(() => true), timeout]);
    clearTimeout(timer);
    return done;
  };
  const known = new Map<string, readonly string[] | undefined>();
  // A listing still running past the budget: the last lists only, no read per group beside it.
  if (listing && !(await within(listing))) {
    for (const group of groups) {
      const last = cache.last?.(group);
      if (last) known.set(group, last);
    }
    return known;
  }
  const limit = pLimit(MEMBER_READS_IN_FLIGHT);
  await within(
    Promise.all(
      groups.map((group) =>
        limit(async () => {
          known.set(group, await cache.get(group));
        }),
      ),
    ),
  );
  const out = new Map(known);
  for (const group of groups) {
    const last = out.has(group) ? undefined : cache.last?.(group);
    if (last) out.set(group, last);
  }
  return out;
}

/** Each group's events among the round's, once per group (tenants may share one). */
async function groupEvents(
  described: DescribedEvents,
  tenants: readonly Config['tenants'][number][],
  members: Map<string, readonly string[] | undefined>,
  cache: MemberCache,
): Promise<Map<string, SoakEvent[]>> {
  const out = new Map<string, SoakEvent[]>();
  for (const t of tenants) {
    const group = t.target.replicationGroupId as string;
    if (out.has(group)) continue;
    const memberClusters = members.get(group);
    out.set(
      group,
      await eventsOfGroup(described, {
        replicationGroupId: group,
        ...(memberClusters ? { memberClusters } : {}),
        refreshMembers: () => cache.get(group, MEMBER_REFRESH_MIN_MS),
      }),
    );
  }
  return out;
}

/**
 * The dispatcher's round reader: its own CloudWatch and ElastiCache clients and member cache, each SDK
 * imported and built at its first call (the dispatcher's module init loads none of them).
 */
export function roundReader(opts: { log: Log }): RoundReads & { destroy(): void } {
  const cloudwatch = lazyClient(
    async () => new (importNamed(await import('@aws-sdk/client-cloudwatch'), 'CloudWatchClient'))({}),
  );
  const elasticache = lazyClient(
    async () => new (importNamed(await import('@aws-sdk/client-elasticache'), 'ElastiCacheClient'))({}),
  );
  const reads = createRoundReader({
    cloudwatch,
    elasticache,
    members: memberCacheOf({ elasticache }, opts.log),
    listMembers: () => listMemberClusters(elasticache),
    log: opts.log,
    clock: Date.now,
  });
  return Object.assign(reads, {
    destroy() {
      cloudwatch.destroy();
      elasticache.destroy();
    },
  });
}
