import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { StoreError, type StoreErrorContext } from './errors.js';
import {
  claimKey,
  connectionCensusKey,
  DEFAULT_KEY_PREFIX,
  epochKey,
  type TenantKeys,
  tenantKeys,
  tenantsKey,
} from './keys.js';
import {
  appendEventScript,
  appendSampleScript,
  casStateScript,
  checkEpochScript,
  releaseLockScript,
} from './scripts.js';
import type {
  AuditEntry,
  CasResult,
  ConnectionReport,
  Lock,
  OutboxEntry,
  StateStore,
  StateStoreClient,
  StateStoreOptions,
  StoredState,
  StoreEpoch,
  StoreEpochDoc,
} from './types.js';

const DEFAULT_AUDIT_CAP = 10_000;
const DEFAULT_AUDIT_LIMIT = 1_000;
const DEFAULT_EVENT_ID_TTL_MS = 7 * 24 * 3_600_000;
/** Events are kept a week (the judge reads the last 15 minutes of them; a week is for people). */
const DEFAULT_EVENT_RETENTION_MS = 7 * 24 * 3_600_000;
/** At most this many events per tenant, the oldest dropped first. */
const MAX_EVENTS = 10_000;
// Same alphabet as tenant ids in the config; above all no braces, which would break the hash tag.
const TENANT_RE = /^[A-Za-z0-9_.-]{1,128}$/;
const TENANT_SCAN_COUNT = 1_000;

/**
 * A state store on the caller's Redis client. The client decides how fast an unreachable store
 * fails: see `stateStoreRedisOptions`.
 */
