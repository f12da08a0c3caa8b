import { describe, expect, it } from 'vitest';
import {
  deriveMetrics,
  ERROR_RATE_MIN_COMMANDS,
  ownDelta,
  type PrefixPassInput,
} from '../../../src/sampling/index.js';
import type { NodeSample } from '../../../src/sampling/types.js';
import { asSample, inProgress, node, own, tenant } from './fixtures.js';

const LEGACY = '10.0.0.1:6379';
const REPLICA = '10.0.0.2:6379';

function stats(n: NodeSample, s: Partial<NonNullable<NodeSample['stats']>>): NodeSample['stats'] {
  return { ...(n.stats as NonNullable<NodeSample['stats']>), ...s };
}

/** A legacy primary with an online replica and the given counters. */
function legacyPrimary(parts: Partial<NodeSample> = {}): NodeSample {
  return node('legacy', LEGACY, {
    keyspace: { 0: { keys: 100, expires: 10 } },
    replication: {
      replid: 'L1',
      offset: 10_000,
      replicas: [{ address: REPLICA, offset: 9_000, lagSeconds: 0, state: 'online' }],
    },
    persistence: { changesSinceSave: 50, lastSaveTime: 1_000 },
    own: { atInfo: own(10, { info: 10 }), atEnd: own(11, { info: 10, 'client|list': 1 }) },
    clients: [],
    ...parts,
  });
}

function targetMasters(keys: [number, number][], parts: Partial<NodeSample> = {}): NodeSample[] {
  return keys.map(([k, e], i) =>
    node('target', `10.1.0.${i + 1}:6379`, { keyspace: { 0: { keys: k, expires: e } }, ...parts }),
  );
}

/** The same nodes a minute earlier: a previous sample of an idle legacy (no write in between). */
function earlier(sample: ReturnType<typeof inProgress>) {
  return asSample({ ...sample, at: sample.at - 60_000 });
}

/** A per-prefix pass input: the last completed pass and its comparison with legacy during the pass. */
function passOf(
  target: { keys: number; persistent: number },
  expected: { keys: number; persistent: number } | null,
  extra: Partial<PrefixPassInput> = {},
): PrefixPassInput {
  const cmp = (t: number, e: number) => ({
    target: t,
    expected: e,
    tolerance: 2,
    legacyMin: 3,
    legacyMax: 9,
    drift: Math.max(0, Math.round(Math.abs(t - e) - 2)),
    churn: 10,
  });
  return {
    last: { ...target, completedAt: 50_000 },
    comparison: expected
      ? { keys: cmp(target.keys, expected.keys), persistent: cmp(target.persistent, expected.persistent) }
      : { cause: 'legacy could not be read at any tick of the last SCAN pass' },
    loss: null,
    scannedInPass: 0,
    estimate: null,
    ...extra,
  };
}

