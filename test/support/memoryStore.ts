import type {
  AuditEntry,
  CasResult,
  ConnectionReport,
  Lock,
  OutboxEntry,
  StateStore,
  StoredState,
} from '../../src/store/index.js';
import { StoreError } from '../../src/store/index.js';

/*
 * An in-memory StateStore for unit tests of the layers above the store (tick orchestration, the release
 * service, the API handlers): the same contract as the Redis store — compare-and-set versions, samples
 * refused when not newer, events recorded once by id, locks, documents, claims — with values copied
 * through JSON as Redis would. The Redis store itself is tested on real Redis (test/integration/store).
 */

/** Runs a store operation: a throw becomes a rejection, as from the real (async) store. */
function run<T>(operation: () => T): Promise<T> {
  try {
    return Promise.resolve(operation());
  } catch (error) {
    return Promise.reject(error);
  }
}

const copy = <T>(value: T): T => (value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T));

export interface MemoryStore extends StateStore {
  /** The store's clock (what `time()` answers); tests move it. */
  now: number;
  /**
   * Makes every later call of these operations fail with a StoreError, as an unreachable store does
   * (`fail('*')`: every operation). `heal()` undoes it.
   */
  fail(...operations: (keyof StateStore | '*')[]): void;
  heal(): void;
  /** Operations called so far, in order (`setDoc:describe-events`, `casState`…). */
  readonly calls: string[];
}

