import type { MemberCache } from '../aws/members.js';
import { createSamplingCache, type SamplingCache } from '../sampling/cache.js';

/**
 * Everything a warm process keeps in memory between invocations besides its clients — the one place
 * where soakwatch holds state outside the state store. Losing it (a cold start, a new CLI run) costs
 * time, never correctness: every entry is re-learnt on the next sample or read.
 *
 * - `sampling`: per connection handle, a cluster target's topology, the last CLIENT LIST of each legacy
 *   node and whether CLIENT LIST is refused or due, and the spot-check's suspects when no state store
 *   keeps them (see SamplingCache).
 * - `members`: the member clusters of each replication group, as last read from AWS (10 minutes; the
 *   last list read while AWS does not answer).
 *
 * The clients hold some state of their own: the connection pool's handles remember each legacy
 * primary and its replicas and a cluster target's nodes; the secret resolver keeps Secrets Manager
 * values for 5 minutes; the Lua scripts remember which connections have them loaded.
 */
export interface WarmCache {
  readonly sampling: SamplingCache;
  readonly members: MemberCache;
}

/** A fresh cache for a process whose member clusters are read through `members`. */
export function createWarmCache(members: MemberCache): WarmCache {
  return { sampling: createSamplingCache(), members };
}
