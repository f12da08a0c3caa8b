import { cloudWatchLookbackMs, cloudWatchQueries } from '../aws/cloudwatch.js';
import type { TenantMetricsPlan } from '../aws/cloudwatchRound.js';
import type { Criterion, TenantConfig } from '../config/index.js';
import type { SoakEvent } from '../events/types.js';
import { CLOUDWATCH_PREFIX } from '../metrics/index.js';
import { type TenantTask, taskEventsSchema, taskMetricsSchema } from './fanout.js';

/*
 * The round's shared AWS reads (docs/scaling.md, "Where the first limit is"): the dispatcher reads
 * GetMetricData and DescribeEvents once for every tenant of the round and hands each tenant its part in
 * its task. Pure: what to read, and what each task carries; the reads are src/aws's, the wiring
 * src/runtime/roundReads.ts.
 */

/** A tenant's `cloudwatch:` criteria, both phases: what its tick reads (or is handed) every round. */
export function cloudWatchCriteriaOf(tenant: TenantConfig): Criterion[] {
  const policy = tenant.soak;
  return [...policy.replication.criteria, ...policy.soak.criteria].filter((c) =>
    c.metric.startsWith(CLOUDWATCH_PREFIX),
  );
}

/**
 * How far back the round's DescribeEvents reads, in rounds: a tenant whose watermark is older (it missed
 * that many rounds) reads for itself from its watermark once, then catches up with the round.
 */
export const ROUND_EVENTS_WINDOW_ROUNDS = 5;

/** The round's DescribeEvents window: the rounds it covers up to the round's time. */
export function roundEventsWindow(now: number, roundMs: number): { since: number; until: number } {
  return { since: now - ROUND_EVENTS_WINDOW_ROUNDS * roundMs, until: now };
}

/**
 * Every tenant's share of the round's GetMetricData: its queries (per member cluster when `membersOf`
 * knows the group's members), over the window its own tick would read. Tenants without `cloudwatch:`
 * criteria or a replication group read nothing.
 */
export function roundMetricsPlans(
  tenants: readonly TenantConfig[],
  now: number,
  membersOf: (groupId: string) => readonly string[] | undefined,
): TenantMetricsPlan[] {
  return tenants.flatMap((tenant) => {
    const criteria = cloudWatchCriteriaOf(tenant);
    const group = tenant.target.replicationGroupId;
    if (criteria.length === 0 || !group) return [];
    const cacheClusterIds = membersOf(group);
    return [
      {
        tenantId: tenant.id,
        replicationGroupId: group,
        ...(cacheClusterIds ? { cacheClusterIds } : {}),
        criteria: cloudWatchQueries(criteria),
        from: now - cloudWatchLookbackMs(criteria),
        to: now,
      },
    ];
  });
}

/**
 * The task with its share of the round's reads. A part that does not fit the task's schema (more
 * events than a task carries, a field too long) is left out: the tenant then reads it itself, as
 * without the round's read — a task is never refused for what the dispatcher added.
 */
export function withRoundReads(
  task: TenantTask,
  reads: {
    metrics?: Record<string, number | null>;
    /** No values this round, and why (a throttled call): the tenant then reads none of its own. */
    metricsUnavailable?: string;
    events?: { since: number; until: number; items: readonly SoakEvent[] };
  },
): TenantTask {
  const out: TenantTask = { ...task };
  if (reads.metrics || reads.metricsUnavailable) {
    const parsed = taskMetricsSchema.safeParse({
      readAt: task.now,
      values: reads.metrics ?? {},
      ...(reads.metricsUnavailable ? { unavailable: reads.metricsUnavailable.slice(0, 500) } : {}),
    });
    if (parsed.success) out.cloudwatch = parsed.data;
  }
  if (reads.events) {
    const parsed = taskEventsSchema.safeParse(reads.events);
    if (parsed.success) out.events = parsed.data;
  }
  return out;
}
