import type { LegacyHandle, TargetHandle, TopologyCache } from '../redis/index.js';
import type { SpotCheckState } from './consistency/index.js';
import type { ClientListMemo } from './readNode.js';

/**
 * What the sampler keeps from one sample to the next within a process (a warm Lambda container, one
 * CLI run, a test): each entry is keyed by the connection handle it was learnt on, so a handle the pool
 * rebuilds (a tenant's config changed) starts afresh, and nothing outlives the handles it describes.
 * The state that must survive a cold start lives in the state store instead (prefix-scan cursors,
 * spot-check suspects when a store is given, alert memory).
 */
export interface SamplingCache {
  /** Target handles → their cluster topology cache (re-read on a sign of change or when old). */
  readonly topologies: WeakMap<TargetHandle, TopologyCache>;
  /** Legacy handles → the last CLIENT LIST of each node (reused while the node's clients did not change). */
  readonly clientLists: WeakMap<LegacyHandle, ClientListMemo>;
  /**
   * Legacy handles → samples since CLIENT LIST was last read, in a phase whose criteria do not read
   * legacyAppClients: CLIENT LIST costs the server time per connected client, and before cutover a
   * legacy cluster has them all, so it is then read every few samples only.
   */
  readonly clientListAge: WeakMap<LegacyHandle, number>;
  /**
   * Legacy handles whose CLIENT LIST was refused (NOPERM): not asked again, so the refusals do not
   * inflate the legacy error rate every minute.
   */
  readonly clientListRefused: WeakSet<LegacyHandle>;
  /** Target handles → the spot-check's suspects, when no state store keeps them between ticks. */
  readonly suspects: WeakMap<TargetHandle, SpotCheckState>;
}

/** An empty sampling cache: one per process (or per one-off look, which then learns nothing). */
export function createSamplingCache(): SamplingCache {
  return {
    topologies: new WeakMap(),
    clientLists: new WeakMap(),
    clientListAge: new WeakMap(),
    clientListRefused: new WeakSet(),
    suspects: new WeakMap(),
  };
}
