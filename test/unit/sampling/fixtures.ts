import { type TenantConfig, tenantSchema } from '../../../src/config/schema.js';
import type { OwnTraffic } from '../../../src/redis/index.js';
import type { SampleInProgress } from '../../../src/sampling/index.js';
import type { NodeSample, Sample } from '../../../src/sampling/types.js';

export function tenant(overrides: { legacy?: object; target?: object } = {}): TenantConfig {
  return tenantSchema.parse({
    id: 'acme',
    legacy: { url: 'redis://10.0.0.1:6379', dbs: [0], ...overrides.legacy },
    target: { url: 'rediss://cfg.example:6379', cluster: true, ...overrides.target },
  });
}

export function own(
  commands: number,
  byCommand: Record<string, number> = {},
  writeBytes = 0,
  process = 'p1',
): OwnTraffic {
  return { process, commands, byCommand, writeBytes };
}

/** A healthy node; pass the parts that matter to the test. */
export function node(
  side: 'legacy' | 'target',
  address: string,
  parts: Partial<NodeSample> = {},
): NodeSample {
  return {
    side,
    address,
    role: 'master',
    ok: true,
    durationMs: 1,
    keyspace: {},
    memory: { used: 100, peak: 100, rss: 120, maxmemory: 1000, fragmentation: 1.2 },
    stats: {
      totalCommands: 1000,
      evictedKeys: 0,
      rejectedConnections: 0,
      totalErrorReplies: 0,
      aclDenied: 0,
      syncFull: 0,
      errorstats: {},
    },
    replication: { replid: 'r1', offset: 5000, replicas: [] },
    ...parts,
  };
}

export function inProgress(
  legacyNodes: NodeSample[],
  targetNodes: NodeSample[],
  at = 60_000,
): SampleInProgress {
  return {
    tenant: 'acme',
    at,
    durationMs: 3,
    legacy: { primary: legacyNodes[0]?.address, nodes: legacyNodes, cdcLinks: [] },
    target: { nodes: targetNodes },
  };
}

export function asSample(p: SampleInProgress, since: number | null = null): Sample {
  return { ...p, since, keys: {}, complete: true, derived: {}, notes: {} };
}
