import type { Cluster } from 'ioredis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AlertPayload } from '../../src/alerts/index.js';
import type { MismatchSummary } from '../../src/metrics/index.js';
import { type Sample, spotCheckSummaryOf } from '../../src/sampling/index.js';
import { clusterClient, flushCluster } from '../support/consistency/clients.js';
import { useCluster, useStandalone } from '../support/topologies.js';
import {
  compressedPolicy,
  type Harness,
  messagesOf,
  openHarness,
  SECOND,
  scenarioConfig,
  type TenantInput,
} from './scenarios/fixture.js';

// The spot-check's mismatches leave the sampler summarized by db, key pattern, type, TTL class and
// kind, never by key name; the real tick carries the summary through the sample and the judge into
// the on-call alert. Legacy: one redis-server with 3 dbs; target: a 3-master cluster under prefixes.
const legacyServer = useStandalone();
const targetCluster = useCluster({ masters: 3, replicasPerMaster: 0 });
const store = useStandalone();

const DB_MAP = { '0': '', '1': 'svc1:', '2': 'svc2:' };
const DBS = [0, 1, 2] as const;
const legacyDbs = new Map<number, Redis>();
const legacyDb = (db: number): Redis => {
  let c = legacyDbs.get(db);
  if (!c) {
    c = new Redis({ port: legacyServer().node.port, db });
    legacyDbs.set(db, c);
  }
  return c;
};
let target: Cluster;
let h: Harness;

beforeAll(async () => {
  const tenant = (id: string): TenantInput => ({
    id,
    // No CDC stand-in here: without a heartbeat every suspect is judged at the next tick.
    legacy: { url: legacyServer().node.url, dbs: [...DBS], heartbeat: { enabled: false } },
    target: { url: targetCluster().url, cluster: true, dbMap: DB_MAP },
    soak: compressedPolicy(),
  });
  h = await openHarness(scenarioConfig(store().node.url, [tenant('sessions'), tenant('spread')]));
  target = await clusterClient(targetCluster());
});
afterAll(async () => {
  await h?.close();
  await target?.quit();
  await Promise.all([...legacyDbs.values()].map((c) => c.quit()));
});
beforeEach(async () => {
  await legacyDb(0).flushall();
  await flushCluster(target);
});

/** Writes a key on legacy and, unless `lost`, the same key on the target under its db's prefix. */
async function put(db: number, key: string, opts: { ttlMs?: number; lost?: boolean } = {}): Promise<void> {
  const value = `value of ${key}`;
  const write = (c: Redis | Cluster, k: string) =>
    opts.ttlMs === undefined ? c.set(k, value) : c.set(k, value, 'PX', opts.ttlMs);
  await write(legacyDb(db), key);
  if (!opts.lost) await write(target, `${DB_MAP[String(db) as '0']}${key}`);
}

/** Keys present on both sides in every db: the healthy background. */
async function background(): Promise<void> {
  for (const db of DBS) for (let i = 0; i < 20; i++) await put(db, `user:${1000 + i}:profile`);
}

/** Two ticks a second apart (a suspect of the first is confirmed at the second); the second's alert and sample. */
async function twoTicks(tenantId: string) {
  const t0 = Date.now();
  const first = await h.tick(tenantId, t0);
  const second = await h.tick(tenantId, t0 + SECOND);
  expect(first.ok && second.ok, JSON.stringify([first.error, second.error])).toBe(true);
  const sample = (await h.clients.store.latestSample<Sample>(tenantId)) as Sample;
  const [alert] = messagesOf(h, tenantId, 'alert');
  if (!alert) throw new Error(`no alert for ${tenantId}: ${JSON.stringify(second.verdict?.firing)}`);
  const payload = JSON.parse((JSON.parse(alert.structured ?? '{}') as { sqs: string }).sqs) as AlertPayload;
  const spot = payload.firing?.find((f) => f.id === 'spot-check');
  return { second, sample, alert, spot, summary: spotCheckSummaryOf(sample) };
}

describe('the spot-check mismatch summary, through the real tick', () => {
  it('names db 2 `session:*` with TTL < 60 s when those keys are missing on the target', async () => {
    await background();
    const ids = Array.from({ length: 25 }, (_, i) => (0x5e55_1000 + i * 7919).toString(16));
    for (const id of ids) await put(2, `session:${id}`, { ttlMs: 45_000, lost: true });

    const { second, sample, alert, spot, summary } = await twoTicks('sessions');

    expect(summary?.total).toBeGreaterThanOrEqual(20);
    const n = summary?.total ?? 0;
    expect(summary).toMatchObject({
      byKind: { missing: n },
      byTtl: { lt60s: n },
      finding: {
        kind: 'concentrated',
        db: { db: 2, count: n },
        pattern: { db: 2, pattern: 'session:*', count: n },
        ttl: { ttl: 'lt60s', count: n },
      },
      hints: ['expiredInFlight'],
    });
    expect(summary?.byType.top).toEqual([{ legacy: 'string', target: 'none', count: n }]);
    // The judge's evidence of the criterion and the alert carry it: text and JSON.
    const evidence = second.verdict?.criteria.find((c) => c.id === 'spot-check');
    expect(evidence?.mismatches?.total).toBe(n);
    expect(alert.body).toContain(
      `  Mismatches: ${n} mismatches, all in db 2 \`session:*\`, all with TTL < 60 s (missing on target ${n}): expired in flight?`,
    );
    expect(spot?.mismatches).toEqual(evidence?.mismatches);
    // Key names never leave the sampler: not in the stored sample, not in the alert.
    const stored = JSON.stringify(sample);
    for (const id of ids) {
      expect(stored).not.toContain(id);
      expect(alert.structured).not.toContain(id);
    }
  });

  it('says spread when the missing keys are over every db and pattern', async () => {
    await background();
    const patterns = ['cart:%', 'order:%:items', 'feed:%', 'quota:%:day'];
    const ttls = [undefined, 7_200_000, 600_000];
    let i = 0;
    for (const db of DBS)
      for (const p of patterns)
        for (let k = 0; k < 3; k++, i++)
          await put(db, p.replace('%', String(40_000 + i)), { ttlMs: ttls[i % 3], lost: true });

    const { alert, spot, summary } = await twoTicks('spread');

    const n = summary?.total ?? 0;
    expect(n).toBeGreaterThanOrEqual(25);
    expect(summary?.finding).toMatchObject({ kind: 'spread', dbs: 3 });
    expect(summary?.finding.patterns).toBeGreaterThanOrEqual(10);
    expect(summary?.finding).not.toHaveProperty('db');
    expect(summary?.finding).not.toHaveProperty('ttl');
    expect(summary?.hints).toEqual([]);
    expect(summary?.byKind).toEqual({ missing: n });
    const all = (s: MismatchSummary | undefined) => (s?.byPattern.top ?? []).map((e) => e.pattern);
    expect(all(summary).every((p) => patterns.includes(p.replace('*', '%')))).toBe(true);
    expect(alert.body).toMatch(
      / {2}Mismatches: \d+ mismatches spread over 10\+? patterns in 3 dbs \(missing on target \d+\)$/m,
    );
    expect(spot?.mismatches?.finding.kind).toBe('spread');
  });
});
