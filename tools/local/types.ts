/**
 * Real local Redis topologies for tests and the demo: redis-server / redis-sentinel processes
 * on free loopback ports, in temp dirs, stopped by PID.
 */
export interface RedisProcess {
  host: string; // always 127.0.0.1
  port: number;
  pid: number;
  /** redis://127.0.0.1:port (rediss:// when TLS) */
  url: string;
  /** The node's temp dir (config, log); deleted when its topology stops. */
  dir: string;
  /** The node's log file (loglevel warning). */
  logFile: string;
  /** SIGSTOP / SIGCONT: a frozen node for timeout tests. */
  freeze(): void;
  thaw(): void;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
}

export interface TlsMaterial {
  /** PEM of the self-signed CA that signed the server certificate. */
  caPem: string;
  caFile: string;
}

export interface StandaloneOptions {
  /** Extra redis.conf directives, e.g. { maxmemory: '100mb' }. */
  config?: Record<string, string>;
  /** Require this password for the default user. */
  password?: string;
  /** ACL lines (`user name on >pw ~* +@all`) written to an ACL file. */
  aclUsers?: string[];
  /** Serve TLS only (port is the TLS port), with a CA generated for the topology. */
  tls?: boolean;
}

export interface Standalone {
  node: RedisProcess;
  tls?: TlsMaterial;
  stop(): Promise<void>;
}

export interface Replicated {
  primary: RedisProcess;
  replicas: RedisProcess[];
  sentinels: RedisProcess[];
  /** Sentinel master name. */
  masterName: string;
  /** Make Sentinel promote a replica (SENTINEL FAILOVER) and wait until it reports the new primary. */
  failover(timeoutMs?: number): Promise<{ host: string; port: number }>;
  stop(): Promise<void>;
}

export interface ClusterTopology {
  masters: RedisProcess[];
  replicas: RedisProcess[];
  /** Any node works as the configuration endpoint. */
  url: string;
  /** Present when started with `tls: true`. */
  tls?: TlsMaterial;
  stop(): Promise<void>;
}

export interface ReplicatedOptions {
  /** Replicas of the primary (default 1). */
  replicas?: number;
  /** Sentinels watching the primary (default 1). */
  sentinels?: number;
  /** Sentinel quorum (default 1). */
  quorum?: number;
  /** Password of the default user on primary and replicas (masterauth and Sentinel auth-pass too). */
  password?: string;
  /** Sentinel master name (default `mymaster`). */
  masterName?: string;
  /** Extra redis.conf directives for primary and replicas. */
  config?: Record<string, string>;
}

export interface ClusterOptions {
  /** Primaries, each owning an even share of the 16384 slots (default 3). */
  masters?: number;
  /** Replicas per primary (default 1). */
  replicasPerMaster?: number;
  /** Password of the default user on every node (masterauth too). */
  password?: string;
  /** Extra redis.conf directives for every node. */
  config?: Record<string, string>;
  /** TLS-only nodes, TLS replication and cluster bus, with a CA generated for the topology. */
  tls?: boolean;
  /**
   * A user the replicas authenticate to their primary as (`masteruser`/`masterauth`), allowed only the
   * replication commands. Disabling it on one primary (`ACL SETUSER <name> off`) and killing the link
   * keeps that replica's link down: a replication fault on an otherwise healthy cluster.
   */
  replicationUser?: { username: string; password: string };
}
