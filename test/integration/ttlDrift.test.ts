import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clusterClient, flushCluster, LegacyDbs } from '../support/consistency/clients.js';
import { spotCheckTicker } from '../support/consistency/ticker.js';
import { useCluster, useStandalone } from '../support/topologies.js';

// A CDC tool that copies a key as DUMP + PTTL on legacy, then RESTORE with that TTL on the target (the
// way a DUMP/RESTORE-based tool does, and the scenario's CDC stand-in) gives the copy a TTL that ends
// later than legacy's by the copy's latency at the time. A lag spike that is over leaves such keys behind:
// their TTLs end seconds later on the target for as long as they live. That is the CDC's signature, not a
// data problem: the spot-check must not confirm it once the lag is back to normal (a false alarm), and
// must still confirm a TTL that ends earlier on the target, or that was dropped.
const legacyServer = useStandalone();
const targetCluster = useCluster({ masters: 3, replicasPerMaster: 0 });
const MINUTE = 60_000;
const HOUR = 3_600_000;
/** The copy latency during the spike the keys were copied in. */
const SPIKE_MS = 4_000;

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
});

const ticker = (startAt: number) =>
  spotCheckTicker({ legacy, target, dbMap: { '0': '' }, dbs: [0], startAt });

/** 20 keys with an hour's TTL, copied with the TTL shifted by `shiftMs` on the target (null: no TTL there). */
async function load(shiftMs: number | null): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await legacy.get(0).set(`session:${i}`, `v${i}`, 'PX', HOUR);
    if (shiftMs === null) await target.set(`session:${i}`, `v${i}`);
    else await target.set(`session:${i}`, `v${i}`, 'PX', HOUR + shiftMs);
  }
}

describe('TTLs shifted by a past CDC lag spike', () => {
  it('are not confirmed as mismatches once the lag is back to normal (the spike is remembered)', async () => {
    await load(SPIKE_MS);
    const tick = ticker(Date.now());
    // The spike: seen by the heartbeat while the keys were copied.
    const during = await tick({ lagMs: SPIKE_MS + 500, appliedUpTo: Date.now() + MINUTE });
    const after = [];
    for (let i = 0; i < 3; i++) after.push(await tick({ lagMs: 20, appliedUpTo: Date.now() + 10 * MINUTE }));
    expect(during.mismatches).toBe(0);
    expect(after.map((r) => r.mismatches)).toEqual([0, 0, 0]);
  });

  it('a TTL that ends earlier on the target than on legacy is still confirmed', async () => {
    await load(-SPIKE_MS);
    const tick = ticker(Date.now());
    // During the spike the lag excuses it (a key in flight); once the lag is back it is suspected, then confirmed.
    const during = await tick({ lagMs: SPIKE_MS + 500, appliedUpTo: Date.now() + MINUTE });
    const suspected = await tick({ lagMs: 20, appliedUpTo: Date.now() + 10 * MINUTE });
    const confirmed = await tick({ lagMs: 20, appliedUpTo: Date.now() + 20 * MINUTE });
    expect(during.mismatches).toBe(0);
    expect(suspected).toMatchObject({ mismatches: 0, suspected: 20 });
    expect(confirmed.byClass.ttl.count).toBe(20);
  });

  it('a TTL dropped on the target is still confirmed', async () => {
    await load(null);
    const tick = ticker(Date.now());
    await tick({ lagMs: SPIKE_MS + 500, appliedUpTo: Date.now() + MINUTE });
    const second = await tick({ lagMs: 20, appliedUpTo: Date.now() + 10 * MINUTE });
    expect(second.byClass.ttl.count).toBe(20);
  });
});
