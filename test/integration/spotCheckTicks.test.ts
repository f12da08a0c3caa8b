import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  emptySpotCheckState,
  MAX_FLUX_RECHECKS,
  type SpotCheckTickResult,
  spotCheckTick,
} from '../../src/sampling/consistency/index.js';
import { clusterClient, flushCluster, LegacyDbs } from '../support/consistency/clients.js';
import { loadMixed, type MixedData } from '../support/consistency/fixture.js';
import { spotCheckTicker } from '../support/consistency/ticker.js';
import { useCluster, useStandalone } from '../support/topologies.js';

// A mismatch found in one tick is judged at a later tick, never by waiting inside the tick: a real one
// is confirmed at the next tick, a write in flight that the CDC applies meanwhile is not, and a hot key
// (changing faster than the CDC applies it) never is.
const legacyServer = useStandalone();
const targetCluster = useCluster({ masters: 3, replicasPerMaster: 0 });
const DB_MAP = { '0': '', '3': 'impact:' };
const DBS = [0, 3];
const MINUTE = 60_000;
const data: MixedData = { count: 10, expireAt: Date.now() + 3_600_000 };

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

beforeEach(async () => {
  await legacy.get(0).flushall();
  await flushCluster(target);
  for (const db of DBS) {
    await loadMixed(legacy.get(db), data);
    await loadMixed(target, data, DB_MAP[String(db) as '0']);
  }
});

const ticker = (startAt: number) => spotCheckTicker({ legacy, target, dbMap: DB_MAP, dbs: DBS, startAt });

describe('spot-check suspects judged at a later tick', () => {
  it('counts a real mismatch only at the next tick, with its class and example key', async () => {
    await target.del('impact:k:1');
    await target.hset('k:5', 'b', 'changed');
    const tick = ticker(Date.now());

    const first = await tick();
    const second = await tick();

    expect(first).toMatchObject({ mismatches: 0, suspected: 2, pending: 2 });
    // Settled at the first look: the keys that agreed (and only those).
    expect(first.checked).toBe(first.sampled - 2);
    expect(second.mismatches).toBe(2);
    expect(second.byClass.missing).toEqual({ count: 1, examples: ['[db3] k:1'] });
    expect(second.byClass.value).toEqual({ count: 1, examples: ['[db0] k:5'] });
    expect(second.checked).toBeGreaterThanOrEqual(second.mismatches);
    expect(second.rechecked).toBe(2);
  });

  it('clears a key in flight that the CDC stand-in applies between the two ticks', async () => {
    // A write made on legacy that the CDC has not applied yet at the first look.
    await legacy.get(0).set('k:2', 'fresh value');
    const tick = ticker(Date.now());

    const first = await tick();
    await target.set('k:2', 'fresh value'); // the CDC stand-in applies it
    const second = await tick();

    expect(first).toMatchObject({ suspected: 1, mismatches: 0 });
    expect(second).toMatchObject({ rechecked: 1, cleared: 1, mismatches: 0 });
  });

  it('never confirms a hot key that changes at every look, and drops it as unstable', async () => {
    const tick = ticker(Date.now());
    const results: SpotCheckTickResult[] = [];
    for (let i = 0; i < MAX_FLUX_RECHECKS + 2; i++) {
      // Updated faster than the CDC applies it: the target always shows the previous value.
      await legacy.get(3).set('k:3', `hot-${i}`);
      await target.set('impact:k:3', `hot-${i - 1}`);
      results.push(await tick());
    }

    expect(results.map((r) => r.mismatches)).toEqual(results.map(() => 0));
    expect(results.reduce((sum, r) => sum + r.unstable, 0)).toBeGreaterThanOrEqual(1);
  });

  it('judges no suspect before the CDC has applied the writes made up to its look', async () => {
    await target.del('k:0');
    const tick = ticker(Date.now());

    const first = await tick();
    // The newest heartbeat the target shows was written before the first look: the CDC is behind.
    const behind = await tick({ lagMs: 2 * MINUTE, appliedUpTo: Date.now() - MINUTE });
    const stalled = await tick({ lagMs: 3 * MINUTE, appliedUpTo: null });
    const caughtUp = await tick({ lagMs: 10, appliedUpTo: Date.now() + 10 * MINUTE });

    expect(first.suspected).toBe(1);
    expect(behind).toMatchObject({ rechecked: 0, mismatches: 0, pending: 1 });
    expect(stalled).toMatchObject({ rechecked: 0, mismatches: 0, pending: 1 });
    expect(caughtUp.byClass.missing.examples).toEqual(['[db0] k:0']);
  });

  it('judges nothing in a re-delivered tick (same time as the tick that saved the suspects)', async () => {
    await target.del('k:4');
    let state = emptySpotCheckState();
    const at = Date.now();
    const run = async (tickAt: number) => {
      const out = await spotCheckTick({
        legacy: legacy.get,
        target,
        dbMap: DB_MAP,
        dbs: DBS,
        keysPerDb: 200,
        ttlToleranceMs: 1000,
        state,
        deadline: Date.now() + 5_000,
        cdc: { lagMs: 0 },
        now: () => tickAt,
      });
      state = out.state;
      return out.result;
    };

    await run(at);
    const again = await run(at);
    const next = await run(at + MINUTE);

    expect(again).toMatchObject({ rechecked: 0, mismatches: 0 });
    expect(next.mismatches).toBe(1);
  });

  it('confirms a changed member of a big hash: the re-check probes the same members on both sides', async () => {
    const fields = Array.from({ length: 2000 }, (_, i) => [`f${i}`, `v${i}`]).flat();
    await legacy.get(0).hset('big:h', ...fields);
    await target.hset('big:h', ...Array.from({ length: 2000 }, (_, i) => [`f${i}`, `other${i}`]).flat());
    const tick = ticker(Date.now());

    await tick();
    const second = await tick();

    expect(second.byClass.value.examples).toEqual(['[db0] big:h']);
  });
});
