import { describe, expect, it } from 'vitest';
import { binFromText } from '../../../src/sampling/consistency/binaryKey.js';
import {
  applyScanPage,
  emptyPrefixState,
  ensurePass,
  estimateBuckets,
  estimateCount,
  OTHER,
  parsePrefixState,
  prefixClassifier,
  type ScannedKey,
} from '../../../src/sampling/prefixCounts.js';

const T0 = 1_700_000_000_000;
const classify = prefixClassifier(['', 'impact:'], (k) => k.startsWith('__soakwatch:'));
/** A classified page: `name` is persistent, `name~` has a TTL (soakwatch keys already left out). */
const page = (...k: string[]): ScannedKey[] =>
  k.map((name) => ({
    bucket: classify(binFromText(name.replace(/~$/, ''))) ?? 'excluded',
    persistent: !name.endsWith('~'),
  }));

describe('prefixClassifier', () => {
  it('puts a key under its longest matching prefix and skips soakwatch keys', () => {
    expect(classify(binFromText('impact:a'))).toBe('impact:');
    expect(classify(binFromText('user:1'))).toBe('');
    expect(classify(binFromText('__soakwatch:hb:x'))).toBeNull();
  });

  it('counts keys matching no prefix as other', () => {
    expect(prefixClassifier(['a:'])(binFromText('b:1'))).toBe(OTHER);
  });
});

describe('prefix SCAN pass state', () => {
  it('completes a pass with exact counts and persistent counts when every node cursor returns to 0', () => {
    let state = ensurePass(emptyPrefixState(), ['n1', 'n2'], T0);

    state = applyScanPage(state, 'n1', '17', page('impact:a', 'x~'), T0 + 1);
    state = applyScanPage(state, 'n2', '0', page('impact:b~'), T0 + 2);
    expect(state.last).toBeNull();
    expect(state.pass?.persistent).toEqual({ 'impact:': 1 });
    state = applyScanPage(state, 'n1', '0', page('y'), T0 + 3);

    expect(state.pass).toBeNull();
    expect(state.last).toEqual({
      startedAt: T0,
      completedAt: T0 + 3,
      counts: { 'impact:': 2, '': 2 },
      persistent: { 'impact:': 1, '': 1 },
    });
  });

  it('drops a version-1 state (no persistent counts) so a new pass starts', () => {
    const v1 = {
      version: 1,
      pass: null,
      last: { startedAt: T0, completedAt: T0, counts: { '': 5 } },
      restarts: 0,
    };

    expect(parsePrefixState(v1)).toEqual(emptyPrefixState());
  });

  it('keeps the running pass when the masters are unchanged and restarts it when they change', () => {
    const running = applyScanPage(ensurePass(emptyPrefixState(), ['n1', 'n2'], T0), 'n1', '5', page('a'), T0);

    expect(ensurePass(running, ['n2', 'n1'], T0 + 10)).toBe(running);
    const restarted = ensurePass(running, ['n1', 'n3'], T0 + 10);
    expect(restarted.restarts).toBe(1);
    expect(restarted.pass).toEqual({
      startedAt: T0 + 10,
      nodes: { n1: { cursor: '0', done: false }, n3: { cursor: '0', done: false } },
      counts: {},
      persistent: {},
    });
  });

  it('survives a JSON round trip and replaces an invalid stored state with an empty one', () => {
    const state = applyScanPage(
      ensurePass(emptyPrefixState(), ['n1', 'n2'], T0),
      'n1',
      '9',
      page('a', 'b~'),
      T0,
    );

    expect(parsePrefixState(JSON.parse(JSON.stringify(state)))).toEqual(state);
    expect(parsePrefixState({ version: 2 })).toEqual(emptyPrefixState());
    expect(parsePrefixState(undefined)).toEqual(emptyPrefixState());
  });

  it('refuses a page for a node that is not part of the pass', () => {
    expect(() => applyScanPage(emptyPrefixState(), 'n1', '0', [], T0)).toThrow(/no SCAN pass/);
  });
});

describe('estimateCount', () => {
  it('scales the sampled proportion to the keyspace with a 95 % interval around it', () => {
    const e = estimateCount(50, 200, 10_000);

    expect(e?.count).toBe(2500);
    expect(e?.low).toBeGreaterThan(1900);
    expect(e?.low).toBeLessThan(2500);
    expect(e?.high).toBeGreaterThan(2500);
    expect(e?.high).toBeLessThan(3200);
  });

  it('keeps a non-zero upper bound when no draw hit the prefix', () => {
    const e = estimateCount(0, 200, 10_000);

    expect(e?.count).toBe(0);
    expect(e?.low).toBe(0);
    expect(e?.high).toBeGreaterThan(0);
  });

  it('is null without draws and zero for an empty keyspace', () => {
    expect(estimateCount(0, 0, 100)).toBeNull();
    expect(estimateCount(0, 0, 0)).toEqual({ count: 0, low: 0, high: 0 });
  });

  it('covers the true proportion in about 95 % of simulated samples', () => {
    // Deterministic LCG, so the test is reproducible.
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const truth = 0.3;
    let covered = 0;
    for (let run = 0; run < 400; run++) {
      let hits = 0;
      for (let i = 0; i < 200; i++) if (random() < truth) hits++;
      const e = estimateCount(hits, 200, 1000);
      if (e && e.low <= truth * 1000 && truth * 1000 <= e.high) covered++;
    }
    expect(covered / 400).toBeGreaterThan(0.9);
  });
});

describe('estimateBuckets', () => {
  it('estimates each bucket and its keys without expiry from the same draws', () => {
    const draws = { n: 200, hits: { 'impact:': 50, '': 150 }, persistentHits: { 'impact:': 20, '': 150 } };

    const e = estimateBuckets(['', 'impact:', OTHER], draws, 10_000);

    expect(e['impact:']).toMatchObject({ count: 2500, sampleSize: 200, persistent: { count: 1000 } });
    expect(e['impact:']?.persistent.low).toBeLessThan(1000);
    expect(e['impact:']?.persistent.high).toBeGreaterThan(1000);
    expect(e['']).toMatchObject({ count: 7500, persistent: { count: 7500 } });
    expect(e[OTHER]).toMatchObject({ count: 0, persistent: { count: 0 } });
  });

  it('is null per bucket when no draw could be used, never 0', () => {
    const e = estimateBuckets(['', 'impact:'], { n: 0, hits: {}, persistentHits: {} }, 10_000);

    expect(e['']).toBeNull();
    expect(e['impact:']).toBeNull();
  });
});
