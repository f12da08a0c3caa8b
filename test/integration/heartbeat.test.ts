import { type Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heartbeat, respBytes } from '../../src/sampling/heartbeat.js';
import { clusterClient, LegacyDbs } from '../support/consistency/clients.js';
import { useCluster, useStandalone } from '../support/topologies.js';

const legacyServer = useStandalone();
const frozenServer = useStandalone();
const targetCluster = useCluster({ masters: 3, replicasPerMaster: 0 });
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

let legacy: LegacyDbs;
let target: Cluster;

beforeAll(async () => {
  legacy = new LegacyDbs(legacyServer().node);
  target = await clusterClient(targetCluster());
});
afterAll(async () => {
  await legacy.close();
  await target.quit();
});

/** Plays the CDC tool: copies the heartbeat key legacy db 3 → target (prefix impact:) after `delayMs`. */
function startCopier(delayMs: number): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    let last: string | null = null;
    while (running) {
      const value = await legacy.get(3).get('__soakwatch:hb:{acme}');
      if (value !== null && value !== last) {
        last = value;
        await sleep(delayMs);
        await target.set('impact:__soakwatch:hb:{acme}', value);
      }
      await sleep(2);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

const base = {
  key: '__soakwatch:hb:{acme}',
  targetKey: 'impact:__soakwatch:hb:{acme}',
  now: Date.now,
  pollMs: 5,
};

describe('heartbeat', () => {
  it('measures the CDC lag when something copies the key to the target', async () => {
    const copier = startCopier(120);
    try {
      const result = await heartbeat({ ...base, legacyDb: legacy.get(3), target, seq: 1, budgetMs: 3000 });

      expect(result.censored).toBe(false);
      if (result.censored) return;
      expect(result.cdcLagMs).toBeGreaterThanOrEqual(120);
      expect(result.cdcLagMs).toBeLessThan(1500);
      expect(await legacy.get(3).get(base.key)).toBe(result.value);
    } finally {
      await copier.stop();
    }
  });

  it('reports a censored lag of at least the budget when nothing copies the key', async () => {
    const result = await heartbeat({ ...base, legacyDb: legacy.get(3), target, seq: 2, budgetMs: 200 });

    expect(result).toMatchObject({ censored: true });
    if (!result.censored) return;
    expect(result.atLeastMs).toBeGreaterThanOrEqual(200);
  });

  it('does not accept an older sequence already on the target', async () => {
    await target.set(base.targetKey, '5:1');

    const result = await heartbeat({ ...base, legacyDb: legacy.get(3), target, seq: 6, budgetMs: 100 });

    expect(result.censored).toBe(true);
  });

  it('measures a censored lag from the oldest write the target has not shown, so a stalled CDC grows every tick', async () => {
    await target.set(base.targetKey, '8:1000');
    const now = Date.now();
    // Two earlier ticks wrote seq 9 (a minute ago) and seq 10; the target still shows seq 8.
    const unseen = [
      { seq: 9, at: now - 60_000 },
      { seq: 10, at: now - 30_000 },
    ];

    const result = await heartbeat({
      ...base,
      legacyDb: legacy.get(3),
      target,
      seq: 11,
      budgetMs: 50,
      unseen,
    });

    expect(result).toMatchObject({ censored: true, since: now - 60_000, appliedUpTo: 1000 });
    if (!result.censored) return;
    expect(result.atLeastMs).toBeGreaterThanOrEqual(60_000);
    expect(result.unseen.map((w) => w.seq)).toEqual([9, 10, 11]);
  });

  it('measures from the first write after the one the target shows once the CDC caught up on it', async () => {
    const now = Date.now();
    await target.set(base.targetKey, `12:${now - 40_000}`);
    const unseen = [
      { seq: 12, at: now - 40_000 },
      { seq: 13, at: now - 20_000 },
    ];

    const result = await heartbeat({
      ...base,
      legacyDb: legacy.get(3),
      target,
      seq: 14,
      budgetMs: 50,
      unseen,
    });

    expect(result).toMatchObject({ censored: true, since: now - 20_000, appliedUpTo: now - 40_000 });
    expect(result.unseen.map((w) => w.seq)).toEqual([13, 14]);
  });

  it('claims no more than its own poll when the target could not be read', async () => {
    const node = frozenServer().node;
    const unreadable = new Redis({ port: node.port, disableClientInfo: true });
    await unreadable.ping();
    const unseen = [{ seq: 15, at: Date.now() - 60_000 }];
    node.freeze(); // no answer at all
    let result: Awaited<ReturnType<typeof heartbeat>>;
    try {
      result = await heartbeat({
        ...base,
        legacyDb: legacy.get(3),
        target: unreadable,
        seq: 16,
        budgetMs: 100,
        unseen,
      });
    } finally {
      node.thaw();
      unreadable.disconnect();
    }

    expect(result).toMatchObject({ censored: true, appliedUpTo: null });
    if (!result.censored) return;
    expect(result.atLeastMs).toBeLessThan(1_000);
    expect(result.readError).toMatch(/no answer/);
    // The earlier write stays the origin for the next tick.
    expect(result.unseen.map((w) => w.seq)).toEqual([15, 16]);
  });

  it('returns the bytes of its own write for the legacy offset accounting', async () => {
    const result = await heartbeat({ ...base, legacyDb: legacy.get(3), target, seq: 7, budgetMs: 0 });

    expect(result.bytesWritten).toBe(respBytes(['SET', base.key, result.value]));
    expect(respBytes(['SET', 'k', 'v'])).toBe('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n'.length);
  });
});
