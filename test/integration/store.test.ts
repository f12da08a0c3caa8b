import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuditEntry,
  createStateStore,
  StoreError,
  stateStoreRedisOptions,
} from '../../src/store/index.js';
import type { Standalone } from '../../tools/local/index.js';
import { startCluster, startStandalone } from '../../tools/local/index.js';

const PASSWORD = 'store-test-Pa55word';
const T0 = 1_700_000_000_000;

let server: Standalone;
let redis: Redis;
const extraClients: Redis[] = [];
let tenantSeq = 0;

/** A fresh tenant per test, so tests share one server without seeing each other's keys. */
function newTenant(): string {
  tenantSeq += 1;
  return `tenant-${tenantSeq}`;
}

async function connect(s: Standalone): Promise<Redis> {
  const client = new Redis({
    host: s.node.host,
    port: s.node.port,
    password: PASSWORD,
    ...stateStoreRedisOptions,
  });
  // A killed server makes the client log reconnect failures; the tests assert on the rejections.
  client.on('error', () => {});
  await client.connect();
  return client;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function audit(action: string, at = T0): AuditEntry {
  return { at, actor: 'soakwatch', action, reason: 'test' };
}

beforeAll(async () => {
  server = await startStandalone({ password: PASSWORD });
  redis = await connect(server);
});

afterAll(async () => {
  for (const c of [redis, ...extraClients]) c?.disconnect();
  await server?.stop();
});

describe('createStateStore', () => {
  it('keeps every key of a tenant under the prefix with the tenant as hash tag', async () => {
    const store = createStateStore(redis, { keyPrefix: 'layout:' });

    await store.casState('acme', 0, { phase: 'REPLICATING' }, [audit('create')]);
    await store.appendSample('acme', { at: T0 }, 60_000);
    await store.appendEvent('acme', { at: T0, type: 'failover', id: 'e1' });
    await store.setDoc('acme', 'alerts', { open: [] });

    const keys = await redis.keys('layout:*');
    expect(keys.sort()).toEqual([
      'layout:t:{acme}:audit',
      'layout:t:{acme}:doc:alerts',
      'layout:t:{acme}:event-id:e1',
      'layout:t:{acme}:events',
      'layout:t:{acme}:samples',
      'layout:t:{acme}:state',
      'layout:tenants',
    ]);
  });
});

describe('casState', () => {
  it('creates the state at version 1 when the expected version is 0', async () => {
    const store = createStateStore(redis);
    const tenant = newTenant();

    const result = await store.casState(tenant, 0, { phase: 'REPLICATING' });

    expect(result).toEqual({ ok: true, version: 1 });
    expect(await store.getState(tenant)).toEqual({ version: 1, state: { phase: 'REPLICATING' } });
  });

  it('returns undefined for a tenant without state', async () => {
    const store = createStateStore(redis);

    expect(await store.getState(newTenant())).toBeUndefined();
  });

  it('accepts the current version and refuses a stale one without writing', async () => {
    const store = createStateStore(redis);
    const tenant = newTenant();
    await store.casState(tenant, 0, { phase: 'REPLICATING' });
    await store.casState(tenant, 1, { phase: 'CUTOVER_READY' });

    const stale = await store.casState(tenant, 1, { phase: 'FAILED' });
    const again = await store.casState(tenant, 0, { phase: 'FAILED' });

    expect(stale).toEqual({ ok: false, currentVersion: 2 });
    expect(again).toEqual({ ok: false, currentVersion: 2 });
    expect(await store.getState(tenant)).toEqual({ version: 2, state: { phase: 'CUTOVER_READY' } });
  });

  it('lets exactly one of 10 concurrent writers with the same expected version win', async () => {
    const tenant = newTenant();
    await createStateStore(redis).casState(tenant, 0, { phase: 'SOAKING', writer: -1 });
    const clients = await Promise.all(Array.from({ length: 10 }, () => connect(server)));
    extraClients.push(...clients);

    const results = await Promise.all(
      clients.map((c, writer) =>
        createStateStore(c).casState(tenant, 1, { phase: 'PASSED', writer }, [audit(`pass-${writer}`)]),
      ),
    );

    const winners = results.flatMap((r, writer) => (r.ok ? [writer] : []));
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => !r.ok)).toEqual(Array(9).fill({ ok: false, currentVersion: 2 }));
    const stored = await createStateStore(redis).getState<{ writer: number }>(tenant);
    expect(stored?.state.writer).toBe(winners[0]);
    const trail = await createStateStore(redis).auditTrail(tenant);
    expect(trail.map((e) => e.action)).toEqual([`pass-${winners[0]}`]);
  });

  it('appends the audit entries of an accepted transition and none of a refused one', async () => {
    const store = createStateStore(redis);
    const tenant = newTenant();
    await store.casState(tenant, 0, { phase: 'SOAKING' }, [audit('start', T0)]);

    await store.casState(tenant, 1, { phase: 'SOAKING' }, [audit('reset', T0 + 1), audit('alert', T0 + 2)]);
    await store.casState(tenant, 1, { phase: 'FAILED' }, [audit('fail', T0 + 3)]);

    const trail = await store.auditTrail(tenant);
    expect(trail.map((e) => e.action)).toEqual(['start', 'reset', 'alert']);
    expect(trail[1]).toEqual({ at: T0 + 1, actor: 'soakwatch', action: 'reset', reason: 'test' });
  });

  it('runs again after the server forgot its scripts (SCRIPT FLUSH)', async () => {
    const store = createStateStore(redis);
    const tenant = newTenant();
    await store.casState(tenant, 0, { n: 1 });

    await redis.script('FLUSH');
    const result = await store.casState(tenant, 1, { n: 2 });

    expect(result).toEqual({ ok: true, version: 2 });
  });

  it('refuses an expected version that is not a non-negative integer, naming the field', async () => {
    const store = createStateStore(redis);

    await expect(store.casState('acme', -1, {})).rejects.toThrow(/expectedVersion must be an integer/);
    await expect(store.casState('ac{me}', 0, {})).rejects.toThrow(/tenant must be/);
  });
});

