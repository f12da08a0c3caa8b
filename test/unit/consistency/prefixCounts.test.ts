import { describe, expect, it } from 'vitest';
import { binFromText } from '../../../src/sampling/consistency/binaryKey.js';
import {
  applyScanPage,
  emptyPrefixState,
  ensurePass,
  estimateCount,
  OTHER,
  parsePrefixState,
  prefixClassifier,
} from '../../../src/sampling/prefixCounts.js';

const T0 = 1_700_000_000_000;
const classify = prefixClassifier(['', 'impact:'], (k) => k.startsWith('__soakwatch:'));
const keys = (...k: string[]) => k.map(binFromText);

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
  it('completes a pass with exact counts when every node cursor returns to 0', () => {
    let state = ensurePass(emptyPrefixState(), ['n1', 'n2'], T0);

    state = applyScanPage(state, 'n1', '17', keys('impact:a', 'x'), classify, T0 + 1);
    state = applyScanPage(state, 'n2', '0', keys('impact:b', '__soakwatch:hb'), classify, T0 + 2);
    expect(state.last).toBeNull();
    state = applyScanPage(state, 'n1', '0', keys('y'), classify, T0 + 3);

    expect(state.pass).toBeNull();
    expect(state.last).toEqual({ startedAt: T0, completedAt: T0 + 3, counts: { 'impact:': 2, '': 2 } });
  });

  it('keeps the running pass when the masters are unchanged and restarts it when they change', () => {
    const running = applyScanPage(
      ensurePass(emptyPrefixState(), ['n1', 'n2'], T0),
      'n1',
      '5',
      keys('a'),
      classify,
      T0,
    );

    expect(ensurePass(running, ['n2', 'n1'], T0 + 10)).toBe(running);
    const restarted = ensurePass(running, ['n1', 'n3'], T0 + 10);
    expect(restarted.restarts).toBe(1);
    expect(restarted.pass).toEqual({
      startedAt: T0 + 10,
      nodes: { n1: { cursor: '0', done: false }, n3: { cursor: '0', done: false } },
      counts: {},
    });
  });

  it('survives a JSON round trip and replaces an invalid stored state with an empty one', () => {
    const state = applyScanPage(
      ensurePass(emptyPrefixState(), ['n1', 'n2'], T0),
      'n1',
      '9',
      keys('a'),
      classify,
      T0,
    );

    expect(parsePrefixState(JSON.parse(JSON.stringify(state)))).toEqual(state);
    expect(parsePrefixState({ version: 2 })).toEqual(emptyPrefixState());
    expect(parsePrefixState(undefined)).toEqual(emptyPrefixState());
  });

  it('refuses a page for a node that is not part of the pass', () => {
    expect(() => applyScanPage(emptyPrefixState(), 'n1', '0', [], classify, T0)).toThrow(/no SCAN pass/);
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
