import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TenantConfig, tenantSchema } from '../../src/config/schema.js';
import { type ConnectionPool, createConnectionPool } from '../../src/redis/index.js';
import { collectSample, createSamplingCache } from '../../src/sampling/index.js';
import type { PrefixScanState } from '../../src/sampling/prefixCounts.js';
import { useCluster, useStandalone } from '../support/topologies.js';

// The sampler's per-process cache, as a warm container keeps it (one for the whole file).
const cache = createSamplingCache();

const legacyServer = useStandalone();
const targetCluster = useCluster({ masters: 3, replicasPerMaster: 1 });

const DB_MAP = { '0': '', '1': 'svc1:', '2': 'svc2:' };
let pool: ConnectionPool;
let target: Cluster;
const legacyDbs: Redis[] = [];

function tenant(overrides: { dbMap?: Record<string, string>; dbs?: number[] } = {}): TenantConfig {
  return tenantSchema.parse({
    id: 'acme',
    legacy: { url: legacyServer().node.url, dbs: overrides.dbs ?? [0, 1, 2] },
    target: { url: targetCluster().url, cluster: true, dbMap: overrides.dbMap ?? DB_MAP },
  });
}

/** A SCAN state kept in memory, as the tick keeps it in the state store. */
function memoryPrefixState(): { load(): Promise<unknown>; save(s: PrefixScanState): Promise<void> } {
  let state: unknown;
  return {
    load: () => Promise.resolve(state),
    save: (s) => {
      state = JSON.parse(JSON.stringify(s));
      return Promise.resolve();
    },
  };
}

/**
 * Two samples a moment apart, the second against the first: the live drift of the unscoped totals
 * allows for the legacy writes in flight, which needs the write rate since a previous sample.
 */
async function sampleAfterOne(t: TenantConfig, scanKeysPerTick = 10_000) {
  const extras = { prefixState: memoryPrefixState(), scanKeysPerTick };
  const first = await collectSample(t, { pool, cache, now: Date.now, extras });
  return collectSample(t, { pool, cache, now: Date.now, extras, previous: first });
}

async function seed(db: number, prefix: string, count: number, ttlEvery = 0): Promise<void> {
  const legacy = legacyDbs[db] as Redis;
  const lp = legacy.pipeline();
  const writes: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const key = `k:${i}`;
    const ttl = ttlEvery > 0 && i % ttlEvery === 0 ? ['EX', 3600] : [];
    lp.call('SET', key, 'v', ...ttl);
    // A cluster pipeline needs one slot per pipeline: plain commands, sent concurrently.
    writes.push(target.call('SET', `${prefix}${key}`, 'v', ...ttl));
  }
  await Promise.all([lp.exec(), ...writes]);
}

beforeAll(async () => {
  pool = createConnectionPool({ commandTimeoutMs: 500, connectTimeoutMs: 1_000 });
  target = new Cluster([{ host: '127.0.0.1', port: targetCluster().masters[0]?.port ?? 0 }]);
  for (const db of [0, 1, 2]) legacyDbs[db] = new Redis({ port: legacyServer().node.port, db });
  await seed(0, '', 300, 10);
  await seed(1, 'svc1:', 200, 4);
  await seed(2, 'svc2:', 100, 3);
});

afterAll(async () => {
  await pool?.closeAll();
  target?.disconnect();
  for (const c of legacyDbs) c.disconnect();
});

