import type { CloudWatchClient, MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { isThrottlingError } from '@smithy/core/retry';
import {
  type CloudWatchQuery,
  combinePlanned,
  type LatestDatapoints,
  MAX_QUERIES_PER_CALL,
  type PlannedMetric,
  planGroupQueries,
  queryNamer,
  readLatestDatapoints,
} from './cloudwatch.js';

/*
 * GetMetricData for a whole round: every tenant's `cloudwatch:` queries packed into as few calls as the
 * 500-queries-per-call limit allows, instead of one call per tenant per tick (docs/scaling.md, "Where the
 * first limit is"). Planning is pure; `readCloudWatchRound` is the one SDK call.
 */

/** One tenant's share of the round: its group, its members (when known), its queries and window. */
export interface TenantMetricsPlan {
  tenantId: string;
  replicationGroupId: string;
  cacheClusterIds?: readonly string[];
  criteria: readonly CloudWatchQuery[];
  /** Epoch ms: the tenant's lookback (its longest period × 3) before the round's time. */
  from: number;
  to: number;
}

/** One GetMetricData call of the round: one window, at most 500 queries, the tenants they belong to. */
export interface RoundCall {
  from: number;
  to: number;
  queries: MetricDataQuery[];
  tenants: string[];
}

export interface RoundPlan {
  calls: RoundCall[];
  /** Each tenant's metrics and the ids of its queries (unique across the whole round). */
  tenants: Map<string, PlannedMetric[]>;
}

/**
 * Packs every tenant's queries into calls: tenants with the same window share calls (GetMetricData has
 * one StartTime/EndTime per call), each call filled to 500 queries; a tenant's queries may span two
 * calls. Tenants on one replication group (a shared cluster, a key prefix each) asking the same metric the
 * same way share its queries. Query ids are unique across the round, so one tenant's id never answers for
 * another's. Pure.
 */
export function planCloudWatchRound(plans: readonly TenantMetricsPlan[]): RoundPlan {
  const nextId = queryNamer();
  const tenants = new Map<string, PlannedMetric[]>();
  const byWindow = new Map<string, RoundCall[]>();
  // A metric already planned for a group in a window, by how it is asked: its queries' calls.
  const asked = new Map<string, { planned: PlannedMetric; calls: RoundCall[] }>();
  for (const plan of plans) {
    const windowKey = `${plan.from}:${plan.to}`;
    let calls = byWindow.get(windowKey);
    if (!calls) {
      calls = [];
      byWindow.set(windowKey, calls);
    }
    const groupKey = `${windowKey}|${plan.replicationGroupId}|${plan.cacheClusterIds?.join(',') ?? ''}`;
    const mine: PlannedMetric[] = [];
    const used = new Set<RoundCall>();
    for (const c of plan.criteria) {
      // The first criterion of a metric wins, as in a tenant's own read.
      if (mine.some((p) => p.metric === c.metric)) continue;
      const key = `${groupKey}|${c.namespace}|${c.metric}|${c.periodSeconds}|${c.stat}`;
      let seen = asked.get(key);
      if (!seen) {
        const { queries, planned } = planGroupQueries({ ...plan, criteria: [c] }, nextId);
        const [metric] = planned;
        // Not a `cloudwatch:` metric: nothing to ask.
        if (!metric) continue;
        seen = { planned: metric, calls: [] };
        for (const query of queries) {
          let call = calls[calls.length - 1];
          if (!call || call.queries.length >= MAX_QUERIES_PER_CALL) {
            call = { from: plan.from, to: plan.to, queries: [], tenants: [] };
            calls.push(call);
          }
          call.queries.push(query);
          if (!seen.calls.includes(call)) seen.calls.push(call);
        }
        asked.set(key, seen);
      }
      mine.push(seen.planned);
      for (const call of seen.calls) used.add(call);
    }
    if (mine.length === 0) continue;
    for (const call of used) call.tenants.push(plan.tenantId);
    tenants.set(plan.tenantId, mine);
  }
  return { calls: [...byWindow.values()].flat(), tenants };
}

export interface RoundMetrics {
  /** The tenants whose every call was answered: their values, no data as `null` (never 0). */
  values: Map<string, Record<string, number | null>>;
  /** Tenants left without values because a call of theirs failed: they read for themselves. */
  failedTenants: Set<string>;
  /**
   * Tenants a call of which was throttled (after the SDK's own retries): they get no values and read
   * none of their own this round — their metrics are no data, this cause — so that throttling sheds
   * load instead of turning one refused call into one call per tenant.
   */
  throttledTenants: Map<string, string>;
  calls: number;
  failedCalls: { queries: number; error: string; throttled: boolean }[];
}

/**
 * Runs the round's calls (`concurrency` at a time: the region's GetMetricData rate is shared) and gives
 * each tenant its values. A failed call leaves its tenants without values — never 0, never another
 * round's — and the other calls' tenants keep theirs.
 */
export async function readCloudWatchRound(
  client: CloudWatchClient,
  plan: RoundPlan,
  opts: { concurrency: number },
): Promise<RoundMetrics> {
  const latest: LatestDatapoints = new Map();
  const failedTenants = new Set<string>();
  const throttledTenants = new Map<string, string>();
  const failedCalls: RoundMetrics['failedCalls'] = [];
  let next = 0;
  const worker = async () => {
    for (let call = plan.calls[next++]; call; call = plan.calls[next++]) {
      try {
        await readLatestDatapoints(client, call.queries, call, latest);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const throttled =
          error instanceof Error && isThrottlingError(error as Parameters<typeof isThrottlingError>[0]);
        for (const t of call.tenants)
          if (throttled) throttledTenants.set(t, `GetMetricData throttled for the round: ${message}`);
          else failedTenants.add(t);
        failedCalls.push({ queries: call.queries.length, error: message, throttled });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, worker));
  // A tenant with a throttled call sheds its own read even when another of its calls failed otherwise.
  for (const t of throttledTenants.keys()) failedTenants.delete(t);
  const values = new Map<string, Record<string, number | null>>();
  for (const [tenant, planned] of plan.tenants)
    if (!failedTenants.has(tenant) && !throttledTenants.has(tenant))
      values.set(tenant, combinePlanned(planned, latest));
  return { values, failedTenants, throttledTenants, calls: plan.calls.length, failedCalls };
}
