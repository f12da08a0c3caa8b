import type { ElastiCacheClient, ReplicationGroup } from '@aws-sdk/client-elasticache';
import { importNamed } from '../util/importNamed.js';
import { AwsError } from './errors.js';
import { createMemberCache, type MemberCache, type MemberCacheLog } from './members.js';

export interface ReplicationGroupInfo {
  id: string;
  /** `available`, `modifying`, … */
  status: string | undefined;
  clusterEnabled: boolean;
  /** Cache cluster (node) ids, e.g. `acme-0001-001`: the `CacheClusterId` of CloudWatch metrics. */
  memberClusters: string[];
  /** One entry per shard, with the number of nodes in it (primary + replicas). */
  nodeGroups: { id: string; nodes: number }[];
}

/** The shape of a replication group, from DescribeReplicationGroups. */
export async function describeReplicationGroup(
  client: ElastiCacheClient,
  replicationGroupId: string,
): Promise<ReplicationGroupInfo> {
  let group: ReplicationGroup | undefined;
  try {
    // Imported at use: a function's module init loads no SDK package.
    const DescribeReplicationGroupsCommand = importNamed(
      await import('@aws-sdk/client-elasticache'),
      'DescribeReplicationGroupsCommand',
    );
    const out = await client.send(
      new DescribeReplicationGroupsCommand({ ReplicationGroupId: replicationGroupId }),
    );
    group = out.ReplicationGroups?.[0];
  } catch (error) {
    throw new AwsError(
      `could not describe ElastiCache replication group ${replicationGroupId}`,
      'DescribeReplicationGroups',
      { cause: error },
    );
  }
  if (!group)
    throw new AwsError(
      `ElastiCache replication group ${replicationGroupId} was not found`,
      'DescribeReplicationGroups',
    );
  return {
    id: replicationGroupId,
    status: group.Status,
    clusterEnabled: group.ClusterEnabled === true,
    memberClusters: group.MemberClusters ?? [],
    nodeGroups: (group.NodeGroups ?? []).map((g, i) => ({
      id: g.NodeGroupId ?? String(i + 1).padStart(4, '0'),
      nodes: g.NodeGroupMembers?.length ?? 0,
    })),
  };
}

/**
 * Every replication group's member clusters in the region, from DescribeReplicationGroups without a
 * group id (100 groups a page): one listing for a round's thousands of groups, instead of one call each.
 */
export async function listMemberClusters(client: ElastiCacheClient): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  try {
    const DescribeReplicationGroupsCommand = importNamed(
      await import('@aws-sdk/client-elasticache'),
      'DescribeReplicationGroupsCommand',
    );
    let marker: string | undefined;
    do {
      const page = await client.send(
        new DescribeReplicationGroupsCommand({ MaxRecords: 100, Marker: marker }),
      );
      for (const g of page.ReplicationGroups ?? [])
        if (g.ReplicationGroupId) out.set(g.ReplicationGroupId, g.MemberClusters ?? []);
      marker = page.Marker;
    } while (marker);
  } catch (error) {
    throw new AwsError('could not list the ElastiCache replication groups', 'DescribeReplicationGroups', {
      cause: error,
    });
  }
  return out;
}

/** The member clusters of the tenants' replication groups, read through this ElastiCache client. */
export function memberCacheOf(clients: { elasticache: ElastiCacheClient }, log: MemberCacheLog): MemberCache {
  return createMemberCache({
    describe: async (groupId) =>
      (await describeReplicationGroup(clients.elasticache, groupId)).memberClusters,
    log,
  });
}
