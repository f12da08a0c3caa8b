/** Where the member cache says that AWS could not be read. */
export interface MemberCacheLog {
  warn(message: string, ...extra: Record<string, unknown>[]): void;
}

/** The member clusters of replication groups, read from AWS and kept for a while. */
export interface MemberCache {
  /**
   * The group's cache cluster ids: cached when younger than `maxAgeMs` (default 10 min), else read
   * again. When AWS does not answer: the last list read (a node's id does not change), or undefined
   * when there never was one (callers then fall back to ElastiCache's node naming).
   */
  get(groupId: string, maxAgeMs?: number): Promise<string[] | undefined>;
  /**
   * The last list read, whatever its age, without reading AWS (undefined when none was read yet): for
   * a caller that cannot wait for a refresh (the round's dispatcher, while `get` re-reads it).
   */
  last?(groupId: string): string[] | undefined;
  /** Lists read for many groups at once (a listing of every group): kept as if each was read now. */
  prime?(lists: ReadonlyMap<string, string[]>): void;
}

export interface MemberCacheOptions {
  /** Reads a group's member clusters (DescribeReplicationGroups). */
  describe(groupId: string): Promise<string[]>;
  log: MemberCacheLog;
  clock?: () => number;
  /** A read that takes longer is given up (AWS unreachable from the VPC); default 3 s. */
  timeoutMs?: number;
}

export const MEMBER_CACHE_MS = 10 * 60_000;
/** A member list re-read because an event named an unlisted node is at least this old. */
export const MEMBER_REFRESH_MIN_MS = 60_000;
// After a failed read, AWS is not asked again for this long: each event must not wait on it.
const FAILURE_BACKOFF_MS = 60_000;
const DEFAULT_TIMEOUT_MS = 3_000;

/** A per-process cache of member cluster lists; concurrent reads of one group share one call. */
export function createMemberCache(opts: MemberCacheOptions): MemberCache {
  const clock = opts.clock ?? Date.now;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const lists = new Map<string, { at: number; ids: string[] }>();
  const failedAt = new Map<string, number>();
  const inFlight = new Map<string, Promise<string[] | undefined>>();

  async function read(groupId: string): Promise<string[] | undefined> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const ids = await Promise.race([
        opts.describe(groupId),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      lists.set(groupId, { at: clock(), ids });
      failedAt.delete(groupId);
      return ids;
    } catch (error) {
      failedAt.set(groupId, clock());
      const known = lists.get(groupId);
      opts.log.warn('could not read the member clusters of a replication group', {
        replicationGroupId: groupId,
        error: error instanceof Error ? error.message : String(error),
        using: known ? 'the last list read' : "ElastiCache's node naming",
      });
      return known?.ids;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    last: (groupId) => lists.get(groupId)?.ids,
    prime(read) {
      const at = clock();
      for (const [groupId, ids] of read) {
        lists.set(groupId, { at, ids });
        failedAt.delete(groupId);
      }
    },
    get(groupId, maxAgeMs = MEMBER_CACHE_MS) {
      const now = clock();
      const hit = lists.get(groupId);
      if (hit && now - hit.at < maxAgeMs) return Promise.resolve(hit.ids);
      const failed = failedAt.get(groupId);
      if (failed !== undefined && now - failed < FAILURE_BACKOFF_MS) return Promise.resolve(hit?.ids);
      const running = inFlight.get(groupId);
      if (running) return running;
      const next = read(groupId).finally(() => inFlight.delete(groupId));
      inFlight.set(groupId, next);
      return next;
    },
  };
}

/**
 * The member cache of a process without AWS (the alarm handler, a CLI run without --aws): it never
 * reads, so callers use ElastiCache's node naming, as they do when AWS cannot be read.
 */
export const NO_MEMBERS: MemberCache = { get: () => Promise.resolve(undefined) };