export function createStateStore(redis: StateStoreClient, opts: StateStoreOptions = {}): StateStore {
  const prefix = opts.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const auditCap = opts.auditCap ?? DEFAULT_AUDIT_CAP;
  if (!Number.isInteger(auditCap) || auditCap < 1) {
    throw new StoreError(`auditCap must be a positive integer, got ${String(auditCap)}`, {
      operation: 'createStateStore',
    });
  }

  function keysOf(tenant: string, operation: string): TenantKeys {
    if (typeof tenant !== 'string' || !TENANT_RE.test(tenant)) {
      throw new StoreError(
        `tenant must be 1-128 letters, digits, _ . or -, got ${JSON.stringify(tenant)} (${operation})`,
        { operation },
      );
    }
    return tenantKeys(prefix, tenant);
  }

  // The identity this store object last saw: the only memory of the store that survives its flush.
  let witness: string | undefined;

  type StreamName = 'samples' | 'history';
  const what = (stream: StreamName) => (stream === 'samples' ? 'sample' : 'judged sample');

  // Both streams: id `<at>-0`, one JSON field; an entry with an `at` already stored (a re-delivery) or
  // older than the newest is refused, and entries older than `at - maxAgeMs` are trimmed (MINID).
  async function appendToStream<S extends { at: number }>(
    tenant: string,
    stream: StreamName,
    operation: string,
    entry: S,
    maxAgeMs: number,
  ): Promise<boolean> {
    const ctx = { operation, tenant };
    const keys = keysOf(tenant, ctx.operation);
    requireInteger(entry?.at, stream === 'samples' ? 'sample.at' : 'entry.at', 0, ctx);
    requireInteger(maxAgeMs, 'maxAgeMs', 1, ctx);
    const json = toJson(entry, what(stream), ctx);
    const minId = Math.max(0, entry.at - maxAgeMs);
    const added = await attempt(
      ctx,
      `could not store a ${what(stream)} of tenant ${tenant} in the state store`,
      () => appendSampleScript.run(redis, [keys[stream]], [entry.at, minId, json]),
    );
    return added === 1;
  }

  async function latestOfStream<T>(
    tenant: string,
    stream: StreamName,
    operation: string,
  ): Promise<T | undefined> {
    const ctx = { operation, tenant };
    const keys = keysOf(tenant, ctx.operation);
    const entries = await attempt(
      ctx,
      `could not read the latest ${what(stream)} of tenant ${tenant} from the state store`,
      () => redis.xrevrange(keys[stream], '+', '-', 'COUNT', 1),
    );
    const first = entries[0];
    return first ? parseJson<T>(streamJson(first[1]), what(stream), ctx) : undefined;
  }

  async function rangeOfStream<T>(
    tenant: string,
    stream: StreamName,
    operation: string,
    fromMs: number,
    toMs: number,
    limit?: number,
  ): Promise<T[]> {
    const ctx = { operation, tenant };
    const keys = keysOf(tenant, ctx.operation);
    requireInteger(fromMs, 'fromMs', 0, ctx);
    requireInteger(toMs, 'toMs', 0, ctx);
    if (limit !== undefined) requireInteger(limit, 'limit', 1, ctx);
    if (toMs < fromMs) return [];
    const message = `could not read the ${what(stream)}s of tenant ${tenant} from the state store`;
    // Stream ids are `<at>-0`: a bare `from`/`to` covers every sequence number of that ms.
    const entries = await attempt(ctx, message, () =>
      limit === undefined
        ? redis.xrange(keys[stream], String(fromMs), String(toMs))
        : redis.xrange(keys[stream], String(fromMs), String(toMs), 'COUNT', limit),
    );
    return entries.map(([, fields]) => parseJson<T>(streamJson(fields), what(stream), ctx));
  }

  return {
    async getState<T>(tenant: string): Promise<StoredState<T> | undefined> {
      const ctx = { operation: 'getState', tenant };
      const keys = keysOf(tenant, ctx.operation);
      const [version, json] = await attempt(
        ctx,
        `could not read the soak state of tenant ${tenant} from the state store`,
        () => redis.hmget(keys.state, 'v', 's'),
      );
      if (version == null || json == null) return undefined;
      return { version: Number(version), state: parseJson<T>(json, 'soak state', ctx) };
    },

    async casState<T>(
      tenant: string,
      expectedVersion: number,
      state: T,
      audit: AuditEntry[] = [],
      outbox: OutboxEntry[] = [],
    ): Promise<CasResult> {
      const ctx = { operation: 'casState', tenant };
      const keys = keysOf(tenant, ctx.operation);
      requireInteger(expectedVersion, 'expectedVersion', 0, ctx);
      const stateJson = toJson(state, 'state', ctx);
      const auditJson = audit.map((entry, i) => toJson(checkAudit(entry, `audit[${i}]`, ctx), 'audit', ctx));
      const message = `could not write the soak state of tenant ${tenant} to the state store`;
      // Listed before the write: if this fails nothing is written, and a listed tenant whose CAS
      // then lost already has a state (that is why it lost).
      await attempt(ctx, message, () => redis.sadd(tenantsKey(prefix), tenant));
      const reply = await attempt(ctx, message, () =>
        casStateScript.run(
          redis,
          [keys.state, keys.audit, keys.outbox],
          [
            expectedVersion,
            stateJson,
            auditCap,
            auditJson.length,
            ...auditJson,
            ...outbox.flatMap((e) => {
              requireName(e.id, 'outbox id', ctx);
              return [e.id, toJson(e, 'outbox entry', ctx)];
            }),
          ],
        ),
      );
      const [ok, version] = integerPair(reply, ctx);
      return ok === 1 ? { ok: true, version } : { ok: false, currentVersion: version };
    },

    appendSample<S extends { at: number }>(tenant: string, sample: S, maxAgeMs: number): Promise<boolean> {
      return appendToStream(tenant, 'samples', 'appendSample', sample, maxAgeMs);
    },

    latestSample<T>(tenant: string): Promise<T | undefined> {
      return latestOfStream<T>(tenant, 'samples', 'latestSample');
    },

    samples<T>(tenant: string, fromMs: number, toMs: number, limit?: number): Promise<T[]> {
      return rangeOfStream<T>(tenant, 'samples', 'samples', fromMs, toMs, limit);
    },

    appendHistory<S extends { at: number }>(tenant: string, entry: S, maxAgeMs: number): Promise<boolean> {
      return appendToStream(tenant, 'history', 'appendHistory', entry, maxAgeMs);
    },

    history<T>(tenant: string, fromMs: number, toMs: number, limit?: number): Promise<T[]> {
      return rangeOfStream<T>(tenant, 'history', 'history', fromMs, toMs, limit);
    },

    async appendEvent<E extends { at: number; type: string; id?: string }>(
      tenant: string,
      event: E,
      maxAgeMs?: number,
    ): Promise<boolean> {
      const ctx = { operation: 'appendEvent', tenant };
      const keys = keysOf(tenant, ctx.operation);
      requireInteger(event?.at, 'event.at', 0, ctx);
      if (typeof event.type !== 'string' || event.type === '') {
        throw new StoreError(`event.type must be a non-empty string (appendEvent, tenant ${tenant})`, ctx);
      }
      if (event.id !== undefined && (typeof event.id !== 'string' || event.id === '')) {
        throw new StoreError(
          `event.id must be a non-empty string when given (appendEvent, tenant ${tenant})`,
          ctx,
        );
      }
      // Every append trims: events older than the retention (7 days unless given) and beyond the cap go.
      const retention = maxAgeMs ?? DEFAULT_EVENT_RETENTION_MS;
      requireInteger(retention, 'maxAgeMs', 1, ctx);
      const json = toJson(event, 'event', ctx);
      const scriptKeys = event.id === undefined ? [keys.events] : [keys.events, keys.eventId(event.id)];
      const markerTtl = Math.max(retention, DEFAULT_EVENT_ID_TTL_MS);
      const trimBelow = Math.max(0, event.at - retention);
      const added = await attempt(
        ctx,
        `could not store an event of tenant ${tenant} in the state store`,
        () => appendEventScript.run(redis, scriptKeys, [event.at, json, markerTtl, trimBelow, MAX_EVENTS]),
      );
      return added === 1;
    },

    async events<T>(tenant: string, fromMs: number, toMs: number): Promise<T[]> {
      const ctx = { operation: 'events', tenant };
      const keys = keysOf(tenant, ctx.operation);
      requireInteger(fromMs, 'fromMs', 0, ctx);
      requireInteger(toMs, 'toMs', 0, ctx);
      const members = await attempt(
        ctx,
        `could not read the events of tenant ${tenant} from the state store`,
        () => redis.zrangebyscore(keys.events, fromMs, toMs),
      );
      return members.map((m) => parseJson<T>(m, 'event', ctx));
    },

    async appendAudit(tenant: string, entry: AuditEntry): Promise<void> {
      const ctx = { operation: 'appendAudit', tenant };
      const keys = keysOf(tenant, ctx.operation);
      const json = toJson(checkAudit(entry, 'entry', ctx), 'audit entry', ctx);
      await attempt(ctx, `could not append to the audit trail of tenant ${tenant} in the state store`, () =>
        redis.multi().rpush(keys.audit, json).ltrim(keys.audit, -auditCap, -1).exec().then(execOk),
      );
    },

    async auditTrail(tenant: string, limit = DEFAULT_AUDIT_LIMIT): Promise<AuditEntry[]> {
      const ctx = { operation: 'auditTrail', tenant };
      const keys = keysOf(tenant, ctx.operation);
      requireInteger(limit, 'limit', 1, ctx);
      const items = await attempt(
        ctx,
        `could not read the audit trail of tenant ${tenant} from the state store`,
        () => redis.lrange(keys.audit, -limit, -1),
      );
      return items.map((item) => parseJson<AuditEntry>(item, 'audit entry', ctx));
    },

    async acquireLock(tenant: string, name: string, ttlMs: number): Promise<Lock | undefined> {
      const ctx = { operation: 'acquireLock', tenant };
      const keys = keysOf(tenant, ctx.operation);
      requireName(name, 'name', ctx);
      requireInteger(ttlMs, 'ttlMs', 1, ctx);
      const key = keys.lock(name);
      const token = randomUUID();
      const reply = await attempt(
        ctx,
        `could not take the lock '${name}' of tenant ${tenant} in the state store`,
        () => redis.set(key, token, 'PX', ttlMs, 'NX'),
      );
      if (reply !== 'OK') return undefined;
      const releaseCtx = { operation: 'releaseLock', tenant };
      return {
        async release(): Promise<boolean> {
          const released = await attempt(
            releaseCtx,
            `could not release the lock '${name}' of tenant ${tenant} in the state store`,
            () => releaseLockScript.run(redis, [key], [token]),
          );
          return released === 1;
        },
      };
    },

    async getDoc<T>(tenant: string, name: string): Promise<T | undefined> {
      const ctx = { operation: 'getDoc', tenant };
      const keys = keysOf(tenant, ctx.operation);
      requireName(name, 'name', ctx);
      const json = await attempt(
        ctx,
        `could not read the document '${name}' of tenant ${tenant} from the state store`,
        () => redis.get(keys.doc(name)),
      );
      return json == null ? undefined : parseJson<T>(json, `document '${name}'`, ctx);
    },

    async setDoc<T>(tenant: string, name: string, value: T, ttlMs?: number): Promise<void> {
      const ctx = { operation: 'setDoc', tenant };
      const keys = keysOf(tenant, ctx.operation);
      requireName(name, 'name', ctx);
      if (ttlMs !== undefined) requireInteger(ttlMs, 'ttlMs', 1, ctx);
      const json = toJson(value, 'value', ctx);
      const message = `could not write the document '${name}' of tenant ${tenant} to the state store`;
      await attempt(ctx, message, () =>
        ttlMs === undefined ? redis.set(keys.doc(name), json) : redis.set(keys.doc(name), json, 'PX', ttlMs),
      );
    },

    async outbox<E extends OutboxEntry>(tenant: string): Promise<E[]> {
      const ctx = { operation: 'outbox', tenant };
      const keys = keysOf(tenant, ctx.operation);
      const all = await attempt(
        ctx,
        `could not read the outbox of tenant ${tenant} from the state store`,
        () => redis.hvals(keys.outbox),
      );
      return all.map((json) => parseJson<E>(json, 'outbox entry', ctx)).sort((a, b) => a.at - b.at);
    },

    async putOutbox<E extends OutboxEntry>(tenant: string, entry: E): Promise<void> {
      const ctx = { operation: 'putOutbox', tenant };
      const keys = keysOf(tenant, ctx.operation);
      requireName(entry.id, 'id', ctx);
      const json = toJson(entry, 'outbox entry', ctx);
      await attempt(ctx, `could not write the outbox of tenant ${tenant} to the state store`, () =>
        redis.hset(keys.outbox, entry.id, json),
      );
    },

    async removeOutbox(tenant: string, id: string): Promise<void> {
      const ctx = { operation: 'removeOutbox', tenant };
      const keys = keysOf(tenant, ctx.operation);
      await attempt(ctx, `could not write the outbox of tenant ${tenant} to the state store`, () =>
        redis.hdel(keys.outbox, id),
      );
    },

    async releaseClaim(key: string): Promise<void> {
      const ctx = { operation: 'releaseClaim' };
      requireName(key, 'key', ctx);
      await attempt(ctx, `could not release the idempotency key '${key}' in the state store`, () =>
        redis.del(claimKey(prefix, key)),
      );
    },

    async claimOnce(key: string, ttlMs: number): Promise<boolean> {
      const ctx = { operation: 'claimOnce' };
      requireName(key, 'key', ctx);
      requireInteger(ttlMs, 'ttlMs', 1, ctx);
      const reply = await attempt(
        ctx,
        `could not claim the idempotency key '${key}' in the state store`,
        () => redis.set(claimKey(prefix, key), '1', 'PX', ttlMs, 'NX'),
      );
      return reply === 'OK';
    },

    async tenants(): Promise<string[]> {
      const ctx = { operation: 'tenants' };
      const message = 'could not list the tenants in the state store';
      // SSCAN rather than SMEMBERS: bounded work per call even with many tenants.
      const found = new Set<string>();
      let cursor = '0';
      do {
        const [next, batch] = await attempt(ctx, message, () =>
          redis.sscan(tenantsKey(prefix), cursor, 'COUNT', TENANT_SCAN_COUNT),
        );
        for (const t of batch) found.add(t);
        cursor = next;
      } while (cursor !== '0');
      return [...found].sort();
    },

    async reportConnections(report: ConnectionReport, ttlMs: number): Promise<void> {
      const ctx = { operation: 'reportConnections' };
      requireName(report.process, 'process', ctx);
      requireInteger(report.at, 'at', 0, ctx);
      requireInteger(ttlMs, 'ttlMs', 1, ctx);
      for (const [node, n] of Object.entries(report.byNode)) requireInteger(n, `byNode.${node}`, 0, ctx);
      const json = toJson({ ...report, expiresAt: report.at + ttlMs }, 'report', ctx);
      await attempt(ctx, 'could not write the connection report to the state store', () =>
        redis.hset(connectionCensusKey(prefix), report.process, json),
      );
    },

    async connectionReports(now: number): Promise<ConnectionReport[]> {
      const ctx = { operation: 'connectionReports' };
      requireInteger(now, 'now', 0, ctx);
      const key = connectionCensusKey(prefix);
      const all = await attempt(ctx, 'could not read the connection census from the state store', () =>
        redis.hgetall(key),
      );
      const live: ConnectionReport[] = [];
      const gone: string[] = [];
      for (const [process, json] of Object.entries(all)) {
        const report = censusEntry(json);
        if (report && report.expiresAt > now) live.push({ process, at: report.at, byNode: report.byNode });
        else gone.push(process);
      }
      // A container that stopped reporting (reaped) drops out; an unreadable entry too.
      if (gone.length > 0)
        await attempt(ctx, 'could not drop expired connection reports', () => redis.hdel(key, ...gone));
      return live.sort((a, b) => a.process.localeCompare(b.process));
    },

    async checkEpoch(now: number): Promise<StoreEpoch> {
      const ctx = { operation: 'checkEpoch' };
      requireInteger(now, 'now', 0, ctx);
      const fresh: StoreEpochDoc = { status: 'ok', id: randomUUID(), createdAt: now };
      const lost: StoreEpochDoc = {
        status: 'lost',
        detectedAt: now,
        reason: 'the state store lost its identity marker (flushed, or replaced by an empty store)',
        ...(witness ? { previousId: witness } : {}),
      };
      const reply = await attempt(ctx, 'could not read the identity of the state store', () =>
        checkEpochScript.run(
          redis,
          [epochKey(prefix)],
          [witness ?? '', JSON.stringify(fresh), JSON.stringify(lost)],
        ),
      );
      if (!Array.isArray(reply) || typeof reply[0] !== 'string' || typeof reply[1] !== 'string')
        throw new StoreError('unexpected reply from the state store (checkEpoch)', ctx);
      const doc = parseJson<StoreEpochDoc>(reply[1], 'store identity', ctx);
      if (doc.status === 'lost') return doc;
      // An operator's restart after the loss of the identity this process saw: the new identity is the
      // store's now, not a replacement (every warm process sees the restart once, and follows it).
      if (witness !== undefined && doc.id !== witness && doc.restartOf === witness) witness = doc.id;
      if (witness !== undefined && doc.id !== witness) {
        // Another identity under the same address: a different, emptied or restored store. Recorded as
        // lost for everyone, unless another tick recorded it first.
        const replaced: StoreEpochDoc = {
          ...lost,
          reason: `the state store's identity changed (${witness} → ${doc.id}): it was replaced`,
        };
        await attempt(ctx, 'could not record the loss of the state store', () =>
          redis.set(epochKey(prefix), JSON.stringify(replaced)),
        );
        return replaced;
      }
      witness = doc.id;
      return { status: 'ok', id: doc.id, createdAt: doc.createdAt, created: reply[0] === 'created' };
    },

    async restartAfterLoss(now: number): Promise<StoreEpoch> {
      const ctx = { operation: 'restartAfterLoss' };
      requireInteger(now, 'now', 0, ctx);
      const current = await attempt(ctx, 'could not read the identity of the state store', () =>
        redis.get(epochKey(prefix)),
      );
      const record = current === null ? undefined : parseJson<StoreEpochDoc>(current, 'store identity', ctx);
      // The identity that was lost: warm processes that still remember it follow the new one.
      const lostId = record?.status === 'lost' ? record.previousId : undefined;
      const fresh = {
        status: 'ok',
        id: randomUUID(),
        createdAt: now,
        ...(lostId ? { restartOf: lostId } : {}),
      } as const;
      await attempt(ctx, 'could not write a new identity to the state store', () =>
        redis.set(epochKey(prefix), JSON.stringify(fresh)),
      );
      witness = fresh.id;
      return { ...fresh, created: true };
    },

    async time(): Promise<number> {
      const reply = await attempt({ operation: 'time' }, 'the state store did not answer TIME', () =>
        redis.time(),
      );
      const [seconds, micros] = reply.map(Number);
      if (!Number.isSafeInteger(seconds) || !Number.isSafeInteger(micros))
        throw new StoreError('unexpected reply from the state store (time)', { operation: 'time' });
      return (seconds as number) * 1_000 + Math.floor((micros as number) / 1_000);
    },

    async ping(): Promise<void> {
      await attempt({ operation: 'ping' }, 'the state store did not answer a PING', () => redis.ping());
    },
  };
}