describe('auditTrail', () => {
  it('returns the newest entries last and keeps at most auditCap', async () => {
    const store = createStateStore(redis, { auditCap: 3 });
    const tenant = newTenant();

    for (let i = 0; i < 5; i++) await store.appendAudit(tenant, audit(`a${i}`, T0 + i));

    expect((await store.auditTrail(tenant)).map((e) => e.action)).toEqual(['a2', 'a3', 'a4']);
    expect((await store.auditTrail(tenant, 2)).map((e) => e.action)).toEqual(['a3', 'a4']);
  });
});

describe('acquireLock', () => {
  it('is exclusive until released', async () => {
    const store = createStateStore(redis);
    const tenant = newTenant();

    const first = await store.acquireLock(tenant, 'tick', 10_000);
    const second = await store.acquireLock(tenant, 'tick', 10_000);
    const otherName = await store.acquireLock(tenant, 'hooks', 10_000);

    expect(first).toBeDefined();
    expect(second).toBeUndefined();
    expect(otherName).toBeDefined();
    expect(await first?.release()).toBe(true);
    expect(await store.acquireLock(tenant, 'tick', 10_000)).toBeDefined();
  });

  it('expires after its TTL, and the late owner cannot release the next owner’s lock', async () => {
    const store = createStateStore(redis);
    const tenant = newTenant();
    const late = await store.acquireLock(tenant, 'tick', 100);

    // The TTL runs on the Redis server's clock: nothing to inject, so wait it out.
    await sleep(200);
    const next = await store.acquireLock(tenant, 'tick', 10_000);

    expect(late).toBeDefined();
    expect(next).toBeDefined();
    expect(await late?.release()).toBe(false);
    expect(await store.acquireLock(tenant, 'tick', 10_000)).toBeUndefined();
    expect(await next?.release()).toBe(true);
    expect(await next?.release()).toBe(false);
  });
});