describe('collectSample: standalone legacy → cluster target', () => {
  it('samples every master and replica and counts keys per db and prefix', async () => {
    const sample = await collectSample(tenant(), {
      pool,
      cache,
      now: Date.now,
      extras: { prefixState: memoryPrefixState(), scanKeysPerTick: 10_000 },
    });

    expect(sample.complete).toBe(true);
    expect(sample.legacy.nodes.map((n) => n.role)).toEqual(['master']);
    expect(sample.target.nodes).toHaveLength(6);
    expect(sample.target.nodes.filter((n) => n.role === 'master')).toHaveLength(3);
    expect(sample.target.nodes.every((n) => n.ok && n.infoMode === 'multi')).toBe(true);
    expect(sample.keys['0']).toMatchObject({
      legacy: 300,
      target: 300,
      targetSource: 'scan',
      legacyPersistent: 270,
    });
    expect(sample.keys['1']).toMatchObject({ prefix: 'svc1:', legacy: 200, target: 200 });
    expect(sample.keys['2']).toMatchObject({ prefix: 'svc2:', legacy: 100, target: 100 });
    expect((await sampleAfterOne(tenant())).derived.keyDrift).toBe(0);
    expect(sample.derived.samplerFailures).toBe(0);
    expect(sample.derived.targetReplicationLinksDown).toBe(0);
    expect(sample.derived.targetErrorRate).toBeNull(); // no previous sample: no rate
  });

  it('finds the drift of one db when the target lost keys under its prefix', async () => {
    await Promise.all(['svc1:k:1', 'svc1:k:2', 'svc1:k:3'].map((k) => target.del(k)));

    const sample = await sampleAfterOne(tenant());

    expect(sample.derived['keyDrift@db1']).toBe(3);
    expect(sample.derived['keyDrift@db0']).toBe(0);
    expect(sample.derived.keyDrift).toBe(3);
    await seed(1, 'svc1:', 200, 4);
  });

  it('finds no persistent-key drift on identical data with and without TTLs in three dbs', async () => {
    const sample = await sampleAfterOne(tenant());

    // Every 10th / 4th / 3rd key has a TTL: 300 → 270, 200 → 150, 100 → 66 keys without expiry.
    expect(sample.keys['0']).toMatchObject({
      legacyPersistent: 270,
      targetPersistent: 270,
      targetSource: 'scan',
    });
    expect(sample.keys['1']).toMatchObject({
      legacyPersistent: 150,
      targetPersistent: 150,
      targetSource: 'scan',
    });
    expect(sample.keys['2']).toMatchObject({
      legacyPersistent: 66,
      targetPersistent: 66,
      targetSource: 'scan',
    });
    for (const db of ['db0', 'db1', 'db2']) expect(sample.derived[`persistentKeyDrift@${db}`]).toBe(0);
    expect(sample.derived.persistentKeyDrift).toBe(0);
    expect(sample.derived.persistentKeyDriftRatio).toBe(0);
  });

  it('counts the extra persistent keys on legacy as persistent-key drift, not the extra keys with a TTL', async () => {
    const db1 = legacyDbs[1] as Redis;
    const db2 = legacyDbs[2] as Redis;
    await Promise.all([
      db1.set('extra:p1', 'v'),
      db1.set('extra:p2', 'v'),
      db1.set('extra:t1', 'v', 'EX', 3600),
      db1.set('extra:t2', 'v', 'EX', 3600),
      db1.set('extra:t3', 'v', 'EX', 3600),
      ...['extra:p1', 'extra:p2', 'extra:p3', 'extra:p4'].map((k) => db2.set(k, 'v')),
    ]);
    try {
      const sample = await sampleAfterOne(tenant());

      expect(sample.derived['persistentKeyDrift@db0']).toBe(0);
      expect(sample.derived['persistentKeyDrift@db1']).toBe(2);
      expect(sample.derived['persistentKeyDrift@db2']).toBe(4);
      expect(sample.derived.persistentKeyDrift).toBe(6);
      expect(sample.derived.keyDrift).toBe(9);
      // The worst db, not the drift spread over every db (contract §3): 4 of db 2's 70 keys without
      // expiry. Before, 6 / (270 + 152 + 70): a small db's loss was diluted by the others.
      expect(sample.derived.persistentKeyDriftRatio).toBeCloseTo(4 / 70);
    } finally {
      await db1.del('extra:p1', 'extra:p2', 'extra:t1', 'extra:t2', 'extra:t3');
      await db2.del('extra:p1', 'extra:p2', 'extra:p3', 'extra:p4');
    }
  });

  it('fills the persistent count from the estimate until the first SCAN pass completes', async () => {
    const sample = await collectSample(tenant(), {
      pool,
      cache,
      now: Date.now,
      extras: { prefixState: memoryPrefixState(), scanKeysPerTick: 1 },
    });

    const db1 = sample.keys['1'];
    expect(db1?.targetSource).toBe('estimate');
    expect(db1?.targetPersistent).not.toBeNull();
    expect(db1?.targetPersistent).toBeLessThanOrEqual(db1?.target ?? 0);
    // An estimate is shown, never judged (it made a healthy tenant's first samples breach): no data,
    // with how far the first pass is.
    expect(sample.derived['persistentKeyDrift@db1']).toBeNull();
    expect(sample.notes['persistentKeyDrift@db1']).toMatch(/^first SCAN pass \d+ % done \(estimate /);
  });

  it('reads the exact target total from INFO when one db maps to the whole target', async () => {
    const t = tenant({ dbs: [0], dbMap: { '0': '' } });
    const sizes = await Promise.all(
      targetCluster().masters.map(async (m) => {
        const direct = new Redis(m.port);
        const size = await direct.dbsize();
        direct.disconnect();
        return size;
      }),
    );
    const expected = sizes.reduce((a, b) => a + b, 0);

    const sample = await collectSample(t, { pool, cache, now: Date.now });

    expect(sample.keys['0']).toMatchObject({ legacy: 300, target: expected, targetSource: 'info' });
  });

  it('sees no legacy writes or commands between two samples of an idle legacy', async () => {
    const t = tenant();
    const first = await collectSample(t, { pool, cache, now: Date.now });

    const second = await collectSample(t, { pool, cache, now: Date.now, previous: first });

    expect(second.derived.legacyWriteOps).toBe(0);
    expect(second.derived.legacyCommands).toBe(0);
    expect(second.derived.legacyErrorRate).toBe(0);
    expect(second.derived.targetErrorRate).toBe(0);
    expect(second.derived.streamRestarts).toBe(0);
  });

  it('catches an application still writing to legacy and still connected', async () => {
    const t = tenant();
    // An unwatched db: the keys do not change the counts other tests read, the commands still count.
    const app = new Redis({ port: legacyServer().node.port, db: 7, connectionName: 'orders-service' });
    await app.ping();
    const first = await collectSample(t, { pool, cache, now: Date.now });
    await app.set('orders:1', 'x');
    await app.incr('orders:count');
    await app.get('orders:1');

    const second = await collectSample(t, { pool, cache, now: Date.now, previous: first });
    app.disconnect();

    expect(second.derived.legacyCommands).toBe(3);
    expect(second.derived.legacyWriteOps).toBeGreaterThan(0);
    expect(second.derived.legacyAppClients).toBeGreaterThanOrEqual(1);
    const clients = second.legacy.nodes[0]?.clients ?? [];
    expect(clients.some((c) => c.name === 'orders-service')).toBe(true);
  });

  it('returns within the budget when a node is frozen, with that node failed', async () => {
    const t = tenant({ dbs: [0], dbMap: { '0': '' } });
    await collectSample(t, { pool, cache, now: Date.now }); // warm connections
    const frozen = targetCluster().replicas[0];
    if (!frozen) throw new Error('no replica');
    frozen.freeze();
    try {
      const started = Date.now();

      const sample = await collectSample(t, { pool, cache, now: Date.now, budgetMs: 1_500 });

      const took = Date.now() - started;
      expect(took).toBeLessThan(1_500 + 300);
      expect(sample.complete).toBe(false);
      const failed = sample.target.nodes.filter((n) => !n.ok);
      expect(failed.map((n) => n.address)).toEqual([`127.0.0.1:${frozen.port}`]);
      expect(failed[0]?.error).toMatch(/timed out|budget/i);
      expect(sample.target.nodes.filter((n) => n.ok)).toHaveLength(5);
      expect(sample.derived.samplerFailures).toBe(1);
    } finally {
      frozen.thaw();
    }
    const after = await collectSample(t, { pool, cache, now: Date.now });
    expect(after.complete).toBe(true);
  });

  it('bounds the sample by its budget when the command timeout is longer', async () => {
    const t = tenant({ dbs: [0], dbMap: { '0': '' } });
    const patient = createConnectionPool({ commandTimeoutMs: 10_000, connectTimeoutMs: 1_000 });
    await collectSample(t, { pool: patient, cache, now: Date.now });
    const frozen = targetCluster().masters[1];
    if (!frozen) throw new Error('no master');
    frozen.freeze();
    try {
      const started = Date.now();

      const sample = await collectSample(t, { pool: patient, cache, now: Date.now, budgetMs: 1_000 });

      expect(Date.now() - started).toBeLessThan(1_000 + 300);
      const failed = sample.target.nodes.filter((n) => !n.ok);
      expect(failed.map((n) => n.address)).toContain(`127.0.0.1:${frozen.port}`);
      expect(failed.find((n) => n.address === `127.0.0.1:${frozen.port}`)?.error).toMatch(/budget/);
      expect(sample.keys['0']?.target).toBeNull();
    } finally {
      frozen.thaw();
      await patient.closeAll();
    }
  });

  it('returns the rest of the sample when a target master is killed', async () => {
    const t = tenant({ dbs: [0], dbMap: { '0': '' } });
    const before = await collectSample(t, { pool, cache, now: Date.now });
    const victim = targetCluster().masters[2];
    if (!victim) throw new Error('no master');
    await victim.kill();

    const sample = await collectSample(t, { pool, cache, now: Date.now, previous: before });

    const dead = sample.target.nodes.find((n) => n.address === `127.0.0.1:${victim.port}`);
    expect(dead).toMatchObject({ ok: false, role: 'master' });
    expect(sample.complete).toBe(false);
    expect(sample.legacy.nodes.every((n) => n.ok)).toBe(true);
    expect(sample.keys['0']?.target).toBeNull(); // a master is missing: no total, never a wrong one
    expect(sample.keys['0']?.legacy).toBe(300);
    expect(sample.derived.samplerFailures).toBeGreaterThanOrEqual(1);
  });
});
