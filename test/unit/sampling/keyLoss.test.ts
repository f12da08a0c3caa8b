import { describe, expect, it } from 'vitest';
import { parseInfo } from '../../../src/redis/index.js';
import { deriveMetrics } from '../../../src/sampling/index.js';
import { REMOVALS_REFRESH_SAMPLES, removalReading, removalsDue } from '../../../src/sampling/keyRemovals.js';
import type { KeyRemovalReading, NodeSample } from '../../../src/sampling/types.js';
import { asSample, inProgress, node, tenant } from './fixtures.js';

const LEGACY = node('legacy', '10.0.0.1:6379', { keyspace: { 0: { keys: 0, expires: 0 } } });

function reading(parts: Partial<KeyRemovalReading> = {}): KeyRemovalReading {
  return {
    at: 0,
    age: 0,
    keys: 0,
    expired: 0,
    evicted: 0,
    removingCalls: 0,
    flushCalls: 0,
    writeCalls: 0,
    ...parts,
  };
}

/** A target master with `keys` keys, counters and (optionally) a removal reading. */
function master(address: string, keys: number, parts: Partial<NodeSample> = {}): NodeSample {
  const base = node('target', address, { keyspace: { 0: { keys, expires: 0 } } });
  return {
    ...base,
    ...parts,
    stats: { ...(base.stats as NonNullable<NodeSample['stats']>), ...parts.stats },
  };
}

function soakPair(before: NodeSample[], now: NodeSample[]) {
  const prev = asSample(inProgress([LEGACY], before, 0));
  return deriveMetrics(inProgress([LEGACY], now, 60_000), prev, tenant(), { phase: 'soak' });
}

describe('targetKeysLost', () => {
  it('is 0 without reading removals when the total did not fall beyond expiry and evictions', () => {
    const { derived, notes } = soakPair(
      [master('m:1', 1_000, { removals: reading({ keys: 1_000 }) })],
      [
        master('m:1', 990, {
          removals: reading({ keys: 1_000, age: 1 }),
          stats: { expiredKeys: 10 } as never,
        }),
      ],
    );

    expect(derived.targetKeysLost).toBe(0);
    expect(derived.targetKeyLossRatio).toBe(0);
    expect(notes.targetKeysLost).toBe(
      'target 1,000 → 990 keys: no fall beyond expiry (10) and evictions (0)',
    );
  });

  it('counts keys gone beyond expiry, evictions and key-removing commands, over every master', () => {
    const { derived, notes } = soakPair(
      [
        master('m:1', 10_000, { removals: reading({ keys: 10_000, expired: 5, removingCalls: 100 }) }),
        master('m:2', 10_000, { removals: reading({ keys: 10_000 }) }),
      ],
      [
        master('m:1', 9_800, { removals: reading({ keys: 9_800, expired: 55, removingCalls: 250 }) }),
        // A shard that lost 2,000 keys without a command.
        master('m:2', 8_000, { removals: reading({ keys: 8_000, evicted: 10 }) }),
      ],
    );

    // 2,200 gone; 50 expired, 10 evicted, 150 removing calls explain 210.
    expect(derived.targetKeysLost).toBe(1_990);
    expect(derived.targetKeyLossRatio).toBeCloseTo(1_990 / 20_000);
    expect(notes.targetKeysLost).toBe(
      'target 20,000 → 17,800 keys since the last reading; expiry, evictions and key-removing commands explain 210; 1,990 unexplained (10.0 %)',
    );
  });

  it('never takes a flush for an application delete', () => {
    const { derived, notes } = soakPair(
      [master('m:1', 5_000, { removals: reading({ keys: 5_000 }) })],
      [master('m:1', 0, { removals: reading({ keys: 0, flushCalls: 1 }) })],
    );

    expect(derived.targetKeysLost).toBe(5_000);
    expect(notes.targetKeysLost).toMatch(/FLUSHDB\/FLUSHALL on m:1: what it removed counts as lost/);
  });

  it('has no data outside the soak, without a previous sample, or without an earlier reading', () => {
    const now = [master('m:1', 10, { removals: reading({ keys: 10 }) })];
    const prev = asSample(inProgress([LEGACY], [master('m:1', 10)], 0));

    const replicating = deriveMetrics(inProgress([LEGACY], now), prev, tenant(), { phase: 'replication' });
    const first = deriveMetrics(inProgress([LEGACY], now), undefined, tenant(), { phase: 'soak' });
    const noBaseline = deriveMetrics(inProgress([LEGACY], now, 60_000), prev, tenant(), { phase: 'soak' });

    expect(replicating.derived.targetKeysLost).toBeNull();
    expect(replicating.notes.targetKeysLost).toBe('measured only in the soak phase');
    expect(first.notes.targetKeysLost).toBe('needs a previous sample');
    expect(noBaseline.derived.targetKeysLost).toBeNull();
    expect(noBaseline.notes.targetKeysLost).toBe('no key-removal reading of m:1 before this one');
  });

  it('gives the per-db loss of a one-db target from the same totals', () => {
    const { derived } = soakPair(
      [master('m:1', 100, { removals: reading({ keys: 100 }) })],
      [master('m:1', 80, { removals: reading({ keys: 80 }) })],
    );

    expect(derived['targetKeysLost@db0']).toBe(20);
    expect(derived['targetKeyLossRatio@db0']).toBeCloseTo(0.2);
  });
});

describe('removalsDue', () => {
  const carried = (age: number) => reading({ age });

  it('reads when the total fell beyond expiry and evictions, and at least every few samples', () => {
    const prev = asSample(inProgress([LEGACY], [master('m:1', 100, { removals: carried(0) })], 0));
    const grew = [master('m:1', 120)];
    const fell = [master('m:1', 90)];
    const stale = asSample(
      inProgress([LEGACY], [master('m:1', 100, { removals: carried(REMOVALS_REFRESH_SAMPLES - 1) })], 0),
    );

    expect(removalsDue(grew, prev, 0)).toBe(false);
    expect(removalsDue(fell, prev, 0)).toBe(true);
    expect(removalsDue(grew, stale, 0)).toBe(true);
    expect(removalsDue(grew, undefined, 0)).toBe(true);
  });
});

describe('removalReading', () => {
  it('sums calls of key-removing commands apart from flushes, from one INFO reply', () => {
    const info = parseInfo(
      [
        '# Keyspace',
        'db0:keys=42,expires=7,avg_ttl=0',
        '# Stats',
        'expired_keys:11',
        'evicted_keys:2',
        '# Commandstats',
        'cmdstat_set:calls=100,usec=1,usec_per_call=0.01,rejected_calls=0,failed_calls=0',
        'cmdstat_del:calls=5,usec=1,usec_per_call=0.2,rejected_calls=0,failed_calls=0',
        'cmdstat_hdel:calls=3,usec=1,usec_per_call=0.3,rejected_calls=0,failed_calls=0',
        'cmdstat_flushall:calls=1,usec=1,usec_per_call=1,rejected_calls=0,failed_calls=0',
        'cmdstat_get:calls=900,usec=1,usec_per_call=0.01,rejected_calls=0,failed_calls=0',
      ].join('\r\n'),
    );

    expect(removalReading(info, 0, 123)).toEqual({
      at: 123,
      age: 0,
      keys: 42,
      expired: 11,
      evicted: 2,
      removingCalls: 8,
      flushCalls: 1,
      writeCalls: 109,
    });
  });
});