describe('appendSample', () => {
  it('does not append a re-delivered sample (same at) twice', async () => {
    const store = createStateStore(redis);
    const tenant = newTenant();

    const first = await store.appendSample(tenant, { at: T0, keys: 10 }, 3_600_000);
    const redelivered = await store.appendSample(tenant, { at: T0, keys: 11 }, 3_600_000);
    const older = await store.appendSample(tenant, { at: T0 - 60_000, keys: 9 }, 3_600_000);

    expect([first, redelivered, older]).toEqual([true, false, false]);
    expect(await store.samples(tenant, 0, T0 + 1)).toEqual([{ at: T0, keys: 10 }]);
  });

  it('keeps only the samples within maxAge of the newest', async () => {
    const store = createStateStore(redis);
    const tenant = newTenant();

    for (let i = 0; i <= 10; i++) await store.appendSample(tenant, { at: T0 + i * 60_000, i }, 5 * 60_000);

    const kept = await store.samples<{ i: number }>(tenant, 0, T0 + 3_600_000);
    expect(kept.map((s) => s.i)).toEqual([5, 6, 7, 8, 9, 10]);
  });

  it('reads a time range ascending, with a limit, and the latest sample', async () => {
    const store = createStateStore(redis);
    const tenant = newTenant();
    for (let i = 0; i < 6; i++) await store.appendSample(tenant, { at: T0 + i * 1_000, i }, 3_600_000);

    const range = await store.samples<{ i: number }>(tenant, T0 + 1_000, T0 + 4_000);
    const limited = await store.samples<{ i: number }>(tenant, T0 + 1_000, T0 + 4_000, 2);
    const latest = await store.latestSample<{ i: number }>(tenant);

    expect(range.map((s) => s.i)).toEqual([1, 2, 3, 4]);
    expect(limited.map((s) => s.i)).toEqual([1, 2]);
    expect(latest).toEqual({ at: T0 + 5_000, i: 5 });
    expect(await store.latestSample(newTenant())).toBeUndefined();
  });

  it('refuses a sample without an integer at, naming the field', async () => {
    const store = createStateStore(redis);

    await expect(store.appendSample('acme', { at: Number.NaN }, 1_000)).rejects.toThrow(/sample\.at must be/);
  });
});

