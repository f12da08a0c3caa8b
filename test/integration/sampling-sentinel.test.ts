import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TenantConfig, tenantSchema } from '../../src/config/schema.js';
import { type ConnectionPool, createConnectionPool } from '../../src/redis/index.js';
import { collectSample, createSamplingCache } from '../../src/sampling/index.js';
import { useCluster, useReplicated } from '../support/topologies.js';

// The sampler's per-process cache, as a warm container keeps it (one for the whole file).
const cache = createSamplingCache();

const legacyTopology = useReplicated({ replicas: 1, sentinels: 1 });
const targetCluster = useCluster({ masters: 3, replicasPerMaster: 0 });
let pool: ConnectionPool;

function tenant(): TenantConfig {
  const { sentinels, masterName } = legacyTopology();
  return tenantSchema.parse({
    id: 'acme',
    legacy: {
      sentinel: { hosts: sentinels.map((s) => `127.0.0.1:${s.port}`), name: masterName },
      dbs: [0, 1],
    },
    target: { url: targetCluster().url, cluster: true, dbMap: { '0': '', '1': 'svc1:' } },
  });
}

beforeAll(async () => {
  pool = createConnectionPool({ commandTimeoutMs: 1_000, connectTimeoutMs: 1_000 });
  const primary = legacyTopology().primary;
  const target = new Cluster([{ host: '127.0.0.1', port: targetCluster().masters[0]?.port ?? 0 }]);
  for (const db of [0, 1]) {
    const legacy = new Redis({ port: primary.port, db });
    const prefix = db === 0 ? '' : 'svc1:';
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        Promise.all([legacy.set(`k:${i}`, `v${i}`), target.set(`${prefix}k:${i}`, `v${i}`)]),
      ),
    );
    legacy.disconnect();
  }
  target.disconnect();
});

afterAll(async () => {
  await pool?.closeAll();
});

describe('collectSample: Sentinel legacy → cluster target', () => {
  it('asks Sentinel for the primary and samples the replica it reports', async () => {
    const { primary, replicas } = legacyTopology();

    const sample = await collectSample(tenant(), { pool, cache, now: Date.now });

    expect(sample.legacy.primary).toBe(`127.0.0.1:${primary.port}`);
    expect(sample.legacy.primaryChanged).toBe(false);
    const roles = Object.fromEntries(sample.legacy.nodes.map((n) => [n.address, n.role]));
    expect(roles).toEqual({
      [`127.0.0.1:${primary.port}`]: 'master',
      [`127.0.0.1:${replicas[0]?.port}`]: 'replica',
    });
    expect(sample.keys['0']).toMatchObject({ legacy: 50 });
    expect(sample.derived.legacyReplicationLagBytes).toBeGreaterThanOrEqual(0);
    expect(sample.derived.legacyAppClients).toBe(0); // Sentinel, the replica and soakwatch are not applications
    expect(sample.complete).toBe(true);
  });

  it('sees an idle legacy as idle despite Sentinel hellos and replication pings', async () => {
    const first = await collectSample(tenant(), { pool, cache, now: Date.now });
    // Sentinel publishes a hello every 2 s and pings every 1 s: let some of that happen.
    await new Promise((resolve) => setTimeout(resolve, 2_500));

    const second = await collectSample(tenant(), { pool, cache, now: Date.now, previous: first });

    expect(second.derived.legacyWriteOps).toBe(0);
    // Sentinel's PING/INFO/PUBLISH and the replica's acks are commands too: counted, but few.
    expect(second.derived.legacyCommands).toBeLessThan(20);
    expect(second.derived.streamRestarts).toBe(0);
  });

  it('takes its own heartbeat out of legacy writes in the replication phase', async () => {
    const deps = {
      pool,
      cache,
      now: Date.now,
      phase: 'replication',
      extras: { heartbeatBudgetMs: 100, spotCheckKeys: 5 },
    };
    const first = await collectSample(tenant(), deps);

    const second = await collectSample(tenant(), { ...deps, previous: first });

    // No CDC tool runs here: the heartbeat never reaches the target, the lag is "at least" the budget.
    expect(second.checks?.heartbeat).toMatchObject({ censored: true });
    expect(second.derived.cdcLagMs).toBeGreaterThanOrEqual(100);
    expect(second.derived.spotCheckChecked).toBeGreaterThan(0);
    expect(second.derived.spotCheckMismatches).toBe(0);
    expect(second.derived.legacyWriteOps).toBe(0);
    // The heartbeat key is soakwatch's own: not counted on legacy.
    expect(second.keys['0']?.legacy).toBe(50);
  });

  it('follows a Sentinel failover between two samples and records it', async () => {
    const before = await collectSample(tenant(), { pool, cache, now: Date.now });
    const promoted = await legacyTopology().failover();

    const after = await collectSample(tenant(), { pool, cache, now: Date.now, previous: before });

    const newPrimary = `127.0.0.1:${promoted.port}`;
    expect(before.legacy.primary).not.toBe(newPrimary);
    expect(after.legacy.primary).toBe(newPrimary);
    expect(after.legacy.primaryChanged).toBe(true);
    expect(after.legacy.nodes.find((n) => n.address === newPrimary)).toMatchObject({
      ok: true,
      role: 'master',
    });
    expect(after.keys['0']?.legacy).toBeGreaterThanOrEqual(50);
    expect(after.derived.streamRestarts).toBeGreaterThanOrEqual(1);
    expect(after.derived.legacyWriteOps).toBeNull(); // another primary: no delta across the change

    const next = await collectSample(tenant(), { pool, cache, now: Date.now, previous: after });
    expect(next.legacy.primaryChanged).toBe(false);
    expect(next.legacy.primary).toBe(newPrimary);
  });
});
