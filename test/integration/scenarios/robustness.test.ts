import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { getStatus } from '../../../src/release/index.js';
import { StoreError } from '../../../src/store/index.js';
import { runTick, TickError } from '../../../src/tick/index.js';
import { freePort, startStandalone } from '../../../tools/local/index.js';
import { useCluster, useStandalone } from '../../support/topologies.js';
import {
  forceCutover,
  type Harness,
  messagesOf,
  openHarness,
  SECOND,
  scenarioConfig,
  type TenantInput,
  tickSeconds,
} from './fixture.js';

// What must hold when ticks collide, the state store goes away, or one tenant's cluster is unreachable.

const legacy = useStandalone();
const target = useCluster({ masters: 2, replicasPerMaster: 0 });
const store = useStandalone();

let deadPort: number;
let h: Harness;
const tenant = (id: string, legacyUrl?: string): TenantInput => ({
  id,
  legacy: { url: legacyUrl ?? legacy().node.url },
  target: { url: target().url, cluster: true },
});

beforeAll(async () => {
  deadPort = await freePort(); // nothing listens there: connections are refused
  h = await openHarness(
    scenarioConfig(store().node.url, [
      tenant('busy'),
      tenant('healthy'),
      tenant('cut-off', `redis://127.0.0.1:${deadPort}`),
    ]),
  );
});

afterAll(async () => {
  await h?.close();
});

/** Ticks once a second from `from` until the soak is at most one tick from its pass; returns the next `now`. */
async function tickUntilOneBeforePass(x: Harness, tenantId: string, from: number): Promise<number> {
  for (let now = from; now < from + 20 * SECOND; now += SECOND) {
    const r = await x.tick(tenantId, now);
    if (r.state !== 'SOAKING') throw new Error(`unexpected state ${r.state}`);
    // A tick credits at most one second: the soak cannot pass before this.
    if ((r.verdict?.remainingMs ?? Number.POSITIVE_INFINITY) <= SECOND) return now + SECOND;
  }
  throw new Error(`${tenantId} never came within one tick of the pass`);
}

describe('concurrent ticks', () => {
  it('record exactly one transition when 10 ticks of the same tenant and time run at once', async () => {
    const t0 = Date.now();
    await forceCutover(h, 'busy', t0);
    await tickSeconds(h, 'busy', t0 + SECOND, 3);
    // A failover the next tick must judge: a soak reset, whatever the samples say.
    await h.clients.store.appendEvent('busy', {
      at: t0 + 3_500,
      type: 'ElastiCache:FailoverComplete',
      source: 'elasticache',
      detail: 'busy-rg-0001-001',
    });
    const now = t0 + 4 * SECOND;

    const reports = await Promise.all(
      Array.from({ length: 10 }, () => runTick(h.deps, { now, tenantId: 'busy' })),
    );
    const redelivered = await h.tick('busy', now);

    const outcomes = reports.map((r) => r.tenants[0]);
    const judged = outcomes.filter((t) => t && !t.skipped);
    expect(judged).toHaveLength(1);
    expect(judged[0]?.transitions.map((t) => t.kind)).toEqual(['reset']);
    const skipped = outcomes.filter((t) => t?.skipped);
    expect(skipped).toHaveLength(9);
    expect(skipped.every((t) => t?.ok && t.transitions.length === 0 && t.messages === 0)).toBe(true);
    expect(redelivered).toMatchObject({ ok: true, skipped: 'duplicate', transitions: [] });
    const audit = await h.audit('busy');
    expect(audit.filter((e) => e.action === 'reset')).toHaveLength(1);
    expect(messagesOf(h, 'busy', 'soak-reset')).toHaveLength(1);
    expect((await h.state('busy'))?.resets).toHaveLength(1);
  });

  it("stamp the sample with the tick's now, so a re-delivered tick is recognised however the clock moved", async () => {
    const now = Date.now() + 60 * SECOND;
    // The wall clock moves on between any two readings (as it does when a millisecond boundary falls there).
    const realNow = Date.now.bind(Date);
    let drift = 0;
    const spy = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + drift++);
    let sample: Awaited<ReturnType<typeof h.deps.collect>>;
    try {
      sample = await h.deps.collect(h.tenant('busy'), { now, previous: undefined, phase: 'soak' });
    } finally {
      spy.mockRestore();
    }

    expect(sample.at).toBe(now);
  });
});

describe('an unreachable state store', () => {
  it('makes the tick fail loudly, and nothing reports PASSED', async () => {
    const own = await startStandalone();
    const x = await openHarness(scenarioConfig(own.node.url, [tenant('stranded')]));
    try {
      const t0 = Date.now();
      await forceCutover(x, 'stranded', t0);
      const passingNow = await tickUntilOneBeforePass(x, 'stranded', t0 + SECOND);
      const before = x.messages.length;

      await own.node.kill();

      await expect(runTick(x.deps, { now: passingNow })).rejects.toBeInstanceOf(StoreError);
      await expect(getStatus(x.deps, 'stranded', passingNow)).rejects.toBeInstanceOf(StoreError);
      expect(x.messages.slice(before)).toEqual([]);
      expect(x.messages.some((m) => m.attributes.state === 'PASSED')).toBe(false);
    } finally {
      await x.close();
      await own.stop();
    }
  });

  it('fails the tick loudly when the store dies in the middle of it, after the sample was taken', async () => {
    const own = await startStandalone();
    const x = await openHarness(scenarioConfig(own.node.url, [tenant('stranded')]));
    try {
      const t0 = Date.now();
      await forceCutover(x, 'stranded', t0);
      const passingNow = await tickUntilOneBeforePass(x, 'stranded', t0 + SECOND);
      const before = x.messages.length;
      // The store goes away between sampling and storing the sample.
      const dying = {
        ...x.deps,
        collect: async (...args: Parameters<typeof x.deps.collect>) => {
          const sample = await x.deps.collect(...args);
          await own.node.kill();
          return sample;
        },
      };

      const failure = await runTick(dying, { now: passingNow }).catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(TickError);
      expect((failure as TickError).cause).toBeInstanceOf(StoreError);
      expect((failure as TickError).report.tenants).toEqual([
        expect.objectContaining({ tenant: 'stranded', ok: false, transitions: [] }),
      ]);
      expect(x.messages.slice(before)).toEqual([]);
    } finally {
      await x.close();
      await own.stop();
    }
  });
});

describe('tenants are independent', () => {
  it("judges one tenant's tick although another tenant's legacy is unreachable", async () => {
    const now = Date.now();

    const started = Date.now();
    const report = await runTick(h.deps, { now });
    const tookMs = Date.now() - started;

    const byId = Object.fromEntries(report.tenants.map((t) => [t.tenant, t]));
    expect(byId.healthy).toMatchObject({ ok: true, state: 'REPLICATING' });
    expect(byId.healthy?.sample?.complete).toBe(true);
    expect(byId.healthy?.skipped).toBeUndefined();
    const cutOff = byId['cut-off'];
    // Its sample is partial (the legacy node failed), judged as no data: never as a healthy legacy.
    expect(cutOff).toMatchObject({ ok: true, state: 'REPLICATING' });
    expect(cutOff?.sample).toMatchObject({ complete: false, failedNodes: [`127.0.0.1:${deadPort}`] });
    expect(cutOff?.verdict?.inconclusive).toBe(true);
    // Bounded by the sampling budgets (the healthy tenant's heartbeat waits 2 s for a copier there is none of).
    expect(tookMs).toBeLessThan(5 * SECOND);
  });
});
