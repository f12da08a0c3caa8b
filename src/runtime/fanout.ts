import pLimit from 'p-limit';
import type { Config } from '../config/index.js';
import type { ConnectionPool } from '../redis/pool.js';
import type { StateStore } from '../store/index.js';
import { CENSUS_TTL_MS, type ConnectionCensus, censusOf } from '../tick/census.js';
import { TickError } from '../tick/errors.js';
import {
  type DispatchReport,
  dispatchTasks,
  isStale,
  parseTenantTask,
  roundTasks,
  type TaskReads,
  type TenantTask,
  taskTimeoutMs,
} from '../tick/fanout.js';
import type { TenantTickReport, TickDeps, TickReport } from '../tick/types.js';
import { importNamed } from '../util/importNamed.js';
import type { MetricsSink } from './tick.js';

export { parseTenantTask };

/** Kept between the per-tenant tick's end and its function's timeout: report, release the lock, flush metrics. */
export const TASK_MARGIN_MS = 3_000;

/** What one per-tenant task did: its tick's report, or why it was not judged. */
export interface TaskReport {
  tenant: string;
  /** The round's time the task carried (the tick's `now`). */
  now: number;
  /** `stale`: started after its round was over, dropped (StaleTicksDropped). `timeout`: ran out of time. */
  outcome: 'ticked' | 'stale' | 'timeout';
  /** How late the task started after its round's time, ms (the delivery delay). */
  startDelayMs: number;
  durationMs: number;
  tenantReport?: TenantTickReport;
  /** Connections the process holds to tenants' nodes after the task (warm containers: bounded by fleet.warmTenants). */
  openConnections?: number;
}

/**
 * One tenant's tick as a task of the round — the same code whether the per-tenant Lambda or the
 * dispatcher's own process runs it. A task that starts after its round is over is dropped and counted,
 * not judged late; the tick gets until the round's end or the function's timeout less a margin.
 * Throws only what the tick throws (an unreachable state store): the invocation then fails loudly.
 */
export async function runTenantTask(
  rt: { deps: TickDeps; metrics: MetricsSink; pool?: ConnectionPool; warmTenants?: number },
  task: TenantTask,
  opts: { clock: () => number; remainingMs: number },
): Promise<TaskReport> {
  const started = opts.clock();
  const base = { tenant: task.tenantId, now: task.now, startDelayMs: Math.max(0, started - task.now) };
  if (isStale(task, started)) {
    rt.metrics.addMetric('StaleTicksDropped', 'Count', 1);
    rt.deps.log.warn('tenant tick dropped: its round is over', {
      tenant: task.tenantId,
      round: task.now,
      lateMs: started - task.roundEndsAt,
    });
    return { ...base, outcome: 'stale', durationMs: 0 };
  }
  const budget = taskTimeoutMs(task, started, opts.remainingMs, TASK_MARGIN_MS);
  const inFlight = rt.pool ? inFlightOf(rt.pool) : undefined;
  inFlight?.set(task.tenantId, (inFlight.get(task.tenantId) ?? 0) + 1);
  let outcome: 'ticked' | 'timeout' = 'ticked';
  let tenantReport: TenantTickReport | undefined;
  try {
    // Imported on first use: the dispatcher of a large fleet never ticks, and its module init must not
    // evaluate the tick's clients (SNS, CloudWatch, ElastiCache SDKs, ioredis).
    const { runTick } = await import('./tick.js');
    const report = await withTimeout(
      runTick(rt, { now: task.now, tenantId: task.tenantId, reads: readsOf(task) }),
      budget,
      () => new TaskTimeoutError(task.tenantId, budget),
    );
    tenantReport = report.tenants[0];
  } catch (error) {
    if (!(error instanceof TaskTimeoutError)) throw error;
    outcome = 'timeout';
    rt.metrics.addMetric('TenantTickTimeouts', 'Count', 1);
    rt.deps.log.error('tenant tick timed out', { tenant: task.tenantId, budgetMs: budget });
  } finally {
    const left = (inFlight?.get(task.tenantId) ?? 1) - 1;
    if (left > 0) inFlight?.set(task.tenantId, left);
    else inFlight?.delete(task.tenantId);
  }
  const out: TaskReport = {
    ...base,
    outcome,
    durationMs: opts.clock() - started,
    ...(tenantReport ? { tenantReport } : {}),
    ...(await boundConnections(rt, opts.clock())),
  };
  // One line per task: the fleet's per-tenant latency and delivery delay (Logs Insights, test/scale).
  rt.deps.log.info('tenant tick done', {
    tenant: out.tenant,
    round: task.now,
    outcome: out.outcome,
    judged: tenantReport?.judged === true,
    startDelayMs: out.startDelayMs,
    durationMs: out.durationMs,
    ...(out.openConnections !== undefined ? { openConnections: out.openConnections } : {}),
  });
  return out;
}