describe('deriveMetrics', () => {
  it('gives exact target counts from INFO when one db maps to the whole target', () => {
    const sample = inProgress(
      [legacyPrimary()],
      targetMasters([
        [40, 4],
        [60, 6],
      ]),
    );

    const { keys, derived } = deriveMetrics(sample, earlier(sample), tenant());

    expect(keys['0']).toEqual({
      prefix: '',
      legacy: 100,
      target: 100,
      legacyPersistent: 90,
      targetPersistent: 90,
      targetSource: 'info',
    });
    expect(derived.keyDrift).toBe(0);
    expect(derived['keyDriftRatio@db0']).toBe(0);
    expect(derived.persistentKeyDriftRatio).toBe(0);
  });

  it('reports drift on all keys and on keys without expiry', () => {
    const sample = inProgress(
      [legacyPrimary()],
      targetMasters([
        [45, 10],
        [50, 5],
      ]),
    );

    const { derived } = deriveMetrics(sample, earlier(sample), tenant());

    expect(derived.keyDrift).toBe(5);
    expect(derived.keyDriftRatio).toBeCloseTo(0.05);
    expect(derived.persistentKeyDrift).toBe(10);
    expect(derived.persistentKeyDriftRatio).toBeCloseTo(10 / 90);
  });

  it('leaves per-prefix target counts as no data when no counter ran, and the unscoped total live', () => {
    const t = tenant({ legacy: { dbs: [0, 3] }, target: { dbMap: { '0': '', '3': 'impact:' } } });
    const sample = inProgress(
      [legacyPrimary({ keyspace: { 0: { keys: 10, expires: 0 }, 3: { keys: 5, expires: 0 } } })],
      targetMasters([[15, 0]]),
    );

    const { keys, derived, notes } = deriveMetrics(sample, undefined, t);

    expect(keys['3']).toMatchObject({ prefix: 'impact:', legacy: 5, target: null, targetSource: 'none' });
    expect(derived['keyDrift@db3']).toBeNull();
    expect(derived.keyDrift).toBeNull();
    expect(derived.legacyKeys).toBe(15);
    // Unscoped counts are the live INFO totals of every target master (contract §3).
    expect(derived.targetKeys).toBe(15);
    expect(derived['targetKeys@db3']).toBeNull();
    expect(notes['keyDrift@db3']).toBe('the per-prefix SCAN counter did not run in this sample');
  });

  it('judges per-prefix counts from the last completed pass, the unscoped drift being the worst', () => {
    const t = tenant({ legacy: { dbs: [0, 3] }, target: { dbMap: { '0': '', '3': 'impact:' } } });
    const sample = inProgress(
      [legacyPrimary({ keyspace: { 0: { keys: 10, expires: 4 }, 3: { keys: 5, expires: 1 } } })],
      targetMasters([[15, 5]]),
    );

    const { keys, derived, notes } = deriveMetrics(sample, earlier(sample), t, {
      prefixPasses: {
        '0': passOf({ keys: 10, persistent: 6 }, { keys: 10, persistent: 6 }),
        '3': passOf({ keys: 5, persistent: 2 }, { keys: 5, persistent: 6 }),
      },
    });

    expect(keys['3']).toMatchObject({ legacyPersistent: 4, targetPersistent: 2, targetSource: 'scan' });
    expect(derived['persistentKeyDrift@db0']).toBe(0);
    // 4 below the legacy count when the pass counted, 2 of them within the tolerance.
    expect(derived['persistentKeyDrift@db3']).toBe(2);
    expect(derived['persistentKeyDriftRatio@db3']).toBeCloseTo(2 / 6);
    expect(derived.persistentKeyDrift).toBe(2);
    // The worst db, not the drift spread over every db: a small db's loss is not diluted.
    expect(derived.persistentKeyDriftRatio).toBeCloseTo(2 / 6);
    expect(notes['persistentKeyDrift@db3']).toMatch(
      /^target 2: 2 beyond 6 ± 2 when counted, from 10 legacy key changes \(legacy 3–9 during the pass; pass completed 10 s before this sample\)$/,
    );
    expect(notes['persistentKeyDrift@db0']).toMatch(/^target 6 within legacy 3–9 during the pass/);
    expect(notes.persistentKeyDrift).toMatch(/^worst is db3: target 2/);
  });

  it('keeps the drift of a prefix as no data, with its cause, when its pass cannot be compared', () => {
    const t = tenant({ legacy: { dbs: [0, 3] }, target: { dbMap: { '0': '', '3': 'impact:' } } });
    const sample = inProgress(
      [legacyPrimary({ keyspace: { 0: { keys: 10, expires: 0 }, 3: { keys: 5, expires: 0 } } })],
      targetMasters([[15, 0]]),
    );

    const { keys, derived, notes } = deriveMetrics(sample, undefined, t, {
      prefixPasses: {
        '0': passOf({ keys: 10, persistent: 10 }, { keys: 10, persistent: 10 }),
        '3': passOf({ keys: 5, persistent: 5 }, null),
      },
    });

    expect(keys['3']?.targetSource).toBe('scan');
    expect(derived['persistentKeyDrift@db0']).toBe(0);
    expect(derived['persistentKeyDrift@db3']).toBeNull();
    expect(notes['persistentKeyDrift@db3']).toBe(
      'legacy could not be read at any tick of the last SCAN pass',
    );
    // Without the live totals (no previous sample) a db not counted blanks the unscoped value.
    expect(derived.persistentKeyDrift).toBeNull();
    expect(derived.persistentKeyDriftRatio).toBeNull();
    expect(notes.persistentKeyDrift).toMatch(/the live totals: the legacy write rate is unknown/);
  });

  it('never judges an estimate: before the first pass completes the drift is no data, saying how far the pass is', () => {
    const t = tenant({ legacy: { dbs: [3] }, target: { dbMap: { '3': 'impact:' } } });
    const sample = inProgress(
      [legacyPrimary({ keyspace: { 3: { keys: 1000, expires: 200 } } })],
      targetMasters([[5000, 0]]),
    );

    const { keys, derived, notes } = deriveMetrics(sample, undefined, t, {
      prefixPasses: {
        '3': {
          last: null,
          comparison: null,
          loss: null,
          scannedInPass: 2_000,
          estimate: { keys: 1000, low: 900, high: 1110, persistent: 800 },
        },
      },
    });

    expect(keys['3']).toMatchObject({ target: 1000, targetPersistent: 800, targetSource: 'estimate' });
    expect(derived['keyDrift@db3']).toBeNull();
    expect(derived['persistentKeyDrift@db3']).toBeNull();
    expect(derived['targetKeys@db3']).toBeNull();
    expect(notes['persistentKeyDrift@db3']).toBe(
      'first SCAN pass 40 % done (estimate 1,000, 95 % 900–1,110: not judged)',
    );
  });

  it('counts a db absent from INFO keyspace as empty on a node that answered', () => {
    const t = tenant({ legacy: { dbs: [5] }, target: { dbMap: { '5': '' } } });
    const sample = inProgress([legacyPrimary({ keyspace: {} })], targetMasters([[0, 0]]));

    const { derived } = deriveMetrics(sample, earlier(sample), t);

    expect(derived['legacyKeys@db5']).toBe(0);
    expect(derived['keyDriftRatio@db5']).toBe(0);
  });

  it('takes soakwatch heartbeat keys out of both sides', () => {
    const sample = inProgress([legacyPrimary()], targetMasters([[100, 10]]));

    const { keys } = deriveMetrics(sample, undefined, tenant(), {
      ownKeys: { '0': { legacy: 1, target: 1 } },
    });

    expect(keys['0']).toMatchObject({ legacy: 99, target: 99, legacyPersistent: 89, targetPersistent: 89 });
  });

  describe('without a previous sample', () => {
    it('reports every rate and delta as no data, never 0', () => {
      const sample = inProgress([legacyPrimary()], targetMasters([[1, 0]]));

      const { derived } = deriveMetrics(sample, undefined, tenant());

      for (const name of [
        'targetErrorRate',
        'legacyErrorRate',
        'targetEvictions',
        'targetRejectedConnections',
        'targetAclDenials',
        'legacyCommands',
        'legacyWriteOps',
        'targetWriteOps',
        'streamRestarts',
      ]) {
        expect(derived[name], name).toBeNull();
      }
      expect(derived.samplerFailures).toBe(0);
    });
  });

  describe('with a previous sample', () => {
    const t = tenant();
    const prev = asSample(inProgress([legacyPrimary()], targetMasters([[1, 0]]), 0));

    it('computes error rates per 1000 commands and counter deltas', () => {
      const targets = targetMasters([[1, 0]]).map((n) => ({
        ...n,
        stats: stats(n, {
          totalCommands: 3000,
          totalErrorReplies: 4,
          evictedKeys: 7,
          rejectedConnections: 2,
          aclDenied: 1,
        }),
      }));
      const sample = inProgress([legacyPrimary()], targets);

      const { derived } = deriveMetrics(sample, prev, t);

      expect(derived.targetErrorRate).toBeCloseTo(2);
      expect(derived.targetEvictions).toBe(7);
      expect(derived.targetRejectedConnections).toBe(2);
      expect(derived.targetAclDenials).toBe(1);
      expect(derived.streamRestarts).toBe(0);
    });

    it('reports no data for a rate across a counter reset', () => {
      const targets = targetMasters([[1, 0]]).map((n) => ({ ...n, stats: stats(n, { totalCommands: 10 }) }));
      const sample = inProgress([legacyPrimary()], targets);

      const { derived } = deriveMetrics(sample, prev, t);

      expect(derived.targetErrorRate).toBeNull();
    });

    /** The legacy primary after the previous sample's (1000 commands, 50 changes, offset 10 000). */
    function laterPrimary(
      totalCommands: number,
      changes: number,
      offset: number,
      ownNow: ReturnType<typeof own>,
    ) {
      const base = legacyPrimary();
      return legacyPrimary({
        stats: stats(base, { totalCommands }),
        persistence: { changesSinceSave: changes, lastSaveTime: 1_000 },
        replication: { replid: 'L1', offset, replicas: [] },
        own: { atInfo: ownNow, atEnd: ownNow },
      });
    }

    it('takes soakwatch own commands out and sees no writes on an idle legacy whose offset grew', () => {
      // Soakwatch sent INFO + CLIENT LIST after the last INFO; replication PINGs and Sentinel hellos grew the offset.
      const cur = laterPrimary(1_002, 50, 10_300, own(12, { info: 11, 'client|list': 1 }));

      const { derived } = deriveMetrics(inProgress([cur], targetMasters([[1, 0]])), prev, t);

      expect(derived.legacyCommands).toBe(0);
      expect(derived.legacyWriteOps).toBe(0);
    });

    it('reports application writes on legacy in bytes of offset growth', () => {
      const cur = laterPrimary(1_025, 53, 10_900, own(12, { info: 11, 'client|list': 1 }));

      const { derived } = deriveMetrics(inProgress([cur], targetMasters([[1, 0]])), prev, t);

      expect(derived.legacyCommands).toBe(23);
      expect(derived.legacyWriteOps).toBe(900);
    });

    it('subtracts soakwatch writes (heartbeat) from legacy writes', () => {
      const cur = laterPrimary(1_002, 51, 10_040, own(12, { info: 11, set: 1 }, 40));

      const { derived } = deriveMetrics(inProgress([cur], targetMasters([[1, 0]])), prev, t);

      expect(derived.legacyWriteOps).toBe(0);
      expect(derived.legacyCommands).toBe(0);
    });

    it('reports writes across an RDB save only when the restarted counter shows some', () => {
      const quiet = legacyPrimary({
        ...laterPrimary(1_001, 0, 10_100, own(11, { info: 11 })),
        persistence: { changesSinceSave: 0, lastSaveTime: 2_000 },
      });
      const busy = legacyPrimary({
        ...laterPrimary(1_010, 4, 10_500, own(11, { info: 11 })),
        persistence: { changesSinceSave: 4, lastSaveTime: 2_000 },
      });

      const q = deriveMetrics(inProgress([quiet], targetMasters([[1, 0]])), prev, t);
      const b = deriveMetrics(inProgress([busy], targetMasters([[1, 0]])), prev, t);

      expect(q.derived.legacyWriteOps).toBeNull();
      expect(b.derived.legacyWriteOps).toBe(500);
    });

    it('reports legacy activity as no data when the primary changed', () => {
      const cur = legacyPrimary({ address: REPLICA });
      const sample = {
        ...inProgress([cur], targetMasters([[1, 0]])),
        legacy: { primary: REPLICA, nodes: [cur], cdcLinks: [] },
      };

      const { derived } = deriveMetrics(sample, prev, t);

      expect(derived.legacyWriteOps).toBeNull();
      expect(derived.legacyCommands).toBeNull();
    });

    it('counts a new replid and new full syncs on the legacy primary as stream restarts', () => {
      const cur = legacyPrimary({
        replication: { replid: 'L2', offset: 10, replicas: [] },
        stats: stats(legacyPrimary(), { syncFull: 2 }),
      });

      const { derived } = deriveMetrics(inProgress([cur], targetMasters([[1, 0]])), prev, t);

      expect(derived.streamRestarts).toBe(3);
    });
  });

  describe('with a partial sample', () => {
    it('reports the failed nodes and no data for what they held', () => {
      const masters = targetMasters([
        [40, 0],
        [60, 0],
      ]);
      const failed: NodeSample = {
        side: 'target',
        address: '10.1.0.2:6379',
        role: 'master',
        ok: false,
        error: 'Command timed out',
        durationMs: 1000,
        keyspace: {},
      };
      const sample = inProgress([legacyPrimary()], [masters[0] as NodeSample, failed]);

      const { keys, derived } = deriveMetrics(sample, undefined, tenant());

      expect(keys['0']?.target).toBeNull();
      expect(derived.keyDrift).toBeNull();
      expect(derived.targetMemoryPct).toBeNull();
      expect(derived.samplerFailures).toBe(1);
    });

    it('keeps a count seen on part of the nodes only when it is above zero', () => {
      const replicaDown = node('target', '10.1.0.3:6379', {
        role: 'replica',
        replication: { replid: 'r1', offset: 1, masterAddress: '10.1.0.2:6379', linkUp: false, replicas: [] },
      });
      const replicaUp = node('target', '10.1.0.4:6379', {
        role: 'replica',
        replication: { replid: 'r1', offset: 1, masterAddress: '10.1.0.1:6379', linkUp: true, replicas: [] },
      });
      const failed: NodeSample = {
        side: 'target',
        address: '10.1.0.2:6379',
        role: 'master',
        ok: false,
        error: 'ECONNREFUSED',
        durationMs: 1,
        keyspace: {},
      };
      const [m1] = targetMasters([[1, 0]]);

      const down = deriveMetrics(
        inProgress([legacyPrimary()], [m1 as NodeSample, failed, replicaDown]),
        undefined,
        tenant(),
      );
      const up = deriveMetrics(
        inProgress([legacyPrimary()], [m1 as NodeSample, failed, replicaUp]),
        undefined,
        tenant(),
      );

      expect(down.derived.targetReplicationLinksDown).toBe(1);
      expect(up.derived.targetReplicationLinksDown).toBeNull();
    });
  });

  it('counts legacy application clients: not soakwatch, not replicas, not Sentinel, not the CDC tool', () => {
    const t = tenant({ legacy: { cdcReplicas: ['10.9.9.9'] } });
    const clients = [
      { name: 'soakwatch', address: '10.5.0.1:5000', lib: '', cmd: 'info', flags: 'N', isSoakwatch: true },
      { name: '', address: '10.0.0.2:41000', lib: '', cmd: 'replconf', flags: 'S', isSoakwatch: false },
      {
        name: 'sentinel-1a2b3c4d-cmd',
        address: '10.0.0.7:1',
        lib: '',
        cmd: 'ping',
        flags: 'N',
        isSoakwatch: false,
      },
      { name: '', address: '10.9.9.9:40000', lib: '', cmd: 'psync', flags: 'N', isSoakwatch: false },
      {
        name: 'orders',
        address: '10.3.0.1:1234',
        lib: 'ioredis@5',
        cmd: 'get',
        flags: 'N',
        isSoakwatch: false,
      },
    ];

    const { derived } = deriveMetrics(
      inProgress([legacyPrimary({ clients })], targetMasters([[1, 0]])),
      undefined,
      t,
    );

    expect(derived.legacyAppClients).toBe(1);
  });

  it('does not count a connection that has run no command yet (being opened, its name not set yet)', () => {
    const clients = [
      { name: '', address: '10.5.0.2:5001', lib: '', cmd: 'NULL', flags: 'N', isSoakwatch: false },
      { name: '', address: '10.3.0.2:1235', lib: '', cmd: 'get', flags: 'N', isSoakwatch: false },
    ];

    const { derived } = deriveMetrics(
      inProgress([legacyPrimary({ clients })], targetMasters([[1, 0]])),
      undefined,
      tenant(),
    );

    expect(derived.legacyAppClients).toBe(1);
  });

  it('reports legacy and target replication lag in bytes and memory headroom', () => {
    const masters = targetMasters([[1, 0]], {
      memory: { used: 870, peak: 900, rss: 1000, maxmemory: 1000, fragmentation: 1.5 },
      replication: {
        replid: 'r1',
        offset: 700,
        replicas: [{ address: '10.1.0.9:6379', offset: 650, lagSeconds: 0, state: 'online' }],
      },
    });

    const { derived } = deriveMetrics(inProgress([legacyPrimary()], masters), undefined, tenant());

    expect(derived.legacyReplicationLagBytes).toBe(1000);
    expect(derived.targetReplicationLagBytes).toBe(50);
    expect(derived.targetMemoryPct).toBeCloseTo(87);
    expect(derived.targetFragmentation).toBe(1.5);
  });

  it('measures target writes by offset growth, and has no data for a master that never had a replica', () => {
    const withReplica = (offset: number) =>
      targetMasters([[1, 0]], {
        replication: {
          replid: 'r1',
          offset,
          replicas: [{ address: '10.1.0.9:6379', offset, lagSeconds: 0, state: 'online' }],
        },
      });
    // No replica ever: Redis keeps no backlog and the offset stays 0 however much is written.
    const alone = () => targetMasters([[1, 0]], { replication: { replid: 'r2', offset: 0, replicas: [] } });

    const growing = deriveMetrics(
      inProgress([legacyPrimary()], withReplica(1_500), 120_000),
      asSample(inProgress([legacyPrimary()], withReplica(1_000))),
      tenant(),
    );
    const blind = deriveMetrics(
      inProgress([legacyPrimary()], alone(), 120_000),
      asSample(inProgress([legacyPrimary()], alone())),
      tenant(),
    );

    expect(growing.derived.targetWriteOps).toBe(500);
    expect(blind.derived.targetWriteOps).toBeNull();
  });

  describe('why no data', () => {
    /** Every null has a note of its own, never the fallback. */
    function expectCauses(result: ReturnType<typeof deriveMetrics>): void {
      for (const [key, value] of Object.entries(result.derived)) {
        if (value !== null) continue;
        expect(result.notes[key], key).toBeDefined();
        expect(result.notes[key], key).not.toBe('no data');
      }
    }

    it('gives every null a cause on a first sample, on a later one and on a partial one', () => {
      const t = tenant({ legacy: { dbs: [0, 3] }, target: { dbMap: { '0': '', '3': 'impact:' } } });
      const sample = inProgress([legacyPrimary()], targetMasters([[1, 0]]));
      const failed: NodeSample = {
        side: 'target',
        address: '10.1.0.7:6379',
        role: 'master',
        ok: false,
        error: 'no answer within the sample budget',
        durationMs: 1,
        keyspace: {},
      };
      const partial = inProgress([legacyPrimary()], [...targetMasters([[1, 0]]), failed]);

      for (const phase of ['replication', 'soak', undefined]) {
        expectCauses(deriveMetrics(sample, undefined, t, { phase }));
        expectCauses(deriveMetrics(sample, earlier(sample), t, { phase }));
        expectCauses(deriveMetrics(partial, earlier(sample), t, { phase }));
      }
    });

    it('names the node without maxmemory, the missing replicas and the unreachable node', () => {
      const masters = targetMasters([[1, 0]], {
        memory: { used: 100, peak: 100, rss: 120, maxmemory: 0, fragmentation: 1.1 },
      });
      const failed: NodeSample = {
        side: 'target',
        address: '10.1.0.3:6379',
        role: 'replica',
        ok: false,
        error: 'no answer within the sample budget',
        durationMs: 1,
        keyspace: {},
      };

      const alone = deriveMetrics(inProgress([legacyPrimary()], masters), undefined, tenant());
      const blind = deriveMetrics(inProgress([legacyPrimary()], [...masters, failed]), undefined, tenant());

      expect(alone.derived.targetMemoryPct).toBeNull();
      expect(alone.notes.targetMemoryPct).toBe('no maxmemory on 10.1.0.1:6379');
      expect(alone.notes.targetReplicationLinksDown).toBe('the target has no replicas');
      expect(alone.notes.targetReplicationLagBytes).toBe('the target has no replicas');
      expect(alone.notes.targetErrorRate).toBe('needs a previous sample');
      expect(alone.notes.cdcLagMs).toBe('measured only while replicating');
      expect(blind.derived.targetReplicationLinksDown).toBeNull();
      expect(blind.notes.targetReplicationLinksDown).toBe(
        '10.1.0.3:6379 unreachable: no answer within the sample budget',
      );
    });

    it('says which counters reset', () => {
      const prev = asSample(inProgress([legacyPrimary()], targetMasters([[1, 0]]), 0));
      const targets = targetMasters([[1, 0]]).map((n) => ({ ...n, stats: stats(n, { totalCommands: 10 }) }));

      const { derived, notes } = deriveMetrics(inProgress([legacyPrimary()], targets), prev, tenant());

      expect(derived.targetErrorRate).toBeNull();
      expect(notes.targetErrorRate).toBe('counters reset on 10.1.0.1:6379');
    });

    it('always lists the failed nodes in the note of samplerFailures', () => {
      const failed: NodeSample = {
        side: 'target',
        address: '10.1.0.9:6379',
        role: 'master',
        ok: false,
        error: '10.1.0.9:6379: connect ECONNREFUSED',
        durationMs: 1,
        keyspace: {},
      };

      const ok = deriveMetrics(inProgress([legacyPrimary()], targetMasters([[1, 0]])), undefined, tenant());
      const bad = deriveMetrics(inProgress([legacyPrimary()], [failed]), undefined, tenant());

      expect(ok.notes.samplerFailures).toBe('every node answered');
      expect(bad.derived.samplerFailures).toBe(1);
      expect(bad.notes.samplerFailures).toBe('target 10.1.0.9:6379: connect ECONNREFUSED');
      expect(bad.notes.targetMemoryPct).toBe('10.1.0.9:6379: connect ECONNREFUSED');
    });

    it('says why the CDC lag and the spot-check have no value while replicating', () => {
      const sample = inProgress([legacyPrimary()], targetMasters([[1, 0]]));

      const { notes } = deriveMetrics(sample, undefined, tenant(), {
        phase: 'replication',
        cdcLagMs: null,
        checksRecord: {
          heartbeat: { error: 'NOPERM this user has no permissions' },
          spotCheck: { error: 'timeout' },
        },
      });

      expect(notes.cdcLagMs).toBe('heartbeat failed: NOPERM this user has no permissions');
      expect(notes.spotCheckMismatches).toBe('spot-check failed: timeout');
    });
  });

  describe('error rates need volume', () => {
    const prev = asSample(inProgress([legacyPrimary()], targetMasters([[1, 0]])), null);
    const withCounts = (commands: number, errors: number) =>
      targetMasters([[1, 0]]).map((n) => ({
        ...n,
        stats: stats(n, { totalCommands: 1_000 + commands, totalErrorReplies: errors }),
      }));

    it('takes a rate over fewer than 1,000 commands over 1,000: 4 errors in 10 commands read 4, not 400', () => {
      const { derived, notes } = deriveMetrics(
        inProgress([legacyPrimary()], withCounts(10, 4)),
        prev,
        tenant(),
      );

      expect(ERROR_RATE_MIN_COMMANDS).toBe(1_000);
      expect(derived.targetErrorRate).toBe(4);
      expect(notes.targetErrorRate).toMatch(
        /^4 error replies over 10 commands \(a rate over fewer than 1,000/,
      );
    });

    it('is errors per 1000 commands above that volume', () => {
      const { derived } = deriveMetrics(
        inProgress([legacyPrimary()], withCounts(50_000, 100)),
        prev,
        tenant(),
      );

      expect(derived.targetErrorRate).toBeCloseTo(2);
    });
  });

  describe('writes in flight', () => {
    const t = tenant();
    /** Legacy 1 minute later with `writes` more key changes, `keys` keys; the target at `target` keys. */
    function later(writes: number, keys: number, target: number, at = 120_000) {
      const prevLegacy = legacyPrimary({ keyspace: { 0: { keys: 1_000, expires: 0 } } });
      const prev = asSample(inProgress([prevLegacy], targetMasters([[1_000, 0]]), at - 60_000));
      const cur = legacyPrimary({
        keyspace: { 0: { keys, expires: 0 } },
        persistence: { changesSinceSave: 50 + writes, lastSaveTime: 1_000 },
        stats: stats(prevLegacy, { totalCommands: 1_000 + writes }),
      });
      return { sample: inProgress([cur], targetMasters([[target, 0]]), at), prev };
    }

    it('allows the legacy write rate × (CDC lag + read span) between the live totals', () => {
      // 6,000 key changes in 60 s: 100/s; 300 ms lag and 20 ms between the reads: 32 keys in flight on
      // average, 55 with 4 σ of a Poisson count.
      const { sample, prev } = later(6_000, 1_100, 1_075);

      const { derived, notes } = deriveMetrics(sample, prev, t, {
        phase: 'replication',
        cdcLagMs: 300,
        readSpanMs: 20,
      });

      expect(derived.persistentKeyDrift).toBe(0);
      expect(notes.persistentKeyDrift).toBe(
        'worst is the live totals: legacy 1,100, target 1,075: 25 apart, within 55 keys in flight (100 key changes/s × (300 ms CDC lag + 20 ms between the reads), with 4 σ)',
      );
    });

    it('reports what lies beyond the keys in flight', () => {
      const { sample, prev } = later(6_000, 1_100, 1_000);

      const { derived } = deriveMetrics(sample, prev, t, {
        phase: 'replication',
        cdcLagMs: 300,
        readSpanMs: 20,
      });

      expect(derived.persistentKeyDrift).toBe(45);
      expect(derived.persistentKeyDriftRatio).toBeCloseTo(45 / 1_100);
    });

    it('has no live drift when legacy is written and the CDC lag is unknown', () => {
      const { sample, prev } = later(6_000, 1_100, 1_000);

      const { derived, notes } = deriveMetrics(sample, prev, t, { phase: 'replication', cdcLagMs: null });

      expect(derived.persistentKeyDrift).toBeNull();
      expect(notes['persistentKeyDrift@db0']).toBe(
        'legacy took 100 key changes/s and the CDC lag is not measured (the heartbeat was not measured in this sample)',
      );
    });
  });

  it('derives every catalogue metric (a number or null), and leaves out those measured only when they apply', async () => {
    const { METRIC_CATALOGUE, absentCauseOf } = await import('../../../src/metrics/index.js');

    const { derived } = deriveMetrics(
      inProgress([legacyPrimary()], targetMasters([[1, 0]])),
      undefined,
      tenant(),
    );

    // A metric with an absentCause (legacyRefusedWrites: read by the tick only while legacy is fenced) is
    // absent from what deriveMetrics gives: the judge reads its absence as "does not apply".
    for (const name of Object.keys(METRIC_CATALOGUE))
      if (absentCauseOf(name) === undefined) expect(derived, name).toHaveProperty(name);
      else expect(derived, name).not.toHaveProperty(name);
  });
});

describe('ownDelta', () => {
  it('is the difference of counters within one process', () => {
    const delta = ownDelta(
      { atInfo: own(10, { info: 10 }), atEnd: own(12, { info: 10, set: 2 }, 80) },
      own(15, { info: 11, set: 4 }, 160),
    );

    expect(delta).toMatchObject({ commands: 5, byCommand: { info: 1, set: 4 }, writeBytes: 160 });
  });

  it('adds what the old process sent after its INFO to what a new process counted', () => {
    const delta = ownDelta(
      { atInfo: own(10, { info: 10 }, 0, 'old'), atEnd: own(12, { info: 11, set: 1 }, 40, 'old') },
      own(3, { info: 2, 'client|setname': 1 }, 0, 'new'),
    );

    expect(delta).toMatchObject({
      commands: 5,
      byCommand: { info: 3, set: 1, 'client|setname': 1 },
      writeBytes: 40,
    });
  });
});
