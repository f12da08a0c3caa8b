import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import type { Criterion, TenantConfig } from '../config/index.js';
import type { SoakEvent } from '../events/types.js';
import { cloudWatchQueries, fetchCloudWatchMetrics } from './cloudwatch.js';
import { describeElastiCacheEvents } from './elasticacheEvents.js';
import { MEMBER_REFRESH_MIN_MS, type MemberCache } from './members.js';

/** ElastiCache's own metrics of a tenant's target, for its `cloudwatch:` criteria. */
export type TenantMetricsReader = (
  tenant: TenantConfig,
  criteria: readonly Criterion[],
  from: number,
  to: number,
) => Promise<Record<string, number | null>>;

/** ElastiCache's events of a tenant's replication group (DescribeEvents) between two times. */
export type TenantEventsReader = (tenant: TenantConfig, since: number, until: number) => Promise<SoakEvent[]>;

/**
 * Reads a tenant's `cloudwatch:` metrics per member cluster when the group's members are known,
 * else through the ReplicationGroupId dimension (group-level metrics only).
 */
export function createCloudWatchReader(deps: {
  cloudwatch: CloudWatchClient;
  members: MemberCache;
}): TenantMetricsReader {
  return async (tenant, criteria, from, to) => {
    const groupId = tenant.target.replicationGroupId ?? '';
    const cacheClusterIds = await deps.members.get(groupId);
    return fetchCloudWatchMetrics(deps.cloudwatch, {
      replicationGroupId: groupId,
      ...(cacheClusterIds ? { cacheClusterIds } : {}),
      criteria: cloudWatchQueries(criteria),
      from,
      to,
    });
  };
}

/**
 * Reads a tenant's ElastiCache events, keeping those of its group's member clusters (the list re-read
 * once when an event names a node added since it was read).
 */
export function createElastiCacheEventsReader(deps: {
  elasticache: ElastiCacheClient;
  members: MemberCache;
}): TenantEventsReader {
  return async (tenant, since, until) => {
    const groupId = tenant.target.replicationGroupId ?? '';
    const memberClusters = await deps.members.get(groupId);
    return describeElastiCacheEvents(deps.elasticache, {
      replicationGroupId: groupId,
      ...(memberClusters ? { memberClusters } : {}),
      refreshMembers: () => deps.members.get(groupId, MEMBER_REFRESH_MIN_MS),
      since,
      until,
    });
  };
}
