import type { EventBridgeEvent, SNSEvent } from 'aws-lambda';
import { MEMBER_REFRESH_MIN_MS, type MemberCache } from '../aws/members.js';
import type { Config } from '../config/index.js';
import {
  type ElastiCacheTenant,
  groupsToRefresh,
  type ParsedEvents,
  parseAlarmStateChange,
  parseElastiCacheNotification,
} from '../events/index.js';
import type { StateStore } from '../store/index.js';
import type { Log } from '../tick/types.js';
import type { MetricsSink } from './tick.js';

/** What an event handler uses: the tenants, the state store, and (ElastiCache events) the member cache. */
export interface EventsRuntime {
  config: Config;
  store: StateStore;
  /** The member clusters of the tenants' replication groups; NO_MEMBERS where AWS is not read. */
  members: MemberCache;
  log: Log;
  metrics: MetricsSink;
}

export type EventsInput =
  | { kind: 'elasticache'; event: SNSEvent }
  | { kind: 'alarm'; event: EventBridgeEvent<'CloudWatch Alarm State Change', unknown> };

/**
 * Records ElastiCache notifications or CloudWatch alarm changes as tenant events (the next tick judges them).
 * ElastiCache events are matched by the groups' member clusters (read from AWS, cached; a node named like
 * a member but not listed re-reads the list once), or by ElastiCache's node naming when AWS cannot be read.
 * Malformed or unknown input is logged, counted and acknowledged: throwing would only make it retry.
 */
export async function ingestEvents(
  rt: EventsRuntime,
  input: EventsInput,
): Promise<{ accepted: number; rejected: number }> {
  let parsed: ParsedEvents;
  if (input.kind === 'elasticache') {
    let tenants = await elastiCacheTenants(rt);
    parsed = parseElastiCacheNotification(input.event, tenants);
    const stale = new Set(
      parsed.rejected.flatMap((r) => (r.sourceId ? groupsToRefresh(r.sourceId, tenants) : [])),
    );
    if (stale.size > 0) {
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
    if (await rt.store.appendEvent(tenant, event)) accepted++;
  }
  for (const r of parsed.rejected)
    rt.log.warn('event rejected', { kind: input.kind, reason: r.reason, raw: r.raw });
  rt.metrics.addMetric('EventsAccepted', 'Count', accepted);
  rt.metrics.addMetric('EventsRejected', 'Count', parsed.rejected.length);
  return { accepted, rejected: parsed.rejected.length };
}

/** The tenants with their groups' member clusters where known; `refresh` groups are re-read if a minute old. */
function elastiCacheTenants(rt: EventsRuntime, refresh?: ReadonlySet<string>): Promise<ElastiCacheTenant[]> {
  return Promise.all(
    rt.config.tenants.map(async (t) => {
      const group = t.target.replicationGroupId;
      if (!group) return { id: t.id };
      const ids = await rt.members.get(group, refresh?.has(group) ? MEMBER_REFRESH_MIN_MS : undefined);
      return { id: t.id, replicationGroupId: group, ...(ids ? { memberClusters: ids } : {}) };
    }),
  );
}
