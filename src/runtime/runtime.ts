import type { EventBridgeEvent, SNSEvent } from 'aws-lambda';
import { type Config, loadConfig } from '../config/index.js';
import {
  type ElastiCacheTenant,
  groupsToRefresh,
  type ParsedEvents,
  parseAlarmStateChange,
  parseElastiCacheNotification,
} from '../events/index.js';
import { logger, metrics } from '../observability/index.js';
import { runTick as runTickWith, type TickDeps, type TickReport } from '../tick/index.js';
import { type Clients, memberCacheOf, openClients, tickDeps } from './deps.js';
import { readEnv } from './env.js';
import { MEMBER_REFRESH_MIN_MS, type MemberCache } from './members.js';

/** What a Lambda container keeps between invocations. */
export interface Runtime {
  config: Config;
  clients: Clients;
  deps: TickDeps;
  /** Member clusters of the tenants' replication groups (from AWS); absent where there is no AWS. */
  members?: MemberCache;
}

let runtime: Promise<Runtime> | undefined;

/** The configuration of this process: the file from SOAKWATCH_CONFIG, with the environment's overrides. */
export function configFromEnv(): Config {
  const env = readEnv();
  const config = loadConfig(env.SOAKWATCH_CONFIG);
  return {
    ...config,
    stateStore: {
      ...config.stateStore,
      ...(env.SOAKWATCH_STATE_URL ? { url: env.SOAKWATCH_STATE_URL } : {}),
    },
    notifications: {
      ...config.notifications,
      ...(env.SOAKWATCH_ALERT_TOPIC_ARN ? { alertTopicArn: env.SOAKWATCH_ALERT_TOPIC_ARN } : {}),
      ...(env.SOAKWATCH_RELEASE_TOPIC_ARN ? { releaseTopicArn: env.SOAKWATCH_RELEASE_TOPIC_ARN } : {}),
    },
  };
}

/** The runtime of this container, built once (config, state store, connection pool, AWS clients). */
export function getRuntime(): Promise<Runtime> {
  runtime ??= build().catch((error: unknown) => {
    // A failed cold start must not poison the container: the next invocation tries again.
    runtime = undefined;
    throw error;
  });
  return runtime;
}

async function build(): Promise<Runtime> {
  const config = configFromEnv();
  const clients = await openClients(config);
  const members = memberCacheOf(clients, logger);
  return {
    config,
    clients,
    members,
    deps: tickDeps(config, clients, logger, { aws: true, metrics, members }),
  };
}

/** One tick, as the scheduled Lambda runs it. */
export async function runTick(rt: Runtime, opts: { now?: number; tenantId?: string }): Promise<TickReport> {
  let report: TickReport;
  try {
    report = await runTickWith(rt.deps, {
      now: opts.now ?? Date.now(),
      ...(opts.tenantId ? { tenantId: opts.tenantId } : {}),
    });
  } catch (error) {
    // Loud: the invocation fails (the tick-errors alarm) and the metric says why nothing was judged.
    metrics.addMetric('TickFailures', 'Count', 1);
    logger.error('tick failed: nothing was judged', {
      error: error instanceof Error ? error.message : String(error),
    });
    throw error;
  }
  for (const t of report.tenants) {
    metrics.addMetric(t.ok ? 'TenantTicks' : 'TenantTickErrors', 'Count', 1);
  }
  // The watcher is itself watched: the no-samples alarm reads SamplesJudged (service dimension only), so
  // a tick that judges nothing — samples refused, duplicates, nothing collected — emits 0, and a tick
  // that never gets here emits nothing: both alarm. SamplesCollected stays for the dashboard.
  const count = (keep: (t: TickReport['tenants'][number]) => boolean) => report.tenants.filter(keep).length;
  metrics.addMetric(
    'SamplesCollected',
    'Count',
    count((t) => t.sample !== undefined),
  );
  metrics.addMetric(
    'SamplesJudged',
    'Count',
    count((t) => t.judged === true),
  );
  metrics.addMetric(
    'FutureSamples',
    'Count',
    count((t) => t.futureSample !== undefined),
  );
  return report;
}

type EventsInput =
  | { kind: 'elasticache'; event: SNSEvent }
  | { kind: 'alarm'; event: EventBridgeEvent<'CloudWatch Alarm State Change', unknown> };

/**
 * Records ElastiCache notifications or CloudWatch alarm changes as tenant events (the next tick judges them).
 * ElastiCache events are matched by the groups' member clusters (read from AWS, cached; a node named like
 * a member but not listed re-reads the list once), or by ElastiCache's node naming when AWS cannot be read.
 * Malformed or unknown input is logged, counted and acknowledged: throwing would only make it retry.
 */
export async function ingestEvents(
  rt: Runtime,
  input: EventsInput,
): Promise<{ accepted: number; rejected: number }> {
  let parsed: ParsedEvents;
  if (input.kind === 'elasticache') {
    let tenants = await elastiCacheTenants(rt);
    parsed = parseElastiCacheNotification(input.event, tenants);
    const stale = new Set(
      parsed.rejected.flatMap((r) => (r.sourceId ? groupsToRefresh(r.sourceId, tenants) : [])),
    );
    if (stale.size > 0 && rt.members) {
      tenants = await elastiCacheTenants(rt, stale);
      parsed = parseElastiCacheNotification(input.event, tenants);
    }
  } else {
    const tenants = rt.config.tenants.map((t) => ({
      id: t.id,
      ...(t.alarmPrefix ? { alarmPrefix: t.alarmPrefix } : {}),
    }));
    parsed = parseAlarmStateChange(input.event, tenants);
  }
  let accepted = 0;
  for (const { tenant, event } of parsed.events) {
    if (await rt.clients.store.appendEvent(tenant, event)) accepted++;
  }
  for (const r of parsed.rejected)
    logger.warn('event rejected', { kind: input.kind, reason: r.reason, raw: r.raw });
  metrics.addMetric('EventsAccepted', 'Count', accepted);
  metrics.addMetric('EventsRejected', 'Count', parsed.rejected.length);
  return { accepted, rejected: parsed.rejected.length };
}

/** The tenants with their groups' member clusters where known; `refresh` groups are re-read if a minute old. */
function elastiCacheTenants(rt: Runtime, refresh?: ReadonlySet<string>): Promise<ElastiCacheTenant[]> {
  const members = rt.members;
  return Promise.all(
    rt.config.tenants.map(async (t) => {
      const group = t.target.replicationGroupId;
      if (!group) return { id: t.id };
      const ids = members
        ? await members.get(group, refresh?.has(group) ? MEMBER_REFRESH_MIN_MS : undefined)
        : undefined;
      return { id: t.id, replicationGroupId: group, ...(ids ? { memberClusters: ids } : {}) };
    }),
  );
}
