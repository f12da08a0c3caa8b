import { createHash } from 'node:crypto';
import type { ElastiCacheClient, Event as ElastiCacheEvent, SourceType } from '@aws-sdk/client-elasticache';
import { isNamedMemberOf, sourceMatch } from '../events/sources.js';
import type { SoakEvent } from '../events/types.js';
import { importNamed } from '../util/importNamed.js';
import { AwsError } from './errors.js';

export interface DescribeEventsOptions {
  replicationGroupId: string;
  /**
   * The group's member clusters (DescribeReplicationGroups' MemberClusters, cached by the caller): node
   * events are kept only for these ids. Unknown (AWS did not answer): ElastiCache's node naming
   * `<group>-NNNN-NNN` / `<group>-NNN` is used instead, never a bare `<group>-` prefix.
   */
  memberClusters?: readonly string[];
  /**
   * Re-reads the member list; called once when an event's node is named like a member of the group but
   * is not in `memberClusters` (a node added since the list was read).
   */
  refreshMembers?: () => Promise<readonly string[] | undefined>;
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
    // As ElastiCache names the source, like the SNS notification's value: one incident, one source.
    sourceId: e.SourceIdentifier,
  };
}

async function collect(
  client: ElastiCacheClient,
  sourceType: SourceType,
  sourceIdentifier: string | undefined,
  window: { since: number; until: number },
): Promise<SoakEvent[]> {
  // Imported at use (a function's module init loads no SDK package), and paged by hand: the SDK's
  // paginator insists on an `instanceof ElastiCacheClient`, which the runtime's lazily built client is not.
  const DescribeEventsCommand = importNamed(
    await import('@aws-sdk/client-elasticache'),
    'DescribeEventsCommand',
  );
  const out: SoakEvent[] = [];
  let marker: string | undefined;
  do {
    const page = await client.send(
      new DescribeEventsCommand({
        SourceType: sourceType,
        SourceIdentifier: sourceIdentifier,
        StartTime: new Date(window.since),
        EndTime: new Date(window.until),
        Marker: marker,
      }),
    );
    for (const e of page.Events ?? []) {
      const event = normalize(e);
      if (event) out.push(event);
    }
    marker = page.Marker;
  } while (marker);
  return out;
}

/** What DescribeEvents returned for a window: replication-group events and cache-cluster events. */
export interface DescribedEvents {
  groupEvents: SoakEvent[];
  clusterEvents: SoakEvent[];
}

/**
 * DescribeEvents of replication groups and cache clusters between `since` and `until`: of one group
 * (`replicationGroupId`), or of every group in the region (the round's read, shared by all tenants).
 * Cache-cluster events are always read region-wide: DescribeEvents filters one source id at a time.
 */
export async function readElastiCacheEvents(
  client: ElastiCacheClient,
  opts: { replicationGroupId?: string; since: number; until: number },
): Promise<DescribedEvents> {
  try {
    const [groupEvents, clusterEvents] = await Promise.all([
      collect(client, 'replication-group', opts.replicationGroupId, opts),
      collect(client, 'cache-cluster', undefined, opts),
    ]);
    return { groupEvents, clusterEvents };
  } catch (error) {
    throw new AwsError(
      opts.replicationGroupId
        ? `could not read the ElastiCache events of replication group ${opts.replicationGroupId}`
        : 'could not read the ElastiCache events of the round',
      'DescribeEvents',
      { cause: error },
    );
  }
}

/**
 * The events of one group among those described: the group's own, and its member clusters' (matched
 * as `sourceMatch` does; the member list re-read once when a node named like the group's is unlisted),
 * oldest first.
 */
export async function eventsOfGroup(
  described: DescribedEvents,
  opts: Pick<DescribeEventsOptions, 'replicationGroupId' | 'memberClusters' | 'refreshMembers'>,
): Promise<SoakEvent[]> {
  const group = opts.replicationGroupId;
  const own = described.groupEvents.filter((e) => e.sourceId === group);
  let members = opts.memberClusters;
  const unlisted = (e: SoakEvent) =>
    members !== undefined &&
    sourceMatch(e.sourceId ?? '', group, members) === undefined &&
    isNamedMemberOf(e.sourceId ?? '', group);
  if (opts.refreshMembers && described.clusterEvents.some(unlisted)) members = await opts.refreshMembers();
  const ours = described.clusterEvents.filter(
    (e) => sourceMatch(e.sourceId ?? '', group, members) !== undefined,
  );
  return [...own, ...ours].sort((a, b) => a.at - b.at || a.id.localeCompare(b.id));
}

/**
 * ElastiCache events of a replication group and its member clusters between `since` and `until`,
 * oldest first: the tick's safety net for an SNS notification that never arrived. Each carries `type`
 * and `sourceId` as the SNS notification of the same incident does.
 */
export async function describeElastiCacheEvents(
  client: ElastiCacheClient,
  opts: DescribeEventsOptions,
): Promise<SoakEvent[]> {
  return eventsOfGroup(await readElastiCacheEvents(client, opts), opts);
}
