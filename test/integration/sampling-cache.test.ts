import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TenantConfig, tenantSchema } from '../../src/config/schema.js';
import { type ConnectionPool, createConnectionPool } from '../../src/redis/index.js';
import { collectSample, createSamplingCache, REPLICA_MEMORY, type Sample } from '../../src/sampling/index.js';
import type { RedisProcess } from '../../tools/local/index.js';
import { useCluster, useStandalone } from '../support/topologies.js';

// The sampler's per-process cache, as a warm container keeps it (one for the whole file).
const cache = createSamplingCache();

const legacyServer = useStandalone();
const targetCluster = useCluster({ masters: 3, replicasPerMaster: 1 });
const KEYS = 60;
let pool: ConnectionPool;

function tenant(soakCriteria?: unknown[]): TenantConfig {
  return tenantSchema.parse({
    id: 'acme',
    legacy: { url: legacyServer().node.url, dbs: [0] },
    target: { url: targetCluster().url, cluster: true, dbMap: { '0': '' } },
    ...(soakCriteria ? { soak: { soak: { criteria: soakCriteria } } } : {}),
  });
}

async function admin<T>(node: RedisProcess, fn: (c: Redis) => Promise<T>): Promise<T> {
  const c = new Redis({ port: node.port, lazyConnect: true, maxRetriesPerRequest: 0 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    c.disconnect();
  }
}

/** Calls of one command on the given nodes, from INFO commandstats. */
async function calls(nodes: RedisProcess[], command: string): Promise<number> {
  const counts = await Promise.all(nodes.map((n) => admin(n, (c) => callsOn(c, command))));
  return counts.reduce((a, b) => a + b, 0);
}

async function callsOn(client: Redis, command: string): Promise<number> {
  const text = String(await client.call('INFO', 'commandstats'));
  const line = text.split('\r\n').find((l) => l.startsWith(`cmdstat_${command}:`));
  return Number(/calls=(\d+)/.exec(line ?? '')?.[1] ?? 0);
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Every live node's CLUSTER NODES agrees that `master` is a master and `replica` is not. */
async function clusterAgrees(live: RedisProcess[], master: RedisProcess, replica?: RedisProcess) {
  await until('the cluster to agree on the new roles', async () => {
    const views = await Promise.all(live.map((n) => admin(n, (c) => c.call('CLUSTER', 'NODES'))));
    return views.every((text) => {
      const flagsOf = (port: number) =>
        String(text)
          .split('\n')
          .find((l) => l.split(' ')[1]?.startsWith(`127.0.0.1:${port}@`))
          ?.split(' ')[2] ?? '';
      const masterOk = /(^|,)master(,|$)/.test(flagsOf(master.port)) && !/fail/.test(flagsOf(master.port));
      return masterOk && (!replica || /(^|,)slave(,|$)/.test(flagsOf(replica.port)));
    });
  });
}

beforeAll(async () => {
  pool = createConnectionPool({ commandTimeoutMs: 1_000, connectTimeoutMs: 1_000 });
  const legacy = new Redis({ port: legacyServer().node.port });
  const target = new Cluster([{ host: '127.0.0.1', port: targetCluster().masters[0]?.port ?? 0 }]);
  await Promise.all(
    Array.from({ length: KEYS }, (_, i) =>
      Promise.all([legacy.set(`k:${i}`, 'v'), target.set(`k:${i}`, 'v')]),
    ),
  );
  legacy.disconnect();
  target.disconnect();
});

afterAll(async () => {
  await pool?.closeAll();
});

describe('collectSample: CLIENT LIST on legacy', () => {
  it('re-reads CLIENT LIST when a client connects or leaves, and reuses it while nothing changed', async () => {
    const t = tenant();
    // One connection for the test's own reads: a new connection per read would be a change itself.
    const observer = new Redis({ port: legacyServer().node.port });
    // Connected before the first sample reads the node's counters, or its arrival is a change itself.
    await observer.ping();
    const first = await collectSample(t, { pool, cache, now: Date.now });
    const listed = await callsOn(observer, 'client|list');

    const unchanged = await collectSample(t, { pool, cache, now: Date.now, previous: first });
    const afterUnchanged = await callsOn(observer, 'client|list');
    const app = new Redis({ port: legacyServer().node.port, connectionName: 'orders-service' });
    await app.ping();
    const joined = await collectSample(t, { pool, cache, now: Date.now, previous: unchanged });
    const afterJoined = await callsOn(observer, 'client|list');
    app.disconnect();
    await until('the server to drop the client', async () => {
      const text = String(await observer.client('LIST'));
      return !text.includes('orders-service');
    });
    const beforeLeft = await callsOn(observer, 'client|list');
    const left = await collectSample(t, { pool, cache, now: Date.now, previous: joined });
    const afterLeft = await callsOn(observer, 'client|list');
    observer.disconnect();

    expect(afterUnchanged).toBe(listed);
    expect(unchanged.derived.legacyAppClients).toBe(first.derived.legacyAppClients);
    expect(afterJoined).toBe(listed + 1);
    expect(joined.legacy.nodes[0]?.clients?.some((c) => c.name === 'orders-service')).toBe(true);
    expect(joined.derived.legacyAppClients).toBe((first.derived.legacyAppClients ?? 0) + 1);
    expect(afterLeft).toBe(beforeLeft + 1);
    expect(left.legacy.nodes[0]?.clients?.some((c) => c.name === 'orders-service')).toBe(false);
    expect(left.derived.legacyAppClients).toBe(first.derived.legacyAppClients);
  });

  it('reads CLIENT LIST every 10th sample when no criterion of the phase reads legacyAppClients', async () => {
    const t = tenant([
      { id: 'memory', metric: 'targetMemoryPct', aggregate: 'max', window: '5m', threshold: 95 },
    ]);
    const own = createConnectionPool({ commandTimeoutMs: 1_000, connectTimeoutMs: 1_000 });
    try {
      const seen: (number | null | undefined)[] = [];
      for (let i = 0; i < 11; i++)
        seen.push(
          (await collectSample(t, { pool: own, cache, now: Date.now, phase: 'soak' })).derived
            .legacyAppClients,
        );

      expect(seen.map((v) => v !== null && v !== undefined)).toEqual([true, ...Array(9).fill(false), true]);
      expect(seen[0]).toBe(0);
    } finally {
      await own.closeAll();
    }
  });
});

/** INFO commands soakwatch sent `node` since the last SLOWLOG RESET (every command is logged). */
async function infoArgsOn(node: RedisProcess): Promise<string[]> {
  const entries = (await admin(node, (c) => c.call('SLOWLOG', 'GET', '1000'))) as unknown[][];
  return entries
    .filter((e) => String(e[5]) === 'soakwatch' && String((e[3] as unknown[])[0]).toLowerCase() === 'info')
    .map((e) => (e[3] as unknown[]).map(String).join(' ').toLowerCase());
}

describe('collectSample: target replicas carry their memory reading between reads', () => {
  it(`reads a replica's INFO memory every ${REPLICA_MEMORY.every}th sample, a master's every sample`, async () => {
    const { masters, replicas } = targetCluster();
    const own = createConnectionPool({ commandTimeoutMs: 1_000, connectTimeoutMs: 1_000 });
    const t = tenant();
    const nodes = [...masters, ...replicas];
    try {
      let previous: Sample | undefined = await collectSample(t, { pool: own, cache, now: Date.now });
      const first = previous;
      await Promise.all(
        nodes.map((n) =>
          admin(n, (c) => c.pipeline().config('SET', 'slowlog-log-slower-than', '0').slowlog('RESET').exec()),
        ),
      );
      const samples: Sample[] = [];
      for (let i = 1; i <= REPLICA_MEMORY.every; i++) {
        previous = await collectSample(t, { pool: own, cache, now: Date.now, previous });
        samples.push(previous);
      }
      const infos = await Promise.all(nodes.map(infoArgsOn));
      await Promise.all(
        nodes.map((n) => admin(n, (c) => c.config('SET', 'slowlog-log-slower-than', '10000'))),
      );

      const withMemory = (args: string[]) => args.filter((a) => a.split(' ').includes('memory')).length;
      // Masters: every sample asks memory; replicas: only the last (the 10th since the first sample).
      expect(infos.slice(0, masters.length).map(withMemory)).toEqual(masters.map(() => REPLICA_MEMORY.every));
      expect(infos.slice(masters.length).map(withMemory)).toEqual(replicas.map(() => 1));
      expect(infos.map((a) => a.length)).toEqual(nodes.map(() => REPLICA_MEMORY.every));
      for (const [i, s] of samples.entries()) {
        expect(s.complete).toBe(true);
        for (const n of s.target.nodes) {
          expect(n.memory).toBeDefined();
          const carried = n.role === 'replica' && i < REPLICA_MEMORY.every - 1;
          expect(n.memory?.readAt).toBe(carried ? first.at : undefined);
          expect(n.memory?.carried).toBe(carried ? i + 1 : undefined);
        }
        // The fragmentation gauge still covers every target node.
        expect(s.derived.targetFragmentation).not.toBeNull();
      }
    } finally {
      await own.closeAll();
    }
  });

  it('reads memory again when the reading it would carry is older than its age limit', async () => {
    const own = createConnectionPool({ commandTimeoutMs: 1_000, connectTimeoutMs: 1_000 });
    const t = tenant();
    try {
      const first = await collectSample(t, { pool: own, cache, now: Date.now });
      const old = { ...first, at: first.at - REPLICA_MEMORY.maxAgeMs };
      const next = await collectSample(t, { pool: own, cache, now: Date.now, previous: old });
      for (const n of next.target.nodes) expect(n.memory?.readAt).toBeUndefined();
    } finally {
      await own.closeAll();
    }
  });
});

describe('collectSample: cluster topology cache', () => {
  it('reads the topology on the first sample, then again only when it is old', async () => {
    const { masters, replicas } = targetCluster();
    const nodes = [...masters, ...replicas];
    const own = createConnectionPool({ commandTimeoutMs: 1_000, connectTimeoutMs: 1_000 });
    const t = tenant();
    try {
      const before = await calls(nodes, 'cluster|shards');
      for (let i = 0; i < 6; i++)
        await collectSample(t, { pool: own, cache, now: Date.now, topology: { maxSamples: 5 } });
      const afterSix = await calls(nodes, 'cluster|shards');
      const seventh = await collectSample(t, {
        pool: own,
        cache,
        now: Date.now,
        topology: { maxSamples: 5 },
      });
      const afterSeven = await calls(nodes, 'cluster|shards');

      expect(afterSix - before).toBe(1);
      expect(afterSeven - before).toBe(2);
      expect(seventh.complete).toBe(true);
      expect(seventh.target.nodes).toHaveLength(6);
    } finally {
      await own.closeAll();
    }
  });

  it('follows a manual failover in the first sample after it, then trusts the new topology', async () => {
    const { masters, replicas } = targetCluster();
    const [oldMaster, promoted] = [masters[0], replicas[0]];
    if (!oldMaster || !promoted) throw new Error('no shard');
    const nodes = [...masters, ...replicas];
    const t = tenant();
    const warm = await collectSample(t, { pool, cache, now: Date.now });
    await collectSample(t, { pool, cache, now: Date.now, previous: warm });
    await admin(promoted, (c) => c.call('CLUSTER', 'FAILOVER'));
    await clusterAgrees(nodes, promoted, oldMaster);
    const before = await calls(nodes, 'cluster|shards');

    const sample = await collectSample(t, { pool, cache, now: Date.now, previous: warm });
    const afterFailover = await calls(nodes, 'cluster|shards');
    const next = await collectSample(t, { pool, cache, now: Date.now, previous: sample });
    const afterNext = await calls(nodes, 'cluster|shards');

    const role = (s: typeof sample, n: RedisProcess) =>
      s.target.nodes.find((x) => x.address === `127.0.0.1:${n.port}`)?.role;
    expect(role(sample, promoted)).toBe('master');
    expect(role(sample, oldMaster)).toBe('replica');
    // The promoted node's memory is judged from this sample on: read now, not carried from its replica days.
    const promotedNode = sample.target.nodes.find((x) => x.address === `127.0.0.1:${promoted.port}`);
    expect(promotedNode?.memory).toBeDefined();
    expect(promotedNode?.memory?.readAt).toBeUndefined();
    expect(sample.complete).toBe(true);
    expect(sample.keys['0']).toMatchObject({ legacy: KEYS, target: KEYS, targetSource: 'info' });
    expect(afterFailover - before).toBe(1);
    const handle = await pool.target(t);
    expect(handle.nodes.find((n) => n.port === promoted.port)?.role).toBe('master');
    expect(handle.nodes.find((n) => n.port === oldMaster.port)?.role).toBe('replica');
    expect(afterNext).toBe(afterFailover);
    expect(next.keys['0']?.target).toBe(KEYS);
  });

  it('follows the failover of a killed master in the first sample after it', async () => {
    const { masters, replicas } = targetCluster();
    const [victim, promoted] = [masters[2], replicas[2]];
    if (!victim || !promoted) throw new Error('no shard');
    const t = tenant();
    const warm = await collectSample(t, { pool, cache, now: Date.now });
    await victim.kill();
    const live = [...masters, ...replicas].filter((n) => n !== victim);
    await clusterAgrees(live, promoted);

    const sample = await collectSample(t, { pool, cache, now: Date.now, previous: warm });

    const byPort = (port: number) => sample.target.nodes.find((n) => n.address === `127.0.0.1:${port}`);
    expect(byPort(promoted.port)).toMatchObject({ ok: true, role: 'master' });
    expect(byPort(promoted.port)?.memory).toBeDefined();
    expect(byPort(promoted.port)?.memory?.readAt).toBeUndefined();
    expect(Object.keys(byPort(promoted.port)?.keyspace ?? {})).toEqual(['0']);
    expect(byPort(victim.port)?.ok ?? false).toBe(false);
    expect(sample.target.topologyError).toBeUndefined();
    const handle = await pool.target(t);
    expect(handle.nodes.find((n) => n.port === promoted.port)?.role).toBe('master');
  }, 60_000);
});
