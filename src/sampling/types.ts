import type { DerivedMetrics } from '../soak/catalogue.js';

export type ClusterSide = 'legacy' | 'target';

/** One node's part of a sample, from a single INFO round trip (plus CLIENT LIST on legacy). */
export interface NodeSample {
  side: ClusterSide;
  /** host:port as soakwatch reached it. */
  address: string;
  role: 'master' | 'replica' | 'unknown';
  ok: boolean;
  /** Why the node could not be read (timeout, refused, auth…); set when `ok` is false. */
  error?: string;
  durationMs: number;
  /** db index → counts, from INFO keyspace. */
  keyspace: Record<number, { keys: number; expires: number }>;
  memory?: {
    used: number;
    peak: number;
    rss: number;
    maxmemory: number;
    fragmentation: number;
  };
  stats?: {
    totalCommands: number;
    evictedKeys: number;
    rejectedConnections: number;
    totalErrorReplies: number;
    aclDenied: number;
    syncFull: number;
    errorstats: Record<string, number>;
  };
  replication?: {
    replid: string;
    offset: number;
    /** For a replica: where it replicates from and its link status. */
    masterAddress?: string;
    linkUp?: boolean;
    replicas: { address: string; offset: number; lagSeconds: number; state: string }[];
  };
  connectedClients?: number;
  /** Clients by name/address/library (CLIENT LIST), where the node allows it. */
  clients?: { name: string; address: string; lib: string; cmd: string; isSoakwatch: boolean }[];
}

/** A sample of both clusters of one tenant at one moment. */
export interface Sample {
  tenant: string;
  /** Epoch ms when sampling began (the sampler's clock). */
  at: number;
  durationMs: number;
  legacy: { primary?: string; primaryChanged?: boolean; nodes: NodeSample[] };
  target: { nodes: NodeSample[] };
  /** legacy db → key counts on both sides; `null` where a side could not be read. */
  keys: Record<
    string,
    {
      prefix: string;
      legacy: number | null;
      target: number | null;
      legacyPersistent: number | null;
      targetPersistent: number | null;
      /** How the target count was obtained: INFO (exact), a completed SCAN pass, or an estimate. */
      targetSource: 'info' | 'scan' | 'estimate' | 'none';
    }
  >;
  /** True when every node of both clusters answered. */
  complete: boolean;
  derived: DerivedMetrics;
}
