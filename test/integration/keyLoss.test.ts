import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TenantConfig, tenantSchema } from '../../src/config/schema.js';
import { type ConnectionPool, createConnectionPool } from '../../src/redis/index.js';
import { collectSample, createSamplingCache, type Sample } from '../../src/sampling/index.js';
import type { PrefixScanState } from '../../src/sampling/prefixCounts.js';
import { useCluster, useStandalone } from '../support/topologies.js';
import { clusterRouter, load, sleep, startWriter, type Writer } from './keyCountsWorkload.js';

// The sampler's per-process cache, as a warm container keeps it (one for the whole file).
const cache = createSamplingCache();

// The soak guards the data: production runs on the target (a 3-master cluster with a replica per
// shard and maxmemory), nothing compares it with legacy any more, and the target must not lose keys
// beyond what expiry, evictions and the application's deletes explain. The application writes
// ~1,000 ops/s on the target (creates, updates, deletes, keys with a TTL expiring during the test).

const legacy = useStandalone();
const target = useCluster({ masters: 3, replicasPerMaster: 1, config: { maxmemory: '512mb' } });

const DB_MAP = { '0': '', '1': 'svc1:', '2': 'svc2:' };
const PER_PREFIX = 20_000;
// svc1: keys live in hash-tag groups of 100 (co-located, as an application groups a user's keys).
const GROUP = 100;
const INTERVAL_MS = 1_000;

let router: Awaited<ReturnType<typeof clusterRouter>>;
let writer: Writer;
let pool: ConnectionPool;

const tenant: () => TenantConfig = () =>
  tenantSchema.parse({
    id: 'acme',
    legacy: { url: legacy().node.url, dbs: [0, 1, 2] },
    target: { url: target().url, cluster: true, dbMap: DB_MAP },
  });

const svc1Key = (i: number) => `svc1:{g${Math.floor(i / GROUP)}}:k:${i}`;

beforeAll(async () => {
  router = await clusterRouter(target().masters);
  // A tenth of the loaded keys expire during the test (5–25 s).
  const ttl = (i: number) => 5 + (i % 21);
  await load(PER_PREFIX, (key) => [{ client: router.route(key), key }], 0.1, ttl);
  await load(PER_PREFIX, (key) => [{ client: router.route(`svc2:${key}`), key: `svc2:${key}` }], 0.1, ttl);
  await load(
    PER_PREFIX,
    (key) => {
      const name = svc1Key(Number(key.slice(2)));
      return [{ client: router.route(name), key: name }];
    },
    0.1,
    ttl,
  );
  // The application on the target: deletes about as many keys as it creates, so the total falls at
  // times and the deletes must explain it.
  writer = startWriter(
    ['', 'svc1:', 'svc2:'].map((prefix) => ({ client: (key: string) => router.route(key), prefix })),
    1_000,
    { mix: { creates: 0.35, updates: 0.35 } },
  );
  pool = createConnectionPool({ commandTimeoutMs: 2_000, connectTimeoutMs: 2_000 });
}, 120_000);

afterAll(async () => {
  await writer?.stop();
  router?.close();
  await pool?.closeAll();
});

let stored: unknown;
const prefixState = {
  load: () => Promise.resolve(stored),
  save: (s: PrefixScanState) => {
    stored = JSON.parse(JSON.stringify(s));
    return Promise.resolve();
  },
};
let previous: Sample | undefined;
const samples: Sample[] = [];

/** Soak ticks a second apart, as the scheduled Lambda runs them. */
async function tick(count: number): Promise<Sample[]> {
  const out: Sample[] = [];
  for (let k = 0; k < count; k++) {
    const started = Date.now();
    const sample = await collectSample(tenant(), {
      pool,
      cache,
      now: Date.now,
      phase: 'soak',
      ...(previous ? { previous } : {}),
      extras: { prefixState, scanKeysPerTick: 40_000, spotCheckKeys: 0 },
    });
    previous = JSON.parse(JSON.stringify(sample)) as Sample;
    samples.push(sample);
    out.push(sample);
    await sleep(Math.max(0, started + INTERVAL_MS - Date.now()));
  }
  return out;
}

