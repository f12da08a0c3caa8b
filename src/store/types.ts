import type { Cluster, Redis } from 'ioredis';

/**
 * The caller's client: a plain Redis, or a Cluster for a cluster-mode state store (every key of a
 * tenant shares the `{tenant}` hash tag, so each script and MULTI stays in one slot).
 */
export type StateStoreClient = Redis | Cluster;

/** Who did what, when and why: one line of a tenant's audit trail. */
export interface AuditEntry {
  at: number;
  /** `soakwatch` for the judge, the release manager's name for manual actions. */
  actor: string;
  action: string;
  from?: string;
  to?: string;
  reason?: string;
  /** A cutover forced before readiness; `actorReason` is the reason as given (`reason` words the transition). */
  forced?: true;
  actorReason?: string;
  detail?: Record<string, unknown>;
}

/** What a committed transition must still deliver; the store keeps it by `id` until it is removed. */
export interface OutboxEntry {
  id: string;
  at: number;
}

export interface StoredState<T> {
  version: number;
  state: T;
}

export type CasResult = { ok: true; version: number } | { ok: false; currentVersion: number };

export interface Lock {
  /** Deletes the lock if it is still ours; false when it had expired (or another owner took it). */
  release(): Promise<boolean>;
}

export interface StateStoreOptions {
  /** Prepended to every key; default `soakwatch:`. */
  keyPrefix?: string;
  /** Audit entries kept per tenant (oldest dropped first); default 10,000. */
  auditCap?: number;
}

/** What the epoch key holds: the store's identity, or the record that it was found emptied. */
export type StoreEpochDoc =
  | {
      status: 'ok';
      id: string;
      createdAt: number;
      /** Set by `restartAfterLoss`: the identity that was lost, which warm processes still remember. */
      restartOf?: string;
    }
  | { status: 'lost'; detectedAt: number; reason: string; previousId?: string };

/**
 * What `checkEpoch` found. `created`: this call wrote the first marker (a first start, or a store from
 * before markers). `lost`: the store was flushed or replaced since this process last saw it; it stays
 * lost (for every process, cold or warm) until an operator calls `restartAfterLoss`.
 */
export type StoreEpoch =
  | { status: 'ok'; id: string; createdAt: number; created: boolean }
  | (StoreEpochDoc & { status: 'lost' });

/** Per-tenant soak state, samples, events, audit trail, locks and small documents in Redis. */
export interface StateStore {
  /** The soak state and its version; undefined when the tenant has none yet. */
  getState<T>(tenant: string): Promise<StoredState<T> | undefined>;
  /**
   * Writes the state if its version is still `expectedVersion` (0 = must not exist yet), together
   * with the audit entries of the transition, atomically. The new version is expectedVersion + 1.
   */
  casState<T>(
    tenant: string,
    expectedVersion: number,
    state: T,
    audit?: AuditEntry[],
    outbox?: OutboxEntry[],
  ): Promise<CasResult>;
  /** The tenant's undelivered outbox entries, oldest first. */
  outbox<E extends OutboxEntry>(tenant: string): Promise<E[]>;
  /** Replaces an outbox entry (its progress: what was delivered, attempts). */
  putOutbox<E extends OutboxEntry>(tenant: string, entry: E): Promise<void>;
  /** Removes a delivered outbox entry. */
  removeOutbox(tenant: string, id: string): Promise<void>;
  /**
   * Appends a sample (stream id = sample.at) and drops samples older than `at - maxAgeMs`.
   * False when a sample with the same `at` — a re-delivery — or a later one is already stored.
   */
  appendSample<S extends { at: number }>(tenant: string, sample: S, maxAgeMs: number): Promise<boolean>;
  latestSample<T>(tenant: string): Promise<T | undefined>;
  /** Samples with fromMs ≤ at ≤ toMs, ascending, at most `limit` (the oldest first). */
  samples<T>(tenant: string, fromMs: number, toMs: number, limit?: number): Promise<T[]>;
  /**
   * What the judge read of each sample (`at`, `derived`, `complete`), kept long (the whole migration, for
   * `replay`) while whole samples are trimmed to what the windows and rates need. Same rules as appendSample.
   */
  appendHistory<S extends { at: number }>(tenant: string, entry: S, maxAgeMs: number): Promise<boolean>;
  history<T>(tenant: string, fromMs: number, toMs: number, limit?: number): Promise<T[]>;
  /**
   * Records an event; with `id` it is recorded once (marker kept for maxAgeMs, default 7 days), an
   * identical event without id is recorded once too. Events older than `at - maxAgeMs` (default 7 days)
   * are dropped, and beyond the newest 10,000 the oldest: the key stays bounded.
   */
  appendEvent<E extends { at: number; type: string; id?: string }>(
    tenant: string,
    event: E,
    maxAgeMs?: number,
  ): Promise<boolean>;
  /** Events with fromMs ≤ at ≤ toMs, ascending by at. */
  events<T>(tenant: string, fromMs: number, toMs: number): Promise<T[]>;
  appendAudit(tenant: string, entry: AuditEntry): Promise<void>;
  /** The newest `limit` entries (default 1,000), newest last. */
  auditTrail(tenant: string, limit?: number): Promise<AuditEntry[]>;
  /** A per-tenant lock (SET NX PX, random token); undefined when someone else holds it. */
  acquireLock(tenant: string, name: string, ttlMs: number): Promise<Lock | undefined>;
  getDoc<T>(tenant: string, name: string): Promise<T | undefined>;
  /** Replaces the document; with ttlMs it expires, without it is kept (and loses any earlier TTL). */
  setDoc<T>(tenant: string, name: string, value: T, ttlMs?: number): Promise<void>;
  /** True the first time `key` is claimed within ttlMs, false afterwards (SET NX PX). */
  claimOnce(key: string, ttlMs: number): Promise<boolean>;
  /** Gives a claim back (its action failed and is to be retried). */
  releaseClaim(key: string): Promise<void>;
  /** Tenants that have a soak state, sorted. */
  tenants(): Promise<string[]>;
  /**
   * The connection census (docs/scaling.md): replaces what one process (a warm container) reported it
   * holds open per Redis node; the report is dropped `ttlMs` after `report.at` unless replaced.
   */
  reportConnections(report: ConnectionReport, ttlMs: number): Promise<void>;
  /** Every process's report still live at `now` (the expired ones are removed). */
  connectionReports(now: number): Promise<ConnectionReport[]>;
  /**
   * Checks the store's identity against the one this store object saw before (its witness, kept as long
   * as the object, i.e. a warm Lambda's lifetime): a missing or different marker means the store was
   * flushed or replaced, and is recorded as lost in the store itself so every process sees it. Without a
   * witness and without a marker the marker is created (first start). `now` is the store's clock.
   */
  checkEpoch(now: number): Promise<StoreEpoch>;
  /** An operator's deliberate fresh start after a loss: a new identity, the loss record gone. */
  restartAfterLoss(now: number): Promise<StoreEpoch>;
  /** The store's clock (Redis TIME), epoch ms: one clock for every tick, whatever host runs it. */
  time(): Promise<number>;
  ping(): Promise<void>;
}

/** What one process holds open to tenants' Redis nodes, as it reported it. */
export interface ConnectionReport {
  /** The reporting process (a container's lifetime id). */
  process: string;
  /** When it reported (epoch ms). */
  at: number;
  /** Node address (`host:port`) → connections held. */
  byNode: Record<string, number>;
}
