import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { getStatus, restartStoreAfterLoss } from '../../src/release/index.js';
import { StoreError, StoreLostError } from '../../src/store/index.js';
import { runTick, STORE_LOST_ALERT_ID, TickError } from '../../src/tick/index.js';
import {
  compressedPolicy,
  forceCutover,
  type Harness,
  messagesOf,
  openHarness,
  SECOND,
  scenarioConfig,
  type TenantInput,
  tickSeconds,
} from '../integration/scenarios/fixture.js';
import { useStandalone } from '../support/topologies.js';
import { printReport, RestartableStore, recordRow } from './support.js';

// Faults of the state store itself (issue 12 rows a and b): flushed, replaced by an empty one, restarted
// with AOF between and during ticks. Each test has its own store process; legacy and target are shared.
// A store that stays unreachable (killed for good, before or during a tick) is in
// test/integration/scenarios/robustness.test.ts ('an unreachable state store'); one tenant's unreachable
// cluster never stopping the others is there too ('tenants are independent').

const legacy = useStandalone();
const target = useStandalone();

const tenant = (id: string, more: Partial<TenantInput> = {}): TenantInput => ({
  id,
  legacy: { url: legacy().node.url },
  target: { url: target().node.url },
  soak: compressedPolicy({ autoApprove: true }),
  hooks: [
    {
      id: 'scale-down-legacy',
      on: ['SCALE_DOWN_APPROVED'],
      action: { type: 'lambda', functionName: 'legacy-redis-scale-down' },
      dryRun: true,
    },
  ],
  ...more,
});

const stores: RestartableStore[] = [];
const harnesses: Harness[] = [];
afterAll(async () => {
  printReport();
  for (const h of harnesses) await h.close().catch(() => undefined);
  for (const s of stores) await s.stop().catch(() => undefined);
});

async function world(aof: boolean, ids: string[]): Promise<{ store: RestartableStore; h: Harness }> {
  const store = await RestartableStore.start({ aof });
  stores.push(store);
  const h = await openHarness(
    scenarioConfig(
      store.url,
      ids.map((id) => tenant(id)),
    ),
  );
  harnesses.push(h);
  return { store, h };
}

/** Everything of the tenants a restart must keep: states, audit trails, hook claims and cooldowns. */
async function durable(h: Harness, ids: string[]): Promise<unknown> {
  const out: Record<string, unknown> = {};
  for (const id of ids) {
    out[id] = {
      state: await h.clients.store.getState(id),
      audit: await h.audit(id),
      cooldowns: await h.clients.store.getDoc(id, 'hook-cooldowns'),
      alerts: await h.clients.store.getDoc(id, 'alerts'),
    };
  }
  return out;
}

async function claims(url: string): Promise<string[]> {
  const c = new Redis(url, { disableClientInfo: true, lazyConnect: true });
  await c.connect();
  try {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await c.scan(cursor, 'MATCH', 'scenario:once:*', 'COUNT', 1000);
      found.push(...keys);
      cursor = next;
    } while (cursor !== '0');
    return found.sort();
  } finally {
    c.disconnect();
  }
}

async function flushAll(url: string): Promise<void> {
  const c = new Redis(url, { disableClientInfo: true, lazyConnect: true });
  await c.connect();
  await c.flushall();
  c.disconnect();
}