/** What the task carries of the round's reads (GetMetricData values, DescribeEvents). */
function readsOf(task: TenantTask): TaskReads {
  return {
    ...(task.cloudwatch ? { cloudwatch: task.cloudwatch } : {}),
    ...(task.events ? { events: task.events } : {}),
  };
}

// Tenants whose tick is running on each pool: never closed under a running tick (the dispatcher's own
// process, or an emulator running several invocations in one process, ticks several tenants at once).
const inFlightByPool = new WeakMap<ConnectionPool, Map<string, number>>();
function inFlightOf(pool: ConnectionPool): Map<string, number> {
  let map = inFlightByPool.get(pool);
  if (!map) {
    map = new Map();
    inFlightByPool.set(pool, map);
  }
  return map;
}

/** Rejects with `onTimeout()` after `ms` (the work itself is not stopped); not redis/'s, which loads ioredis. */
function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

class TaskTimeoutError extends Error {
  constructor(tenant: string, ms: number) {
    super(`the tick of ${tenant} did not finish within ${ms} ms`);
    this.name = 'TaskTimeoutError';
  }
}

/**
 * A warm container keeps the connections of its `warmTenants` most recent tenants and closes the rest:
 * each cluster then sees at most (containers × warmTenants) soakwatch clients per node. The count held
 * is reported (RedisConnectionsHeld) after every task, and per node to the census in the state store,
 * which the round sums over every container (`connectionCensus`). A census write that fails is logged,
 * never the task's failure.
 */
async function boundConnections(
  rt: { deps: TickDeps; pool?: ConnectionPool; warmTenants?: number; metrics: MetricsSink },
  now: number,
): Promise<{ openConnections?: number }> {
  const pool = rt.pool;
  if (!pool) return {};
  const busy = inFlightOf(pool);
  const idle = pool.tenants().filter((t) => !busy.has(t));
  const excess = idle.length + busy.size - (rt.warmTenants ?? Number.POSITIVE_INFINITY);
  if (excess > 0) await Promise.all(idle.slice(0, excess).map((t) => pool.closeTenant(t)));
  const byNode = pool.openConnectionsByNode();
  let open = 0;
  for (const n of byNode.values()) open += n;
  rt.metrics.addMetric('RedisConnectionsHeld', 'Count', open);
  await rt.deps.store
    .reportConnections(
      { process: pool.ledger.process, at: now, byNode: Object.fromEntries(byNode) },
      CENSUS_TTL_MS,
    )
    .catch((error: unknown) =>
      rt.deps.log.warn('connection census: report not written', {
        error: error instanceof Error ? error.message : String(error),
      }),
    );
  return { openConnections: open };
}

/**
 * Reads the census (every live container's report), sums it per node, reports the busiest node
 * (`RedisConnectionsPerNodeMax`) and the nodes above `fleet.maxConnectionsPerNode`
 * (`RedisNodesOverConnectionBound`, alarmed; a warning naming them). Never throws: a census that cannot
 * be read is logged and left out of the round's report.
 */
export async function connectionCensus(
  store: Pick<StateStore, 'connectionReports'>,
  opts: { now: number; bound: number; metrics: MetricsSink; log?: Pick<TickDeps['log'], 'warn'> },
): Promise<ConnectionCensus | undefined> {
  let census: ConnectionCensus;
  try {
    census = censusOf(await store.connectionReports(opts.now), opts.bound);
  } catch (error) {
    opts.log?.warn('connection census: not read', {
      error: error instanceof Error ? error.message : String(error),
    });
    return undefined;
  }
  opts.metrics.addMetric('RedisConnectionsPerNodeMax', 'Count', census.maxPerNode);
  opts.metrics.addMetric('RedisNodesOverConnectionBound', 'Count', census.overBound.length);
  if (census.overBound.length > 0)
    opts.log?.warn('connection census: nodes above fleet.maxConnectionsPerNode', {
      bound: census.bound,
      nodes: census.overBound,
    });
  return census;
}