async function attempt<R>(ctx: StoreErrorContext, message: string, fn: () => Promise<R>): Promise<R> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof StoreError) throw error;
    throw new StoreError(message, ctx, { cause: error });
  }
}

// MULTI/EXEC reports a failed command inside the result array instead of rejecting.
function execOk(results: [Error | null, unknown][] | null): void {
  if (results === null) throw new Error('MULTI/EXEC was aborted');
  for (const [error] of results) if (error) throw error;
}

// A census entry as reportConnections writes it; anything else in the hash is dropped by the reader.
const censusEntrySchema = z.object({
  at: z.number().int().nonnegative(),
  expiresAt: z.number().int().nonnegative(),
  byNode: z.record(z.string(), z.number().int().nonnegative()),
});

function censusEntry(json: string): z.infer<typeof censusEntrySchema> | undefined {
  try {
    const parsed = censusEntrySchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function requireInteger(value: unknown, field: string, min: number, ctx: StoreErrorContext): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new StoreError(
      `${field} must be an integer ≥ ${min}, got ${String(value)} (${describe(ctx)})`,
      ctx,
    );
  }
}

function requireName(value: unknown, field: string, ctx: StoreErrorContext): void {
  if (typeof value !== 'string' || value === '' || value.length > 512) {
    throw new StoreError(
      `${field} must be a non-empty string of at most 512 characters (${describe(ctx)})`,
      ctx,
    );
  }
}

