import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CompareProgress, fullCompare, renderProgress } from '../../src/sampling/consistency/index.js';
import { clusterClient, flushCluster, LegacyDbs } from '../support/consistency/clients.js';
import { loadMixed, type MixedData } from '../support/consistency/fixture.js';
import { useCluster, useStandalone } from '../support/topologies.js';

const legacyServer = useStandalone();
const targetCluster = useCluster({ masters: 3, replicasPerMaster: 0 });
const DB_MAP = { '0': '', '3': 'impact:', '5': 'five:' };
const DBS = [0, 3, 5];
const noSleep = () => Promise.resolve();

let legacy: LegacyDbs;
let target: Cluster;
const data: MixedData = { count: 1500, expireAt: Date.now() + 3_600_000, big: 1, bigCard: 1500 };

beforeAll(async () => {
  legacy = new LegacyDbs(legacyServer().node);
  target = await clusterClient(targetCluster());
  await legacy.get(0).flushall();
  await flushCluster(target);
  for (const db of DBS) {
    await loadMixed(legacy.get(db), data);
    await loadMixed(target, data, DB_MAP[String(db) as '0']);
  }
  await legacy.get(0).set('__soakwatch:hb:{acme}', '1:1');
});
afterAll(async () => {
  await legacy.close();
  await target.quit();
});

const base = () => ({
  legacy: legacy.get,
  target,
  dbMap: DB_MAP,
  recheckDelayMs: 0,
  sleep: noSleep,
  exclude: (k: string) => k.startsWith('__soakwatch:'),
});
const keysPerDb = 1500 + 5;

describe('fullCompare', () => {
  it('scans every key of every db and of the target and finds nothing on identical data', async () => {
    const seen: CompareProgress[] = [];

    const result = await fullCompare({ ...base(), countShortcut: false, onProgress: (p) => seen.push(p) });

    expect(result.done).toBe(true);
    expect(result.checked).toBe(3 * keysPerDb);
    expect(result.mismatches).toBe(0);
    expect(result.scanned).toBe(6 * keysPerDb + 1);
    expect(result.targetSkipped).toEqual([]);
    const last = seen.at(-1);
    expect(last?.total).toBe(6 * keysPerDb + 1);
    expect(last && renderProgress(last, 70)).toContain('100.0%');
  });

  it('skips the extra-key scan of every target master whose count matches what legacy found on it', async () => {
    const seen: CompareProgress[] = [];

    const result = await fullCompare({ ...base(), onProgress: (p) => seen.push(p) });

    expect(result.done).toBe(true);
    expect(result.mismatches).toBe(0);
    expect(result.targetSkipped).toHaveLength(3);
    expect(result.scanned).toBe(3 * keysPerDb + 1); // the legacy dbs only
    const last = seen.at(-1);
    expect(last?.total).toBe(3 * keysPerDb + 1);
    expect(last && renderProgress(last, 70)).toContain('100.0%');
  });

  it('still scans the master whose count differs and finds the extra key there', async () => {
    await target.set('impact:stray', 'x');
    try {
      const result = await fullCompare(base());

      expect(result.targetSkipped).toHaveLength(2);
      expect(result.byClass.extra.examples).toEqual(['[db3] stray']);
      expect(result.mismatches).toBe(1);
    } finally {
      await target.del('impact:stray');
    }
  });

  it('scans every target master when legacy changed during the compare', async () => {
    let written = false;

    const result = await fullCompare({
      ...base(),
      groupKeys: 500,
      onProgress: () => {
        // A write on legacy while its keys are being scanned: the counts prove nothing any more.
        if (!written) void legacy.get(5).set('late:key', 'v');
        written = true;
      },
    });
    await legacy.get(5).del('late:key');

    expect(result.targetSkipped).toEqual([]);
    expect(result.scanned).toBeGreaterThan(6 * keysPerDb);
  });

  it('reports every mismatch class and resumes from its cursor after an abort', async () => {
    await target.del('five:k:11'); // missing
    await target.set('impact:ghost', 'boo'); // extra
    await target.del('k:12');
    await target.sadd('k:12', 'x'); // type
    await target.persist('impact:k:14'); // ttl (k:14 has one on legacy)
    await target.set('five:k:3', 'other'); // value
    const controller = new AbortController();
    let batches = 0;

    const first = await fullCompare({
      ...base(),
      scanCount: 200,
      signal: controller.signal,
      onProgress: () => {
        batches++;
        if (batches === 3) controller.abort();
      },
    });
    const rest = await fullCompare({
      ...base(),
      scanCount: 200,
      cursor: JSON.parse(JSON.stringify(first.cursor)),
    });

    expect(first.done).toBe(false);
    expect(rest.done).toBe(true);
    expect(rest.checked).toBe(3 * keysPerDb);
    expect(rest.byClass.missing.examples).toEqual(['[db5] k:11']);
    expect(rest.byClass.extra.examples).toEqual(['[db3] ghost']);
    expect(rest.byClass.type.examples).toEqual(['[db0] k:12']);
    expect(rest.byClass.ttl.examples).toEqual(['[db3] k:14']);
    expect(rest.byClass.value.examples).toEqual(['[db5] k:3']);
    expect(rest.mismatches).toBe(5);
  });

  it('resumes an abort in the target phase without losing extra keys', async () => {
    await target.set('ghost2', 'boo');
    const controller = new AbortController();

    const first = await fullCompare({
      ...base(),
      scanCount: 200,
      groupKeys: 200,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.scanned > 3 * keysPerDb + 600) controller.abort();
      },
    });
    const rest = await fullCompare({
      ...base(),
      scanCount: 200,
      cursor: JSON.parse(JSON.stringify(first.cursor)),
    });

    expect(first.done).toBe(false);
    expect(first.cursor.phase).toBe('target');
    expect(rest.done).toBe(true);
    expect(rest.byClass.extra.examples).toContain('[db0] ghost2');
    await target.del('ghost2');
  });

  it('keeps to the keys-per-second rate limit', async () => {
    let clock = 0;
    const slept: number[] = [];

    await fullCompare({
      ...base(),
      dbs: [5],
      keysPerSecond: 1000,
      now: () => clock,
      sleep: (ms) => {
        slept.push(ms);
        clock += ms;
        return Promise.resolve();
      },
    });

    // ~1505 legacy keys + the target keys at 1000 keys/s on the fake clock: seconds of waiting.
    expect(clock).toBeGreaterThan(1500);
    expect(slept.length).toBeGreaterThan(0);
  });

  it('rejects a cursor that is not one, naming the option', async () => {
    await expect(fullCompare({ ...base(), cursor: { version: 9 } as never })).rejects.toThrow(/cursor/);
  });
});