describe('appendHistory', () => {
  it('keeps the judged history under its own retention while whole samples are trimmed sooner', async () => {
    const store = createStateStore(redis);
    const tenant = newTenant();

    for (let i = 0; i <= 10; i++) {
      await store.appendSample(tenant, { at: T0 + i * 60_000, i, nodes: ['big'] }, 2 * 60_000);
      await store.appendHistory(tenant, { at: T0 + i * 60_000, i }, 3_600_000);
    }

    const samples = await store.samples<{ i: number }>(tenant, 0, T0 + 3_600_000);
    const history = await store.history<{ i: number }>(tenant, 0, T0 + 3_600_000);
    expect(samples.map((s) => s.i)).toEqual([8, 9, 10]);
    expect(history.map((s) => s.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await store.appendHistory(tenant, { at: T0 + 10 * 60_000, i: 99 }, 3_600_000)).toBe(false);
  });
});

describe('appendEvent', () => {
  it('records an event with an id once, even when re-delivered with another payload', async () => {
    const store = createStateStore(redis);
    const tenant = newTenant();
    const sns = { at: T0, type: 'ElastiCache:FailoverComplete', id: 'evt-1', source: 'sns' };
    const describeEvents = { ...sns, source: 'DescribeEvents' };

    const first = await store.appendEvent(tenant, sns);
    const second = await store.appendEvent(tenant, describeEvents);

    expect([first, second]).toEqual([true, false]);
    expect(await store.events(tenant, 0, T0 + 1)).toEqual([sns]);
  });

  it('records an identical event without id once, and distinct ones each', async () => {
    const store = createStateStore(redis);
    const tenant = newTenant();
    const alarm = { at: T0, type: 'alarm', alarm: 'soakwatch-acme-cpu', state: 'ALARM' };

    const results = [
      await store.appendEvent(tenant, alarm),
      await store.appendEvent(tenant, { ...alarm }),
      await store.appendEvent(tenant, { ...alarm, state: 'OK' }),
    ];

    expect(results).toEqual([true, false, true]);
  });

  it('returns events ordered by time even when they arrive late, and drops those past maxAge', async () => {
    const store = createStateStore(redis);
    const tenant = newTenant();
    const maxAge = 10 * 60_000;

    await store.appendEvent(tenant, { at: T0, type: 'old' }, maxAge);
    await store.appendEvent(tenant, { at: T0 + 20 * 60_000, type: 'manual' }, maxAge);
    await store.appendEvent(tenant, { at: T0 + 15 * 60_000, type: 'late' }, maxAge);

    const events = await store.events<{ type: string }>(tenant, 0, T0 + 3_600_000);
    expect(events.map((e) => e.type)).toEqual(['late', 'manual']);
    expect(await store.events(tenant, T0 + 16 * 60_000, T0 + 3_600_000)).toHaveLength(1);
  });
});

describe('documents, claims and tenants', () => {
  it('stores a JSON document and lets it expire when given a TTL', async () => {
    const store = createStateStore(redis);
    const tenant = newTenant();

    await store.setDoc(tenant, 'watermark', { describeEvents: T0 });
    await store.setDoc(tenant, 'cooldown:scale-down', { firedAt: T0 }, 1_000);

    expect(await store.getDoc(tenant, 'watermark')).toEqual({ describeEvents: T0 });
    expect(await store.getDoc(tenant, 'cooldown:scale-down')).toEqual({ firedAt: T0 });
    // Expiry runs on the Redis server's clock: nothing to inject, so wait it out.
    await sleep(1_100);
    expect(await store.getDoc(tenant, 'cooldown:scale-down')).toBeUndefined();
    expect(await store.getDoc(tenant, 'missing')).toBeUndefined();
  });

  it('claims a key once within its TTL', async () => {
    const store = createStateStore(redis);
    const key = `hook:scale-down:${newTenant()}:PASSED:v7`;

    expect(await store.claimOnce(key, 60_000)).toBe(true);
    expect(await store.claimOnce(key, 60_000)).toBe(false);
  });

  it('lists the tenants that have a soak state', async () => {
    const store = createStateStore(redis, { keyPrefix: 'tenants-test:' });
    await store.casState('beta', 0, {});
    await store.casState('acme', 0, {});
    await store.appendSample('gamma', { at: T0 }, 1_000);

    expect(await store.tenants()).toEqual(['acme', 'beta']);
  });
});

describe('the connection census', () => {
  it("keeps each process's latest report until it expires, and drops an unreadable entry", async () => {
    const store = createStateStore(redis, { keyPrefix: 'census-test:' });
    await store.reportConnections({ process: 'p1', at: T0, byNode: { 'a:1': 3, 'b:2': 1 } }, 60_000);
    await store.reportConnections({ process: 'p2', at: T0, byNode: { 'a:1': 2 } }, 10_000);
    // A process's next report replaces its last.
    await store.reportConnections({ process: 'p1', at: T0 + 5_000, byNode: { 'a:1': 4 } }, 60_000);
    await redis.hset('census-test:census:connections', 'p3', 'not json');

    expect(await store.connectionReports(T0 + 9_000)).toEqual([
      { process: 'p1', at: T0 + 5_000, byNode: { 'a:1': 4 } },
      { process: 'p2', at: T0, byNode: { 'a:1': 2 } },
    ]);
    expect(await redis.hexists('census-test:census:connections', 'p3')).toBe(0);
    // p2's report is past its TTL: gone from the census and from the store.
    expect((await store.connectionReports(T0 + 10_000)).map((r) => r.process)).toEqual(['p1']);
    expect(await redis.hkeys('census-test:census:connections')).toEqual(['p1']);
  });

  it('refuses a report with a count that is not a non-negative integer, naming the node', async () => {
    const store = createStateStore(redis, { keyPrefix: 'census-test2:' });
    await expect(
      store.reportConnections({ process: 'p1', at: T0, byNode: { 'a:1': -1 } }, 60_000),
    ).rejects.toThrow(/byNode\.a:1/);
    expect(await store.connectionReports(T0)).toEqual([]);
  });
});

describe('checkEpoch', () => {
  it('creates one identity on a first start, even for 10 processes racing, and keeps it', async () => {
    const prefix = 'epoch-first:';
    const first = await Promise.all(
      Array.from({ length: 10 }, () => createStateStore(redis, { keyPrefix: prefix }).checkEpoch(T0)),
    );

    const ids = new Set(first.map((e) => (e.status === 'ok' ? e.id : 'lost')));
    expect(ids.size).toBe(1);
    expect(first.filter((e) => e.status === 'ok' && e.created)).toHaveLength(1);
    const again = await createStateStore(redis, { keyPrefix: prefix }).checkEpoch(T0 + 1);
    expect(again).toMatchObject({ status: 'ok', id: [...ids][0], createdAt: T0, created: false });
  });

  it('adopts a store from before identities (tenants there, no marker) without calling it lost', async () => {
    const prefix = 'epoch-adopt:';
    await createStateStore(redis, { keyPrefix: prefix }).casState('acme', 0, { phase: 'SOAKING' });

    const epoch = await createStateStore(redis, { keyPrefix: prefix }).checkEpoch(T0);

    expect(epoch).toMatchObject({ status: 'ok', created: true });
    expect(await createStateStore(redis, { keyPrefix: prefix }).getState('acme')).toBeDefined();
  });

  it('reports a store that lost its marker after this process saw it as lost, for every process, until restarted', async () => {
    const prefix = 'epoch-lost:';
    const warm = createStateStore(redis, { keyPrefix: prefix });
    const seen = await warm.checkEpoch(T0);
    await redis.del(`${prefix}epoch`);

    const lost = await warm.checkEpoch(T0 + 1);
    const cold = await createStateStore(redis, { keyPrefix: prefix }).checkEpoch(T0 + 2);

    expect(lost).toMatchObject({
      status: 'lost',
      detectedAt: T0 + 1,
      previousId: seen.status === 'ok' ? seen.id : '',
      reason: expect.stringContaining('flushed'),
    });
    expect(cold).toEqual(lost);
    const restarted = await warm.restartAfterLoss(T0 + 3);
    expect(restarted).toMatchObject({ status: 'ok', created: true, createdAt: T0 + 3 });
    expect(await warm.checkEpoch(T0 + 4)).toMatchObject({ status: 'ok', created: false });
  });

  it('reports another identity under the same address as a replaced store', async () => {
    const prefix = 'epoch-replaced:';
    const warm = createStateStore(redis, { keyPrefix: prefix });
    await warm.checkEpoch(T0);
    await redis.set(`${prefix}epoch`, JSON.stringify({ status: 'ok', id: 'someone-else', createdAt: T0 }));

    const epoch = await warm.checkEpoch(T0 + 1);

    expect(epoch).toMatchObject({ status: 'lost', reason: expect.stringContaining('replaced') });
    expect(await createStateStore(redis, { keyPrefix: prefix }).checkEpoch(T0 + 2)).toMatchObject({
      status: 'lost',
    });
  });
});

describe('time', () => {
  it("reads the store's clock (Redis TIME) in epoch ms", async () => {
    const store = createStateStore(redis);

    const before = Date.now();
    const storeNow = await store.time();
    const after = Date.now();

    // The server runs on this machine: its clock is ours, to the millisecond of TIME's resolution.
    expect(Number.isInteger(storeNow)).toBe(true);
    expect(storeNow).toBeGreaterThanOrEqual(before - 1);
    expect(storeNow).toBeLessThanOrEqual(after + 1);
  });
});

describe('StoreError', () => {
  it('wraps a corrupt stored value with the tenant in the message', async () => {
    const store = createStateStore(redis, { keyPrefix: 'corrupt:' });
    await redis.set('corrupt:t:{acme}:doc:alerts', '{not json');

    await expect(store.getDoc('acme', 'alerts')).rejects.toThrow(/document 'alerts' is not valid JSON.*acme/);
  });

  it('rejects quickly with the cause, naming the tenant and never the password, when the server dies', async () => {
    const doomed = await startStandalone({ password: PASSWORD });
    const client = await connect(doomed);
    extraClients.push(client);
    const store = createStateStore(client);
    await store.casState('acme', 0, { phase: 'SOAKING' });

    await doomed.node.kill();
    const started = Date.now();
    const error = await store.getState('acme').catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    await doomed.stop();

    expect(error).toBeInstanceOf(StoreError);
    const storeError = error as StoreError;
    expect(storeError.name).toBe('StoreError');
    expect(storeError.message).toBe('could not read the soak state of tenant acme from the state store');
    expect(storeError.tenant).toBe('acme');
    expect(storeError.operation).toBe('getState');
    expect(storeError.cause).toBeInstanceOf(Error);
    expect(`${storeError.message} ${String(storeError.cause)} ${storeError.stack}`).not.toContain(PASSWORD);
    expect(elapsed).toBeLessThan(stateStoreRedisOptions.commandTimeout + 1_000);
  });

  it('rejects after commandTimeout when the server hangs', async () => {
    const frozen = await startStandalone({ password: PASSWORD });
    const client = await connect(frozen);
    extraClients.push(client);
    const store = createStateStore(client);

    frozen.node.freeze();
    const started = Date.now();
    const error = await store.casState('acme', 0, {}).catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    frozen.node.thaw();
    await frozen.stop();

    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).message).toBe(
      'could not write the soak state of tenant acme to the state store',
    );
    expect(String((error as StoreError).cause)).toMatch(/timed out/);
    expect(elapsed).toBeLessThan(stateStoreRedisOptions.commandTimeout + 1_000);
  });

  it('rejects every operation with a StoreError while the server is down', async () => {
    const doomed = await startStandalone({ password: PASSWORD });
    const client = await connect(doomed);
    extraClients.push(client);
    const store = createStateStore(client);
    await doomed.node.kill();

    const calls: Promise<unknown>[] = [
      store.casState('acme', 0, {}),
      store.appendSample('acme', { at: T0 }, 1_000),
      store.appendEvent('acme', { at: T0, type: 'x' }),
      store.auditTrail('acme'),
      store.acquireLock('acme', 'tick', 1_000),
      store.claimOnce('k', 1_000),
      store.tenants(),
      store.ping(),
      store.time(),
    ];
    const outcomes = await Promise.allSettled(calls);
    await doomed.stop();

    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(StoreError);
    }
  });
});

