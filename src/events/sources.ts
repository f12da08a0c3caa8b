/** A tenant as ElastiCache events see it: its replication group and, when known, the group's nodes. */
export interface ElastiCacheTenant {
  id: string;
  replicationGroupId?: string;
  /**
   * The group's cache cluster ids (DescribeReplicationGroups' MemberClusters). When known, a node event
   * belongs to the group only if its source is one of them; undefined when AWS could not be asked.
   */
  memberClusters?: readonly string[];
}

// ElastiCache names a group's nodes `<group>-<shard 4 digits>-<node 3 digits>` (cluster mode) or
// `<group>-<node 3 digits>`. A bare `<group>-` prefix is not enough: `acme-staging-001` is not `acme`'s.
const MEMBER_SUFFIX = /^(?:\d{4}-\d{3}|\d{3})$/;

/** Whether `sourceId` has the name ElastiCache gives a node of replication group `group`. */
export function isNamedMemberOf(sourceId: string, group: string): boolean {
  return sourceId.startsWith(`${group}-`) && MEMBER_SUFFIX.test(sourceId.slice(group.length + 1));
}

/**
 * How `sourceId` belongs to a group: `group` (the group itself), `member` (a listed member cluster),
 * `named` (named like a member, used only when the member list is unknown), or undefined.
 */
export function sourceMatch(
  sourceId: string,
  group: string,
  members: readonly string[] | undefined,
): 'group' | 'member' | 'named' | undefined {
  if (sourceId === group) return 'group';
  if (members) return members.includes(sourceId) ? 'member' : undefined;
  return isNamedMemberOf(sourceId, group) ? 'named' : undefined;
}

/**
 * The tenants an event on `sourceId` (a cache cluster or replication group id) belongs to: every tenant
 * of the group it is, or whose listed member it is; failing that (member lists unknown) the group whose
 * node naming it has, the longest group id winning (`acme-eu-0001-001` is `acme-eu`'s). Several tenants
 * may share one replication group: each of them gets the event.
 */
export function tenantsForSource(sourceId: string, tenants: readonly ElastiCacheTenant[]): string[] {
  const exact: string[] = [];
  let named: { group: string; ids: string[] } | undefined;
  for (const t of tenants) {
    const group = t.replicationGroupId;
    if (!group) continue;
    const match = sourceMatch(sourceId, group, t.memberClusters);
    if (match === 'group' || match === 'member') exact.push(t.id);
    else if (match === 'named') {
      if (!named || group.length > named.group.length) named = { group, ids: [t.id] };
      else if (group === named.group) named.ids.push(t.id);
    }
  }
  return exact.length > 0 ? exact : (named?.ids ?? []);
}

/** The first tenant `tenantsForSource` finds, or undefined. */
export function tenantForSource(sourceId: string, tenants: readonly ElastiCacheTenant[]): string | undefined {
  return tenantsForSource(sourceId, tenants)[0];
}

/**
 * Groups whose known member list lacks `sourceId` although it carries the group's node naming: a node
 * added since the list was read. The caller re-reads those lists once before giving the event up.
 */
export function groupsToRefresh(sourceId: string, tenants: readonly ElastiCacheTenant[]): string[] {
  const out = new Set<string>();
  for (const t of tenants) {
    const group = t.replicationGroupId;
    if (group && t.memberClusters && sourceMatch(sourceId, group, t.memberClusters) === undefined)
      if (isNamedMemberOf(sourceId, group)) out.add(group);
  }
  return [...out];
}