function checkAudit(entry: AuditEntry, field: string, ctx: StoreErrorContext): AuditEntry {
  requireInteger(entry?.at, `${field}.at`, 0, ctx);
  if (typeof entry.actor !== 'string' || entry.actor === '') {
    throw new StoreError(`${field}.actor must be a non-empty string (${describe(ctx)})`, ctx);
  }
  if (typeof entry.action !== 'string' || entry.action === '') {
    throw new StoreError(`${field}.action must be a non-empty string (${describe(ctx)})`, ctx);
  }
  return entry;
}

function toJson(value: unknown, what: string, ctx: StoreErrorContext): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw new StoreError(`${what} cannot be stored as JSON (${describe(ctx)})`, ctx, { cause: error });
  }
  if (json === undefined) throw new StoreError(`${what} cannot be stored as JSON (${describe(ctx)})`, ctx);
  return json;
}

function parseJson<T>(json: string, what: string, ctx: StoreErrorContext): T {
  try {
    return JSON.parse(json) as T;
  } catch (error) {
    throw new StoreError(`the stored ${what} is not valid JSON (${describe(ctx)})`, ctx, { cause: error });
  }
}

function streamJson(fields: string[]): string {
  const i = fields.indexOf('json');
  return i < 0 ? '' : (fields[i + 1] ?? '');
}

function integerPair(reply: unknown, ctx: StoreErrorContext): [number, number] {
  if (Array.isArray(reply) && typeof reply[0] === 'number' && typeof reply[1] === 'number') {
    return [reply[0], reply[1]];
  }
  throw new StoreError(`unexpected reply from the state store (${describe(ctx)})`, ctx);
}

function describe(ctx: StoreErrorContext): string {
  return ctx.tenant === undefined ? ctx.operation : `${ctx.operation}, tenant ${ctx.tenant}`;
}