describe('on a cluster-mode state store', () => {
  it('runs every operation, each tenant in its own slot, and lists tenants across shards', async () => {
    const cluster = await startCluster({ masters: 3, replicasPerMaster: 0 });
    const seed = cluster.masters.map((m) => ({ host: m.host, port: m.port }));
    const client = new Cluster(seed);
    try {
      const store = createStateStore(client);
      const tenants = ['acme', 'beta', 'gamma', 'delta'];

      for (const tenant of tenants) {
        await store.casState(tenant, 0, { phase: 'SOAKING' }, [audit('start')]);
        await store.appendSample(tenant, { at: T0 }, 60_000);
        await store.appendEvent(tenant, { at: T0, type: 'failover', id: 'e1' }, 60_000);
        await store.appendAudit(tenant, audit('approve', T0 + 1));
        await (await store.acquireLock(tenant, 'tick', 10_000))?.release();
      }

      expect(await store.tenants()).toEqual(['acme', 'beta', 'delta', 'gamma']);
      expect(await store.casState('acme', 1, { phase: 'PASSED' })).toEqual({ ok: true, version: 2 });
      expect(await store.appendEvent('acme', { at: T0, type: 'failover', id: 'e1' })).toBe(false);
      expect((await store.auditTrail('beta')).map((e) => e.action)).toEqual(['start', 'approve']);
    } finally {
      client.disconnect();
      await cluster.stop();
    }
  });
});