const read = (s: Sample) =>
  s.target.nodes.filter((n) => n.role === 'master').every((n) => n.removals?.age === 0);
const sum = (list: Sample[], key: string) => list.reduce((a, s) => a + (s.derived[key] ?? 0), 0);

describe('the soak guards the data', () => {
  it('sees no loss in a healthy soak with application deletes and TTL expiry', async () => {
    const healthy = await tick(14);

    const judged = healthy.slice(1);
    expect(judged.every((s) => s.derived.targetKeysLost !== null)).toBe(true);
    expect(judged.every((s) => s.derived.targetKeysLost === 0)).toBe(true);
    expect(sum(judged, 'targetKeyLossRatio')).toBe(0);
    // The keyspace fell at times, and the deletes explained it; expiry happened.
    expect(judged.some((s) => read(s) && /explain [1-9]/.test(s.notes.targetKeysLost ?? ''))).toBe(true);
    const expired = (s: Sample) =>
      s.target.nodes.reduce((a, n) => a + (n.role === 'master' ? (n.stats?.expiredKeys ?? 0) : 0), 0);
    expect(expired(healthy.at(-1) as Sample) - expired(healthy[0] as Sample)).toBeGreaterThan(100);
    const perPass = judged.filter((s) => s.derived['targetKeysLost@db1'] !== null);
    expect(perPass.length).toBeGreaterThan(0);
    expect(perPass.every((s) => s.derived['targetKeysLost@db1'] === 0)).toBe(true);
    console.log(
      [
        `healthy soak: ${healthy.length} samples, writes ${JSON.stringify(writer.counts)}, removals read in ${judged.filter(read).length} of ${judged.length}`,
        `  last note: ${healthy.at(-1)?.notes.targetKeysLost}`,
        `  per pass: ${perPass.at(-1)?.notes['targetKeysLost@db1']}`,
      ].join('\n'),
    );
  }, 120_000);

  it('sees 20 % of one prefix removed by commands that do not explain it, now and per pass', async () => {
    // A maintenance script unlinks whole hash-tag groups: 40 commands remove 4,000 keys of svc1.
    const groups = Array.from({ length: PER_PREFIX / GROUP / 5 }, (_, g) => g * 5);
    for (const g of groups) {
      const keys = Array.from({ length: GROUP }, (_, j) => svc1Key(g * GROUP + j));
      await router.route(keys[0] as string).unlink(...keys);
    }

    const after = await tick(8);

    const hit = after[0] as Sample;
    // Keys created in the same second hide as many: at least 3,000 of the 4,000 show.
    expect(hit.derived.targetKeysLost).toBeGreaterThan(3_000);
    expect(hit.derived.targetKeyLossRatio).toBeGreaterThan(0.01);
    expect(sum(after.slice(1), 'targetKeysLost')).toBe(0);
    const perPass = after.find((s) => (s.derived['targetKeysLost@db1'] ?? 0) > 0);
    expect(perPass?.derived['targetKeyLossRatio@db1']).toBeGreaterThan(0.05);
    expect(after.every((s) => (s.derived['targetKeysLost@db2'] ?? 0) === 0)).toBe(true);
    console.log(
      `20 % of svc1 unlinked: ${hit.notes.targetKeysLost}\n  per pass: ${perPass?.notes['targetKeysLost@db1']}`,
    );
  }, 120_000);

  it('sees a shard flushed', async () => {
    const master = router.clients[1] as Redis;
    const held = await master.dbsize();
    await master.flushall();

    const [hit] = await tick(2);

    expect(hit?.derived.targetKeysLost).toBeGreaterThan(0.9 * held - 1_000);
    expect(hit?.derived.targetKeyLossRatio).toBeGreaterThan(0.2);
    expect(hit?.notes.targetKeysLost).toMatch(
      /FLUSHDB\/FLUSHALL on 127\.0\.0\.1:\d+: what it removed counts as lost/,
    );
  }, 60_000);
});