/** Hands one task to a per-tenant invocation (the Lambda adapter below; a stub in tests). */
export type TaskSender = (task: TenantTask) => Promise<void>;

/**
 * Reads the round's shared AWS data (GetMetricData, DescribeEvents) and returns the tasks carrying each
 * tenant's part (src/runtime/roundReads.ts). Never throws: what it could not read, the tenants read.
 */
export type RoundReads = (
  config: Config,
  tasks: TenantTask[],
) => Promise<{ tasks: TenantTask[]; report: RoundReadReport }>;

/** What the round's shared reads did, in the round's report (and the dispatcher's log line). */
export interface RoundReadReport {
  /** GetMetricData calls of the round (each ≤ 500 queries), how many failed, and of those how many were throttled. */
  getMetricDataCalls: number;
  failedGetMetricDataCalls: number;
  throttledGetMetricDataCalls: number;
  /**
   * Tenants whose task carries GetMetricData values; tenants with `cloudwatch:` criteria left to read
   * their own (a call that failed other than by throttling, or, below 20 groups, their group's members
   * not known in time).
   */
  tenantsWithMetrics: number;
  tenantsReadingOwnMetrics: number;
  /** Tenants whose metrics are no data this round (a throttled call), reading none of their own. */
  tenantsThrottled: number;
  /** Tenants of a large fleet whose group's members the round did not know yet: no data, no read of their own. */
  tenantsAwaitingMembers: number;
  /** Whether DescribeEvents was read for the round, and how many tasks carry their tenant's events. */
  eventsRead: boolean;
  tenantsWithEvents: number;
  durationMs: number;
}

/** What a round did: fanned out, or run here (below fleet.fanOutFrom, or no per-tenant function). */
export type RoundReport = (
  | DispatchReport
  | (TickReport & { mode: 'in-process'; stale: number; timedOut: number; tasks: TaskReport[] })
) & {
  reads?: RoundReadReport;
  /** soakwatch's connections per Redis node over every container (the census), when it could be read. */
  connections?: ConnectionCensus;
};

/**
 * The scheduled tick's round. With at least `fleet.fanOutFrom` tenants and a sender, each tenant's
 * task goes to its own invocation (bounded concurrency) and the dispatcher opens no Redis at all; below
 * it, the tasks run here, four at a time, through the same `runTenantTask`.
 */
