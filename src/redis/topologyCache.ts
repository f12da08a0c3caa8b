import type { ClusterNode } from './discovery.js';

/** How long a cluster topology read with CLUSTER SHARDS is trusted when nothing signals a change. */
export interface TopologyPolicy {
  /** Re-read after this long (the sampler's clock, ms). */
  maxAgeMs: number;
  /** Re-read after this many samples. */
  maxSamples: number;
}

export const DEFAULT_TOPOLOGY_POLICY: TopologyPolicy = { maxAgeMs: 300_000, maxSamples: 10 };

/** What one node said about itself in this sample's INFO (replication section). */
export interface NodeView {
  address: string;
  /** False when the node did not answer. */
  ok: boolean;
  role: 'master' | 'replica' | 'unknown';
  /** A replica's `master_host:master_port`. */
  masterAddress?: string;
  /** A master's `slaveN` lines (addresses). */
  replicas: readonly string[];
}

/**
 * When to re-read the topology of a cluster-mode target. CLUSTER SHARDS costs the node that answers
 * it about as much as the rest of the sample, so it is read on the first sample, then only when the
 * nodes' own INFO shows a change (a node that does not answer, a role that is not the cached one, a
 * replica following another master, a master with other replicas) or when the cache is old.
 */
export class TopologyCache {
  private readAt: number | undefined;
  private samplesSince = 0;
  private readonly views = new Map<string, string>();

  constructor(private readonly policy: TopologyPolicy = DEFAULT_TOPOLOGY_POLICY) {}

  /** True when the cached topology is too old to be trusted without a re-read. */
  due(now: number): boolean {
    return (
      this.readAt === undefined ||
      now - this.readAt >= this.policy.maxAgeMs ||
      now < this.readAt ||
      this.samplesSince >= this.policy.maxSamples
    );
  }

  /** Records a topology read at `now`. */
  refreshed(now: number): void {
    this.readAt = now;
    this.samplesSince = 0;
  }

  /** Records that a sample used the cache. */
  sampled(): void {
    this.samplesSince++;
  }

  /**
   * Compares what the known nodes just reported with the cached topology and with what they
   * reported in the previous sample, and remembers their reports. The reason to re-read, if any.
   */
  check(known: readonly ClusterNode[], views: readonly NodeView[]): string | undefined {
    const reasons: string[] = [];
    const byAddress = new Map(views.map((v) => [v.address, v]));
    for (const node of known) {
      const view = byAddress.get(node.address);
      if (!view?.ok) reasons.push(`${node.address} did not answer`);
      else if (view.role !== 'unknown' && view.role !== node.role)
        reasons.push(`${node.address} is now a ${view.role}`);
    }
    // A master reporting more or fewer replicas than the topology knows: one was added or removed.
    const knownReplicas = known.filter((n) => n.role === 'replica').length;
    const reported = views.filter((v) => v.ok && v.role === 'master');
    const reportedReplicas = reported.reduce((sum, v) => sum + v.replicas.length, 0);
    if (
      reported.length === known.filter((n) => n.role === 'master').length &&
      reportedReplicas !== knownReplicas
    )
      reasons.push(`the masters report ${reportedReplicas} replicas, the topology ${knownReplicas}`);
    for (const view of views) {
      if (!view.ok) continue;
      const signature = `${view.role}|${view.masterAddress ?? ''}|${[...view.replicas].sort().join(',')}`;
      const before = this.views.get(view.address);
      if (before !== undefined && before !== signature)
        reasons.push(`${view.address} changed its replication`);
      this.views.set(view.address, signature);
    }
    // Nodes no longer known nor reporting are forgotten: the map stays the size of the cluster.
    const current = new Set([...known.map((n) => n.address), ...views.map((v) => v.address)]);
    for (const address of this.views.keys()) if (!current.has(address)) this.views.delete(address);
    return reasons.length > 0 ? reasons.join('; ') : undefined;
  }
}
