import { createHash } from 'node:crypto';
import {
  type ElastiCacheClient,
  type Event as ElastiCacheEvent,
  paginateDescribeEvents,
  type SourceType,
} from '@aws-sdk/client-elasticache';
import type { SoakEvent } from '../events/types.js';
import { AwsError } from './errors.js';

export interface DescribeEventsOptions {
  replicationGroupId: string;
  /** Epoch ms, inclusive (the time of the last tick). */
  since: number;
  until: number;
}

/**
 * DescribeEvents returns a free-text message and no event name. These patterns give the name the
 * SNS notifications use (`ElastiCache:FailoverComplete`, …) so one policy `resetOn` list covers both
 * sources. First match wins: the order matters (a test failover is not a failover).
 */
const MESSAGE_TYPES: readonly [RegExp, string][] = [
  [/test failover/i, 'ElastiCache:TestFailoverApiCalled'],
  [/failover.*complete/i, 'ElastiCache:FailoverComplete'],
  [/failover/i, 'ElastiCache:Failover'],
  [/replacement.*(scheduled|rescheduled)/i, 'ElastiCache:NodeReplacementScheduled'],
  [/replace(ment)?.*cancel/i, 'ElastiCache:NodeReplacementCanceled'],
  [/replace(ment)?.*(complete|finished)/i, 'ElastiCache:CacheNodeReplaceComplete'],
  [/replac(e|ing|ement)/i, 'ElastiCache:CacheNodeReplaceStarted'],
  [/finished recovery/i, 'ElastiCache:CacheNodeRecoveryComplete'],
  [/recovering/i, 'ElastiCache:CacheNodeRecoveryStarted'],
  [/restarted|rebooted/i, 'ElastiCache:CacheNodesRebooted'],
  [/shut ?down/i, 'ElastiCache:CacheNodeShutdown'],
  [/snapshot.*fail|fail.*snapshot/i, 'ElastiCache:SnapshotFailed'],
  [/snapshot/i, 'ElastiCache:SnapshotComplete'],
  [/scal.*fail|fail.*(scal|modif)/i, 'ElastiCache:ReplicationGroupScalingFailed'],
  [/scal.*complete|complete.*scal|succeeded applying/i, 'ElastiCache:ReplicationGroupScalingComplete'],
  [/added cache node|adding cache node/i, 'ElastiCache:AddCacheNodeComplete'],
  [/removed cache node/i, 'ElastiCache:RemoveCacheNodeComplete'],
  [/parameter/i, 'ElastiCache:CacheClusterParametersChanged'],
];

/** The `ElastiCache:<EventName>` of a DescribeEvents message; `ElastiCache:Other` when unrecognized. */
export function elastiCacheEventType(message: string, sourceType?: string): string {
  for (const [pattern, type] of MESSAGE_TYPES) if (pattern.test(message)) return type;
  if (/created/i.test(message))
    return sourceType === 'replication-group'
      ? 'ElastiCache:CreateReplicationGroupComplete'
      : 'ElastiCache:CacheClusterProvisioningComplete';
  return 'ElastiCache:Other';
}

function normalize(e: ElastiCacheEvent): SoakEvent | undefined {
  if (!e.Date || !e.SourceIdentifier) return undefined;
  const message = e.Message ?? '';
  const at = e.Date.getTime();
  // DescribeEvents has no event id: derive a stable one, so the next tick's overlapping window
  // (and a re-run) records the same event once.
  const digest = createHash('sha256').update(message).digest('hex').slice(0, 12);
  return {
    at,
    type: elastiCacheEventType(message, e.SourceType),
    source: 'elasticache',
    id: `describe:${e.SourceType ?? 'unknown'}:${e.SourceIdentifier}:${at}:${digest}`,
    detail: `${e.SourceIdentifier}: ${message}`,
  };
}

async function collect(
  client: ElastiCacheClient,
  sourceType: SourceType,
  sourceIdentifier: string | undefined,
  opts: DescribeEventsOptions,
  keep: (e: ElastiCacheEvent) => boolean,
): Promise<SoakEvent[]> {
  const out: SoakEvent[] = [];
  const pages = paginateDescribeEvents(
    { client },
    {
      SourceType: sourceType,
      SourceIdentifier: sourceIdentifier,
      StartTime: new Date(opts.since),
      EndTime: new Date(opts.until),
    },
  );
  for await (const page of pages) {
    for (const e of page.Events ?? []) {
      if (!keep(e)) continue;
      const event = normalize(e);
      if (event) out.push(event);
    }
  }
  return out;
}

/**
 * ElastiCache events of a replication group and its member clusters between `since` and `until`,
 * oldest first: the tick's safety net for an SNS notification that never arrived.
 */
export async function describeElastiCacheEvents(
  client: ElastiCacheClient,
  opts: DescribeEventsOptions,
): Promise<SoakEvent[]> {
  const group = opts.replicationGroupId;
  try {
    const [groupEvents, clusterEvents] = await Promise.all([
      collect(client, 'replication-group', group, opts, () => true),
      // Member clusters are `<group>-<shard>-<node>` or `<group>-<node>`; DescribeEvents filters one
      // source id at a time, so all cache-cluster events are read and filtered by that prefix.
      collect(
        client,
        'cache-cluster',
        undefined,
        opts,
        (e) => e.SourceIdentifier?.startsWith(`${group}-`) === true,
      ),
    ]);
    return [...groupEvents, ...clusterEvents].sort((a, b) => a.at - b.at || a.id.localeCompare(b.id));
  } catch (error) {
    throw new AwsError(
      `could not read the ElastiCache events of replication group ${group}`,
      'DescribeEvents',
      {
        cause: error,
      },
    );
  }
}
