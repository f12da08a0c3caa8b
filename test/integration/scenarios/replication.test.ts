import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Copier, startCopier } from '../../../tools/demo/copier.js';
import { seed } from '../../../tools/demo/seed.js';
import { useCluster, useReplicated, useStandalone } from '../../support/topologies.js';
import {
  compressedPolicy,
  type Harness,
  messagesOf,
  openHarness,
  SECOND,
  scenarioConfig,
  sleep,
  type TenantInput,
  tickSeconds,
} from './fixture.js';

// The replication phase: a Sentinel-fronted legacy (2 dbs) copied by a small CDC tool into a cluster
// target under key prefixes. soakwatch must prove the copy faithful before anyone cuts over.

const legacy = useReplicated({ replicas: 1, sentinels: 1 });
const target = useCluster({ masters: 2, replicasPerMaster: 1 });
const store = useStandalone();

const DB_MAP = { '0': '', '1': 'orders:' };
const legacyDbs = new Map<number, Redis>();
const legacyDb = (db: number) => {
  let c = legacyDbs.get(db);
  if (!c) {
    c = new Redis({ port: legacy().primary.port, db, connectionName: 'app' });
    legacyDbs.set(db, c);
  }
  return c;
};
let targetClient: Cluster;
let copier: Copier;
let h: Harness;

beforeAll(async () => {
  const sentinel = legacy().sentinels[0];
  if (!sentinel) throw new Error('no sentinel');
  const tenant = (id: string): TenantInput => ({
    id,
    legacy: {
      sentinel: { hosts: [`127.0.0.1:${sentinel.port}`], name: legacy().masterName },
      dbs: [0, 1],
    },
    target: { url: target().url, cluster: true, dbMap: DB_MAP },
    soak: compressedPolicy(),
  });
  h = await openHarness(
    scenarioConfig(store().node.url, [
      tenant('faithful'),
      tenant('drifting'),
      { ...tenant('auto'), soak: compressedPolicy({ autoCutover: true }) },
    ]),
  );
  targetClient = new Cluster([{ host: '127.0.0.1', port: target().masters[0]?.port ?? 0 }]);
  await seed(legacyDb, { '0': 300, '1': 200 });
  copier = await startCopier({
    legacy: legacyDb,
    subscriber: new Redis({ port: legacy().primary.port, connectionName: 'cdc' }),
    target: targetClient,
    dbMap: DB_MAP,
    delayMs: 20,
  });
  await copier.fullSync();
});

afterAll(async () => {
  await copier?.stop();
  for (const c of legacyDbs.values()) c.disconnect();
  targetClient?.disconnect();
  await h?.close();
});

/** The application keeps writing to legacy while replication runs; the CDC copier follows. */
async function appWrites(i: number): Promise<void> {
  await legacyDb(1).set(`order:${i}`, 'pending');
  await legacyDb(0).hset(`session:${i % 3}`, { seen: String(i) });
  await sleep(60); // a little more than the copier's lag
}