export async function runRound(
  config: Config,
  input: { now: number },
  how: {
    send?: TaskSender;
    /** Built only for the in-process path: the dispatcher of a large fleet never connects to Redis. */
    local: () => Promise<{ deps: TickDeps; metrics: MetricsSink; pool?: ConnectionPool }>;
    /** The round's shared reads, for both paths (absent: every tenant reads its own, as the CLI does). */
    reads?: RoundReads;
    /**
     * Where the fan-out round reads the connection census (a state store opened for it, on first use);
     * the in-process round reads it from its own tick's store.
     */
    census?: () => Promise<Pick<StateStore, 'connectionReports'>>;
    log?: Pick<TickDeps['log'], 'warn'>;
    metrics: MetricsSink;
    clock: () => number;
    remainingMs: () => number;
  },
): Promise<RoundReport> {
  const fleet = config.fleet;
  const planned = roundTasks(
    config.tenants.map((t) => t.id),
    input.now,
    fleet.roundMs,
  );
  const read = how.reads ? await how.reads(config, planned) : undefined;
  const tasks = read?.tasks ?? planned;
  const reads = read ? { reads: read.report } : {};
  if (how.send && tasks.length >= fleet.fanOutFrom) {
    const report = await dispatchTasks(tasks, how.send, {
      concurrency: fleet.dispatchConcurrency,
      clock: how.clock,
    });
    how.metrics.addMetric('TenantTicksDispatched', 'Count', report.dispatched);
    how.metrics.addMetric('TenantDispatchFailures', 'Count', report.failed.length);
    // Every tenant refused is a tenant unwatched this round: the dispatcher's invocation fails (its alarm).
    if (report.failed.length > 0 && report.dispatched === 0)
      throw new Error(`no tenant tick could be dispatched: ${report.failed[0]?.error ?? ''}`);
    // After the dispatch, so it never delays a tick: the containers' reports of the rounds before.
    const openCensus = how.census;
    const census = openCensus
      ? await connectionCensus(
          { connectionReports: async (at) => (await openCensus()).connectionReports(at) },
          {
            now: how.clock(),
            bound: fleet.maxConnectionsPerNode,
            metrics: how.metrics,
            ...(how.log ? { log: how.log } : {}),
          },
        )
      : undefined;
    return { ...report, ...reads, ...(census ? { connections: census } : {}) };
  }
  const started = how.clock();
  const local = await how.local();
  const limit = pLimit(IN_PROCESS_CONCURRENCY);
  const failures: unknown[] = [];
  const reports = await Promise.all(
    tasks.map((task) =>
      limit(() =>
        runTenantTask(local, task, { clock: how.clock, remainingMs: how.remainingMs() }).catch(
          (error: unknown): TaskReport => {
            failures.push(error);
            return {
              tenant: task.tenantId,
              now: task.now,
              outcome: 'ticked',
              startDelayMs: 0,
              durationMs: 0,
              tenantReport: {
                tenant: task.tenantId,
                ok: false,
                error: error instanceof Error ? error.message : String(error),
                transitions: [],
                messages: 0,
                hooks: [],
              },
            };
          },
        ),
      ),
    ),
  );
  const report = {
    mode: 'in-process' as const,
    at: input.now,
    durationMs: how.clock() - started,
    tenants: reports.flatMap((r) => (r.tenantReport ? [r.tenantReport] : [])),
    stale: reports.filter((r) => r.outcome === 'stale').length,
    timedOut: reports.filter((r) => r.outcome === 'timeout').length,
    tasks: reports,
    ...reads,
  };
  const census = await connectionCensus(local.deps.store, {
    now: how.clock(),
    bound: fleet.maxConnectionsPerNode,
    metrics: local.metrics,
    log: local.deps.log,
  });
  // As the single loop did: the state store failing fails the round loudly, after every tenant had its chance.
  if (failures.length > 0)
    throw new TickError('the state store failed during the tick', report, { cause: failures[0] });
  return { ...report, ...(census ? { connections: census } : {}) };
}

/** Tenants ticked at once in-process: each sample already fans out to every node of two clusters. */
const IN_PROCESS_CONCURRENCY = 4;

/**
 * The Lambda adapter: an asynchronous Invoke (InvocationType Event) of the per-tenant function per task.
 * The SDK is imported on first use, so the dispatcher's module init does not pay for it (and a small
 * install running in-process never loads it). AWS_ENDPOINT_URL_LAMBDA points it at serverless offline.
 * `maxSockets` is the invokes the client may have in flight: `fleet.dispatchConcurrency`.
 */
export function lambdaTaskSender(
  functionName: string,
  opts: { maxSockets: number },
): TaskSender & { destroy(): void } {
  let client: Promise<{ send: (task: TenantTask) => Promise<void>; destroy(): void }> | undefined;
  const open = async () => {
    const sdk = await import('@aws-sdk/client-lambda');
    const LambdaClient = importNamed(sdk, 'LambdaClient');
    const InvokeCommand = importNamed(sdk, 'InvokeCommand');
    // The SDK's agent keeps 50 sockets per host: past 50 the invokes would wait for a socket, and a
    // dispatchConcurrency above it would be silently capped (test/integration/dispatchSockets.test.ts).
    const agent = { maxSockets: opts.maxSockets };
    const lambda = new LambdaClient({
      maxAttempts: 2,
      requestHandler: { httpsAgent: agent, httpAgent: agent },
    });
    return {
      async send(task: TenantTask) {
        const out = await lambda.send(
          new InvokeCommand({
            FunctionName: functionName,
            InvocationType: 'Event',
            Payload: new TextEncoder().encode(JSON.stringify(task)),
          }),
        );
        if (out.StatusCode !== undefined && out.StatusCode !== 202)
          throw new Error(`invoke of ${functionName} for ${task.tenantId} answered ${out.StatusCode}`);
      },
      destroy: () => lambda.destroy(),
    };
  };
  const sender = async (task: TenantTask) => {
    client ??= open().catch((error: unknown) => {
      client = undefined;
      throw error;
    });
    await (await client).send(task);
  };
  return Object.assign(sender, {
    destroy() {
      client?.then((c) => c.destroy()).catch(() => undefined);
      client = undefined;
    },
  });
}
