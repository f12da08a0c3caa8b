/**
 * Key layout of the state store. Every per-tenant key carries the tenant as a hash tag
 * (`soakwatch:t:{acme}:state`) so a Lua script touching several keys of one tenant stays in one
 * slot — that keeps the scripts valid on a cluster-mode state store.
 */
export interface TenantKeys {
  /** Hash: `v` = version (integer), `s` = soak state (JSON). */
  state: string;
  /** List of AuditEntry JSON, newest last, capped. */
  audit: string;
  /** Stream, id `<sample.at>-0`, field `json`: whole samples, kept for what the windows and rates need. */
  samples: string;
  /** Stream like `samples` holding only what the judge reads (at, derived, complete), kept long for replay. */
  history: string;
  /** Sorted set: score = event.at, member = event JSON. */
  events: string;
  /** Hash: outbox entry id → JSON of what a committed transition must still deliver. */
  outbox: string;
  /** String marker per event id (SET NX PX), so a re-delivered event is recorded once. */
  eventId(id: string): string;
  /** String holding the owner's random token (SET NX PX). */
  lock(name: string): string;
  /** String holding a JSON document of another module. */
  doc(name: string): string;
}

export const DEFAULT_KEY_PREFIX = 'soakwatch:';

export function tenantKeys(prefix: string, tenant: string): TenantKeys {
  const base = `${prefix}t:{${tenant}}:`;
  return {
    state: `${base}state`,
    audit: `${base}audit`,
    samples: `${base}samples`,
    history: `${base}history`,
    events: `${base}events`,
    outbox: `${base}outbox`,
    eventId: (id) => `${base}event-id:${id}`,
    lock: (name) => `${base}lock:${name}`,
    doc: (name) => `${base}doc:${name}`,
  };
}

/** Set of tenant ids that have a soak state (maintained by casState). */
export function tenantsKey(prefix: string): string {
  return `${prefix}tenants`;
}

/** Hash: process id → JSON of its connection report and when it expires (the census). */
export function connectionCensusKey(prefix: string): string {
  return `${prefix}census:connections`;
}

/** Idempotency claims (claimOnce); not per tenant, the caller's key says what it is for. */
export function claimKey(prefix: string, key: string): string {
  return `${prefix}once:${key}`;
}

/**
 * The store's identity (JSON `StoreEpochDoc`), written by the first tick that finds no marker: a store
 * flushed or replaced by an empty one loses it, which is how a tick tells "emptied" from "never used".
 */
export function epochKey(prefix: string): string {
  return `${prefix}epoch`;
}