export function memoryStore(opts: { now?: number } = {}): MemoryStore {
  const states = new Map<string, StoredState<unknown>>();
  const samples = new Map<string, { at: number }[]>();
  const history = new Map<string, { at: number }[]>();
  const events = new Map<string, { at: number; type: string; id?: string }[]>();
  const eventIds = new Set<string>();
  let epoch: { id: string; createdAt: number } | undefined;
  const audit = new Map<string, AuditEntry[]>();
  const docs = new Map<string, unknown>();
  const locks = new Set<string>();
  const outboxes = new Map<string, Map<string, OutboxEntry>>();
  const census = new Map<string, { report: ConnectionReport; expiresAt: number }>();
  const outboxOf = (tenant: string) => {
    const box = outboxes.get(tenant) ?? new Map<string, OutboxEntry>();
    outboxes.set(tenant, box);
    return box;
  };
  const claims = new Set<string>();
  const failing = new Set<string>();
  const calls: string[] = [];

  const list = <T>(m: Map<string, T[]>, tenant: string): T[] => {
    let l = m.get(tenant);
    if (!l) {
      l = [];
      m.set(tenant, l);
    }
    return l;
  };
  const enter = (operation: keyof StateStore, detail?: string) => {
    calls.push(detail ? `${operation}:${detail}` : operation);
    if (failing.has(operation) || failing.has('*'))
      throw new StoreError(`the state store is unreachable (${operation})`, { operation });
  };
  const appendTo = (
    m: Map<string, { at: number }[]>,
    tenant: string,
    entry: { at: number },
    maxAgeMs: number,
  ) => {
    const l = list(m, tenant);
    const last = l.at(-1);
    if (last && last.at >= entry.at) return false;
    l.push(copy(entry));
    const keep = l.filter((e) => e.at >= entry.at - maxAgeMs);
    m.set(tenant, keep);
    return true;
  };
  const range = <T extends { at: number }>(l: T[] | undefined, from: number, to: number, limit?: number) =>
    copy((l ?? []).filter((e) => e.at >= from && e.at <= to).slice(0, limit ?? Number.MAX_SAFE_INTEGER));

  const store: MemoryStore = {
    now: opts.now ?? Date.now(),
    calls,
    fail: (...operations) => {
      for (const o of operations) failing.add(o);
    },
    heal: () => failing.clear(),

    getState<T>(tenant: string) {
      return run(() => {
        enter('getState');
        return copy(states.get(tenant)) as StoredState<T> | undefined;
      });
    },
    casState<T>(
      tenant: string,
      expectedVersion: number,
      state: T,
      entries: AuditEntry[] = [],
      owed: OutboxEntry[] = [],
    ) {
      return run(() => {
        enter('casState');
        const current = states.get(tenant)?.version ?? 0;
        if (current !== expectedVersion) return { ok: false, currentVersion: current } satisfies CasResult;
        states.set(tenant, { version: current + 1, state: copy(state) });
        list(audit, tenant).push(...copy(entries));
        const box = outboxOf(tenant);
        for (const e of owed) if (!box.has(e.id)) box.set(e.id, copy(e));
        return { ok: true, version: current + 1 } satisfies CasResult;
      });
    },
    appendSample(tenant, sample, maxAgeMs) {
      return run(() => {
        enter('appendSample');
        return appendTo(samples, tenant, sample, maxAgeMs);
      });
    },
    latestSample<T>(tenant: string) {
      return run(() => {
        enter('latestSample');
        return copy(samples.get(tenant)?.at(-1)) as T | undefined;
      });
    },
    samples<T>(tenant: string, fromMs: number, toMs: number, limit?: number) {
      return run(() => {
        enter('samples');
        return range(samples.get(tenant), fromMs, toMs, limit) as T[];
      });
    },
    appendHistory(tenant, entry, maxAgeMs) {
      return run(() => {
        enter('appendHistory');
        return appendTo(history, tenant, entry, maxAgeMs);
      });
    },
    history<T>(tenant: string, fromMs: number, toMs: number, limit?: number) {
      return run(() => {
        enter('history');
        return range(history.get(tenant), fromMs, toMs, limit) as T[];
      });
    },
    appendEvent(tenant, event) {
      return run(() => {
        enter('appendEvent');
        const id = `${tenant}:${event.id ?? JSON.stringify(event)}`;
        if (eventIds.has(id)) return false;
        eventIds.add(id);
        const l = list(events, tenant);
        l.push(copy(event));
        l.sort((a, b) => a.at - b.at);
        return true;
      });
    },
    events<T>(tenant: string, fromMs: number, toMs: number) {
      return run(() => {
        enter('events');
        return range(events.get(tenant), fromMs, toMs) as T[];
      });
    },
    appendAudit(tenant, entry) {
      return run(() => {
        enter('appendAudit');
        list(audit, tenant).push(copy(entry));
      });
    },
    auditTrail(tenant, limit = 1_000) {
      return run(() => {
        enter('auditTrail');
        return copy((audit.get(tenant) ?? []).slice(-limit));
      });
    },
    acquireLock(tenant, name) {
      return run(() => {
        enter('acquireLock');
        const key = `${tenant}:${name}`;
        if (locks.has(key)) return undefined;
        locks.add(key);
        const lock: Lock = { release: () => Promise.resolve(locks.delete(key)) };
        return lock;
      });
    },
    getDoc<T>(tenant: string, name: string) {
      return run(() => {
        enter('getDoc', name);
        return copy(docs.get(`${tenant}:${name}`)) as T | undefined;
      });
    },
    setDoc(tenant, name, value) {
      return run(() => {
        enter('setDoc', name);
        docs.set(`${tenant}:${name}`, copy(value));
      });
    },
    outbox<E extends OutboxEntry>(tenant: string) {
      return run(() => {
        enter('outbox');
        return [...outboxOf(tenant).values()].map((e) => copy(e) as E).sort((a, b) => a.at - b.at);
      });
    },
    putOutbox(tenant, entry) {
      return run(() => {
        enter('putOutbox');
        outboxOf(tenant).set(entry.id, copy(entry));
      });
    },
    removeOutbox(tenant, id) {
      return run(() => {
        enter('removeOutbox');
        outboxOf(tenant).delete(id);
      });
    },
    releaseClaim(key) {
      return run(() => {
        enter('releaseClaim');
        claims.delete(key);
      });
    },
    claimOnce(key) {
      return run(() => {
        enter('claimOnce');
        if (claims.has(key)) return false;
        claims.add(key);
        return true;
      });
    },
    reportConnections(report, ttlMs) {
      return run(() => {
        enter('reportConnections');
        census.set(report.process, { report: copy(report), expiresAt: report.at + ttlMs });
      });
    },
    connectionReports(now) {
      return run(() => {
        enter('connectionReports');
        for (const [p, e] of census) if (e.expiresAt <= now) census.delete(p);
        return [...census.values()].map((e) => copy(e.report));
      });
    },
    tenants() {
      return run(() => {
        enter('tenants');
        return [...states.keys()].sort();
      });
    },
    checkEpoch(now) {
      return run(() => {
        enter('checkEpoch');
        // One process, one memory: the identity is created once and never lost (the Redis store's
        // loss detection is tested on real Redis).
        const created = epoch === undefined;
        epoch ??= { id: `memory-${now}`, createdAt: now };
        return { status: 'ok' as const, ...epoch, created };
      });
    },
    restartAfterLoss(now) {
      return run(() => {
        enter('restartAfterLoss');
        epoch = { id: `memory-${now}`, createdAt: now };
        return { status: 'ok' as const, ...epoch, created: true };
      });
    },
    time() {
      return run(() => {
        enter('time');
        return store.now;
      });
    },
    ping() {
      return run(() => {
        enter('ping');
      });
    },
  };
  return store;
}
