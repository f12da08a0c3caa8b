import type { DerivedMetrics, MetricNotes } from '../metrics/index.js';
import type { OwnTraffic } from '../redis/ownTraffic.js';

export type ClusterSide = 'legacy' | 'target';

/** One node's part of a sample, from a single INFO round trip (plus CLIENT LIST on the legacy primary). */
export interface NodeSample {
  side: ClusterSide;
  /** host:port as soakwatch reached it. */
  address: string;
  role: 'master' | 'replica' | 'unknown';
  ok: boolean;
  /** Why the node could not be read (timeout, refused, auth…); set when `ok` is false. */
  error?: string;
  durationMs: number;
  /** Redis version (INFO server is not asked for; from `redis_version` when present). */
  version?: string;
  /** `multi`: one INFO with several sections (Redis ≥ 7); `per-section`: one INFO per section. */
  infoMode?: 'multi' | 'per-section';
  /** db index → counts, from INFO keyspace. */
  keyspace: Record<number, { keys: number; expires: number }>;
  memory?: {
    used: number;
    peak: number;
    rss: number;
    /** 0: no limit. */
    maxmemory: number;
    fragmentation: number;
    /**
     * Set when the reading is carried from an earlier sample (a target replica's, see REPLICA_MEMORY):
     * the epoch ms it was read at, and the samples it has been carried since.
     */
    readAt?: number;
    carried?: number;
  };
  stats?: {
    totalCommands: number;
    evictedKeys: number;
    /** Keys removed by TTL expiry (`expired_keys`); absent in samples stored before it was read. */
    expiredKeys?: number;
    rejectedConnections: number;
    totalErrorReplies: number;
    /** ACL denials: acl_access_denied_* (Redis ≥ 7.2), else errorstats NOPERM + WRONGPASS. */
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
  clients?: {
    name: string;
    address: string;
    lib: string;
    cmd: string;
    flags: string;
    isSoakwatch: boolean;
  }[];
  /** Why CLIENT LIST was not read (e.g. NOPERM); the rest of the node sample is still good. */
  clientsError?: string;
  /**
   * The key-change counter (legacy primary only). Unlike the replication offset it does not grow with
   * Sentinel hellos, replication PINGs or expiries: only writes move it. Reset by every RDB save.
   */
  persistence?: { changesSinceSave: number; lastSaveTime: number };
  /** What soakwatch itself had sent to this node when INFO was sent, and when the sample ended. */
  own?: { atInfo: OwnTraffic; atEnd: OwnTraffic };
  /**
   * Target masters in the soak phase: the latest reading of what removes keys (see keyRemovals.ts),
   * read in this sample (`age` 0) or carried from an earlier one.
   */
  removals?: KeyRemovalReading;
  /** Why the key removals could not be read in this sample. */
  removalsError?: string;
}

/** One reading of a target master's key removals: every number from the same INFO reply. */
export interface KeyRemovalReading {
  /** The sampler's clock when it was read. */
  at: number;
  /** Samples since it was read: 0 when read in this sample. */
  age: number;
  /** Keys in the target db. */
  keys: number;
  /** `expired_keys`, `evicted_keys`. */
  expired: number;
  evicted: number;
  /** Calls of commands that can remove a key (each explains at most one key). */
  removingCalls: number;
  /** Calls of FLUSHDB / FLUSHALL / SWAPDB: they explain no removal. */
  flushCalls: number;
  /** Calls of write commands: bounds the churn a SCAN pass sees. */
  writeCalls: number;
}

/** A CDC tool connected to the legacy primary as a replica (configured by address). */
export interface CdcLink {
  address: string;
  connected: boolean;
  state?: string;
  lagBytes?: number;
  lagSeconds?: number;
}

/**
 * Per metric key of `derived` (scoped keys included), a short sentence for people: for a `null`, why
 * there is no data; for a number, what it is made of where that helps. Never parsed back.
 * (The same shape as `MetricNotes` of the catalogue.)
 */
export type SampleNotes = MetricNotes;

/** A sample of both clusters of one tenant at one moment. */
export interface Sample {
  tenant: string;
  /** Epoch ms when sampling began (the sampler's clock). */
  at: number;
  /** The `at` of the previous sample the deltas and rates were computed against; null when there was none. */
  since: number | null;
  durationMs: number;
  legacy: {
    primary?: string;
    primaryChanged?: boolean;
    /** Why the primary could not be located (every Sentinel failed). */
    primaryError?: string;
    nodes: NodeSample[];
    cdcLinks: CdcLink[];
  };
  target: {
    nodes: NodeSample[];
    /** Why the cluster topology could not be read (the last known one was used). */
    topologyError?: string;
  };
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
  /** Why a derived metric is `null` (every `null` has one), or what a value is made of. */
  notes: SampleNotes;
  /** Results of the replication-phase checks (heartbeat, spot-check, prefix counts), when run. */
  checks?: Record<string, unknown>;
}