describe('(a) the state store emptied', () => {
  it('flushed: the next tick fails loudly and alerts every tenant, never a silent fresh start', async () => {
    const started = Date.now();
    const ids = ['flush-a', 'flush-b'];
    const { store, h } = await world(false, ids);
    const t0 = Date.now();
    for (const id of ids) await forceCutover(h, id, t0);
    for (const id of ids) await tickSeconds(h, id, t0 + SECOND, 3);
    expect((await h.state('flush-a'))?.state).toBe('SOAKING');
    const before = h.messages.length;

    await flushAll(store.url);
    const failure = await runTick(h.deps, { now: t0 + 4 * SECOND }).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(TickError);
    expect((failure as TickError).cause).toBeInstanceOf(StoreLostError);
    const report = (failure as TickError).report;
    expect(report.tenants.map((t) => [t.tenant, t.ok, t.state])).toEqual([
      ['flush-a', false, undefined],
      ['flush-b', false, undefined],
    ]);
    const lostAlerts = h.messages.slice(before);
    expect(lostAlerts.map((m) => [m.attributes.tenant, m.attributes.kind, m.attributes.severity])).toEqual([
      ['flush-a', 'alert', 'critical'],
      ['flush-b', 'alert', 'critical'],
    ]);
    expect(lostAlerts.every((m) => m.body.includes(STORE_LOST_ALERT_ID))).toBe(true);
    // Nothing restarted: no tenant got a fresh REPLICATING state.
    for (const id of ids) expect(await h.clients.store.getState(id)).toBeUndefined();

    // Later ticks keep failing without paging again at once (the alert repeats at repeatEvery)…
    await expect(runTick(h.deps, { now: t0 + 5 * SECOND })).rejects.toBeInstanceOf(TickError);
    expect(h.messages.length).toBe(before + 2);
    // …and a cold process (no memory of the old store) sees the loss too: it is recorded in the store.
    const cold = await openHarness(h.config);
    harnesses.push(cold);
    const coldFailure = await runTick(cold.deps, { now: t0 + 6 * SECOND }).catch((e: unknown) => e);
    expect((coldFailure as TickError).cause).toBeInstanceOf(StoreLostError);
    for (const id of ids) expect(await h.clients.store.getState(id)).toBeUndefined();

    // The release service refuses too: no fresh status, no action on a state it cannot see.
    await expect(getStatus(h.deps, 'flush-a', t0 + 6 * SECOND)).rejects.toBeInstanceOf(StoreLostError);
    await expect(
      h.act('flush-b', { action: 'approve', actor: 'release-manager@test' }, t0 + 6 * SECOND),
    ).rejects.toBeInstanceOf(StoreLostError);
    for (const id of ids) expect(await h.clients.store.getState(id)).toBeUndefined();

    // Only a deliberate restart starts the soaks over (what `soakwatch restart-store` calls), audited.
    const restart = await restartStoreAfterLoss(
      h.deps,
      { actor: 'ops@test', reason: 'the store was flushed' },
      t0 + 7 * SECOND,
    );
    expect(restart.tenants).toEqual(ids);
    const fresh = await h.tick('flush-a', t0 + 8 * SECOND);
    expect(fresh).toMatchObject({ ok: true, state: 'REPLICATING' });
    recordRow({
      fault: '(a) state store flushed (FLUSHALL) mid-soak',
      detectedAfterTicks: 1,
      stateAfter: 'ticks fail (StoreLostError), state UNKNOWN; REPLICATING only after restartAfterLoss',
      lost: 'everything the store held (the fault itself); no silent restart',
      tookMs: Date.now() - started,
      notes: `${lostAlerts.length} critical alerts (1 per tenant), 0 repeats on the next tick; a cold process, the status and an approval refuse too`,
      file: 'test/faults/store.test.ts',
    });
  });

  it('replaced by an empty store at the same address: the warm tick notices and alerts', async () => {
    const started = Date.now();
    const { store, h } = await world(false, ['replaced']);
    const t0 = Date.now();
    await forceCutover(h, 'replaced', t0);
    await tickSeconds(h, 'replaced', t0 + SECOND, 2);

    await store.kill();
    await store.restart({ empty: true });
    // The client reconnects on its own; the first tick after may still meet the closed socket.
    let failure: unknown;
    let ticks = 0;
    for (
      let i = 0;
      i < 5 && !(failure instanceof TickError && failure.cause instanceof StoreLostError);
      i++
    ) {
      ticks++;
      failure = await runTick(h.deps, { now: t0 + (3 + i) * SECOND }).catch((e: unknown) => e);
      if (!(failure instanceof TickError) || !(failure.cause instanceof StoreLostError))
        await new Promise((r) => setTimeout(r, 200));
    }

    expect((failure as TickError).cause).toBeInstanceOf(StoreLostError);
    expect(messagesOf(h, 'replaced', 'alert').map((m) => m.body.includes(STORE_LOST_ALERT_ID))).toEqual([
      true,
    ]);
    expect(await h.clients.store.getState('replaced')).toBeUndefined();
    recordRow({
      fault: '(a) state store replaced by an empty one (same address)',
      detectedAfterTicks: ticks,
      stateAfter: 'ticks fail (StoreLostError), state UNKNOWN, 1 critical alert',
      lost: 'everything the old store held (the fault itself); no silent restart',
      tookMs: Date.now() - started,
      file: 'test/faults/store.test.ts',
    });
  });
});