describe('the replication phase', () => {
  it('makes a faithful replica CUTOVER_READY once its criteria held for readyAfter', async () => {
    const t0 = Date.now();

    const reports = await tickSeconds(h, 'faithful', t0, 8, (i) => appWrites(i));

    expect(reports.every((r) => r.ok && r.sample?.complete)).toBe(true);
    const readyAt = reports.findIndex((r) => r.state === 'CUTOVER_READY');
    expect(readyAt).toBeGreaterThanOrEqual(3); // never before readyAfter: 3 s of held criteria
    const ready = reports[readyAt];
    expect(ready?.transitions).toEqual([
      expect.objectContaining({ kind: 'ready', from: 'REPLICATING', to: 'CUTOVER_READY' }),
    ]);
    const criteria = Object.fromEntries((ready?.verdict?.criteria ?? []).map((c) => [c.id, c]));
    expect(criteria['key-drift']).toMatchObject({ status: 'ok', firing: false });
    expect(criteria['cdc-lag']?.status).toBe('ok');
    expect(criteria['cdc-lag']?.value).toBeGreaterThan(0); // measured end to end through the copier
    expect(criteria['spot-check']).toMatchObject({ status: 'ok', value: 0 });
    expect(ready?.verdict?.spotCheck?.checked).toBeGreaterThan(0);
    expect(messagesOf(h, 'faithful', 'ready-for-cutover')).toHaveLength(1);
    expect(messagesOf(h, 'faithful', 'alert')).toEqual([]);
    expect(reports.slice(readyAt).every((r) => r.state === 'CUTOVER_READY')).toBe(true);
    expect((await h.audit('faithful')).map((e) => `${e.action}:${e.to}`)).toEqual(['ready:CUTOVER_READY']);
  });

  it('never makes a drifting replica ready, and alerts the key drift', async () => {
    const t0 = Date.now();
    // A bug in the replication tool: 25 orders written to legacy are never copied.
    copier.paused = true;
    for (let k = 0; k < 25; k++) await legacyDb(1).set(`order:lost:${k}`, 'x');
    await sleep(50); // their keyspace notifications arrive after the replies: let them pass unseen
    copier.paused = false;

    // Each tick re-checks what the spot-check found missing (after a real second): few ticks, but past readyAfter.
    const reports = await tickSeconds(h, 'drifting', t0, 5, (i) => appWrites(100 + i));

    expect(reports.every((r) => r.ok)).toBe(true);
    expect(reports.map((r) => r.state)).not.toContain('CUTOVER_READY');
    expect(reports.every((r) => r.verdict?.elapsedMs === 0)).toBe(true); // the readiness clock never ran
    const last = reports.at(-1)?.verdict;
    const drift = last?.criteria.find((c) => c.id === 'key-drift');
    expect(drift).toMatchObject({ status: 'breach', firing: true, value: 25 });
    const alerts = messagesOf(h, 'drifting', 'alert');
    expect(alerts.every((m) => m.topic === 'alert')).toBe(true);
    expect(alerts.at(-1)?.body).toContain('[CRITICAL] key-drift: keyDrift is 25, threshold > 2');
    // Sent when what fires changes (the spot-check finds the lost keys, then the drift fires), not every tick.
    expect(alerts.length).toBeLessThanOrEqual(2);
    expect(reports.slice(2).every((r) => r.messages === 0)).toBe(true);
    expect(messagesOf(h, 'drifting', 'ready-for-cutover')).toEqual([]);
    expect(await h.audit('drifting')).toEqual([]);
  });

  it('detects the cutover when the application moves its writes from legacy to target', async () => {
    await copier.fullSync(); // the copier is repaired: what it lost is copied now
    const t0 = Date.now();
    const ready = await tickSeconds(h, 'auto', t0, 6, (i) => appWrites(200 + i));
    expect(ready.at(-1)?.state).toBe('CUTOVER_READY');

    // The application is reconfigured: its writes now go to the target, legacy only sees soakwatch.
    for (const c of legacyDbs.values()) c.disconnect();
    legacyDbs.clear();
    let n = 0;
    const reports = await tickSeconds(h, 'auto', t0 + 6 * SECOND, 6, async () => {
      // Enough traffic to tell from replica PINGs (> 512 bytes of replication stream per sample).
      for (let k = 0; k < 20; k++) await targetClient.set(`orders:order:${n++ % 50}`, 'paid'.repeat(10));
    });

    const cutover = reports.find((r) => r.transitions.some((t) => t.kind === 'cutover'));
    expect(cutover?.transitions).toEqual([
      expect.objectContaining({
        kind: 'cutover',
        from: 'CUTOVER_READY',
        to: 'SOAKING',
        reason: 'cutover detected: writes left legacy and reach the target for 3 samples',
      }),
    ]);
    // Detected at the third sample of moved writes, although the target diverged from legacy at once.
    expect(reports.indexOf(cutover as (typeof reports)[number])).toBe(2);
    expect(reports.slice(0, 2).map((r) => r.state)).toEqual(['CUTOVER_READY', 'CUTOVER_READY']);
    expect(messagesOf(h, 'auto', 'cutover')).toHaveLength(1);
  });
});