describe('(b) the state store restarted with AOF on', () => {
  it('between ticks: ticks fail loudly while it is down, nothing reports PASSED, nothing is lost', async () => {
    const started = Date.now();
    const ids = ['aof-between'];
    const { store, h } = await world(true, ids);
    const t0 = Date.now();
    await forceCutover(h, 'aof-between', t0);
    // Through PASSED and the auto-approval: transitions, audit, a hook claim and its cooldown all stored.
    const reports = await tickSeconds(h, 'aof-between', t0 + SECOND, 8);
    expect(reports.at(-1)?.state).toBe('SCALE_DOWN_APPROVED');
    expect(reports.flatMap((r) => r.hooks).map((x) => x.status)).toEqual(['dry-run']);
    const kept = await durable(h, ids);
    const keptClaims = await claims(store.url);
    expect(keptClaims.length).toBeGreaterThan(0);
    const sent = h.messages.length;

    await store.kill();
    const down = await runTick(h.deps, { now: t0 + 9 * SECOND }).catch((e: unknown) => e);
    expect(down).toBeInstanceOf(StoreError);
    expect(h.messages.length).toBe(sent);

    await store.restart();
    expect(await claims(store.url)).toEqual(keptClaims);
    // The client reconnects by itself; wait for it rather than a fixed sleep.
    let after = await h.tick('aof-between', t0 + 10 * SECOND).catch((e: unknown) => e);
    for (let i = 0; i < 20 && !(after && typeof after === 'object' && 'ok' in after); i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await h.tick('aof-between', t0 + 10 * SECOND).catch((e: unknown) => e);
    }
    expect(after).toMatchObject({ ok: true, state: 'SCALE_DOWN_APPROVED', transitions: [], hooks: [] });
    const afterDurable = (await durable(h, ids)) as Record<string, { state: { version: number } }>;
    // Same audit trail, claims, cooldowns; the state moved on by exactly this tick's CAS.
    expect((afterDurable['aof-between'] as unknown as { audit: unknown }).audit).toEqual(
      (kept as Record<string, { audit: unknown }>)['aof-between']?.audit,
    );
    expect(afterDurable['aof-between']?.state.version).toBe(
      ((kept as Record<string, { state: { version: number } }>)['aof-between']?.state.version ?? 0) + 1,
    );
    expect(h.messages.length).toBe(sent);
    recordRow({
      fault: '(b) state store restarted (AOF, SIGKILL) between ticks',
      detectedAfterTicks: 1,
      stateAfter:
        'SCALE_DOWN_APPROVED kept; the tick while down failed (StoreError); next tick ok, epoch unchanged',
      lost: 'nothing (state, audit, hook claims, cooldowns, alert memory equal after the restart)',
      tookMs: Date.now() - started,
      file: 'test/faults/store.test.ts',
    });
  });

  it('during a tick (after the sample, before the verdict is stored): the tick fails, the next one judges once', async () => {
    const started = Date.now();
    const { store, h } = await world(true, ['aof-during']);
    const t0 = Date.now();
    await forceCutover(h, 'aof-during', t0);
    // One tick short of the pass: the tick the store dies in would be the passing one.
    const soak = await tickSeconds(h, 'aof-during', t0 + SECOND, 4);
    expect(soak.at(-1)?.state).toBe('SOAKING');
    const auditBefore = await h.audit('aof-during');
    const sent = h.messages.length;
    const dying = {
      ...h.deps,
      collect: async (...args: Parameters<typeof h.deps.collect>) => {
        const sample = await h.deps.collect(...args);
        await store.kill();
        return sample;
      },
    };
    const passingNow = t0 + 5 * SECOND;

    const failure = await runTick(dying, { now: passingNow, tenantId: 'aof-during' }).catch(
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(TickError);
    expect((failure as TickError).report.tenants[0]).toMatchObject({ ok: false, transitions: [] });
    expect(h.messages.length).toBe(sent);

    await store.restart();
    // The dead tick's lock was written (fsync always) and never released: it survives the restart, and
    // the next tick skips until its TTL ends, so nobody judges beside a tick that might still be running.
    let next = await h.tick('aof-during', passingNow).catch((e: unknown) => e);
    for (let i = 0; i < 20 && !(next && typeof next === 'object' && 'ok' in next); i++) {
      await new Promise((r) => setTimeout(r, 100));
      next = await h.tick('aof-during', passingNow).catch((e: unknown) => e);
    }
    expect(next).toMatchObject({ ok: true, skipped: 'locked', transitions: [] });
    const lockKey = 'scenario:t:{aof-during}:lock:tick';
    const admin = new Redis(store.url, { disableClientInfo: true, lazyConnect: true });
    await admin.connect();
    const ttl = await admin.pttl(lockKey);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(h.config.sampling.budgetMs * 3 + 10_000);
    // The next scheduled tick comes a sample interval later (60 s in production), past that TTL: the
    // TTL's end is brought forward instead of waited for.
    await admin.pexpire(lockKey, 1);
    admin.disconnect();
    await new Promise((r) => setTimeout(r, 5));
    next = await h.tick('aof-during', passingNow);
    const again = await h.tick('aof-during', passingNow);
    const later = await tickSeconds(h, 'aof-during', passingNow + SECOND, 3);
    expect(later.at(-1)?.state).toBe('SCALE_DOWN_APPROVED');
    const audit = await h.audit('aof-during');
    const newEntries = audit.slice(auditBefore.length).map((e) => `${e.action}:${e.to ?? ''}`);
    expect(next).toMatchObject({ ok: true, judged: true });
    expect(again).toMatchObject({ ok: true, skipped: 'duplicate', transitions: [] });
    expect(newEntries.filter((e) => e === 'passed:PASSED')).toHaveLength(1);
    expect(messagesOf(h, 'aof-during', 'passed')).toHaveLength(1);
    expect(audit.filter((e) => e.action === 'hook.dry-run')).toHaveLength(1);
    recordRow({
      fault: '(b) state store restarted (AOF, SIGKILL) during a tick',
      detectedAfterTicks: 0,
      stateAfter: `the dying tick failed (TickError, no message); its lock held until its TTL (${ttl} ms); then ${(next as { state?: string }).state}`,
      lost: 'nothing (the interrupted tick wrote nothing; passed/approved/hook once)',
      tookMs: Date.now() - started,
      file: 'test/faults/store.test.ts',
    });
  });
});
