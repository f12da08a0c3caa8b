import calculateSlot from 'cluster-key-slot';
import { describe, expect, it } from 'vitest';
import { binToArg } from '../../../src/sampling/consistency/binaryKey.js';
import {
  addMismatch,
  allocateDraws,
  binFromText,
  classify,
  emptyByClass,
  formatEta,
  type KeyDigest,
  keyMapper,
  renderProgress,
} from '../../../src/sampling/consistency/index.js';

const str = (over: Partial<KeyDigest> = {}): KeyDigest => ({
  type: 'string',
  pttl: -1,
  card: 3,
  digest: 'abc',
  probes: [],
  ...over,
});
const none: KeyDigest = { type: 'none', pttl: -2, card: 0, digest: '', probes: [] };

describe('binToArg', () => {
  it('sends an ASCII key as its string and any other key as its exact bytes', () => {
    const utf8 = binFromText('clé:✓');
    const invalid = Buffer.from([0x66, 0xff, 0xfe]).toString('latin1');

    expect(binToArg('user:1')).toBe('user:1');
    expect(binToArg(utf8)).toEqual(Buffer.from('clé:✓', 'utf8'));
    expect(binToArg(invalid)).toEqual(Buffer.from([0x66, 0xff, 0xfe]));
  });

  it('gives the same cluster slot as the key bytes', () => {
    for (const key of [
      'user:1',
      '{tag}x',
      binFromText('clé:✓'),
      Buffer.from([0xff, 0x41]).toString('latin1'),
    ]) {
      expect(calculateSlot(binToArg(key))).toBe(calculateSlot(Buffer.from(key, 'latin1')));
    }
  });
});

describe('classify', () => {
  it('agrees on identical observations and on a key absent on both sides', () => {
    expect(classify(str(), str(), 0)).toBeNull();
    expect(classify(none, none, 0)).toBeNull();
  });

  it('names missing, extra, type and value differences', () => {
    expect(classify(str(), none, 0)).toBe('missing');
    expect(classify(none, str(), 0)).toBe('extra');
    expect(classify(str(), str({ type: 'hash' }), 0)).toBe('type');
    expect(classify(str(), str({ digest: 'abd' }), 0)).toBe('value');
    expect(classify(str(), str({ card: 4 }), 0)).toBe('value');
  });

  it('compares TTLs within the tolerance and flags a TTL present on one side only', () => {
    expect(classify(str({ pttl: 10_000 }), str({ pttl: 9_200 }), 1000)).toBeNull();
    expect(classify(str({ pttl: 10_000 }), str({ pttl: 8_000 }), 1000)).toBe('ttl');
    expect(classify(str({ pttl: 10_000 }), str({ pttl: -1 }), 1e9)).toBe('ttl');
  });

  it('excuses a TTL that ends later on the target by up to the CDC lag peak, never one that ends earlier or is gone', () => {
    // Copied during a 4 s lag spike: the copy's TTL ends 4 s later.
    expect(classify(str({ pttl: 10_000 }), str({ pttl: 14_000 }), 1000)).toBe('ttl');
    expect(classify(str({ pttl: 10_000 }), str({ pttl: 14_000 }), 1000, 4_000)).toBeNull();
    expect(classify(str({ pttl: 10_000 }), str({ pttl: 15_500 }), 1000, 4_000)).toBe('ttl');
    expect(classify(str({ pttl: 10_000 }), str({ pttl: 6_000 }), 1000, 4_000)).toBe('ttl');
    expect(classify(str({ pttl: 10_000 }), str({ pttl: -1 }), 1000, 1e9)).toBe('ttl');
    expect(classify(str({ pttl: -1 }), str({ pttl: 10_000 }), 1000, 1e9)).toBe('ttl');
  });
});

describe('addMismatch', () => {
  it('counts every mismatch but keeps only the first examples', () => {
    const by = emptyByClass();

    for (let i = 0; i < 8; i++) addMismatch(by, 'value', `k${i}`, 3);

    expect(by.value).toEqual({ count: 8, examples: ['k0', 'k1', 'k2'] });
  });
});

describe('keyMapper', () => {
  const map = keyMapper({ '0': '', '3': 'impact:' });

  it('maps a legacy key under its db prefix and back by the longest prefix', () => {
    expect(map.toTarget(3, binFromText('a'))).toBe('impact:a');
    expect(map.toLegacy(binFromText('impact:a'))).toEqual({ db: 3, key: 'a' });
    expect(map.toLegacy(binFromText('other'))).toEqual({ db: 0, key: 'other' });
  });

  it('finds no db for a target key outside every prefix', () => {
    expect(keyMapper({ '3': 'impact:' }).toLegacy(binFromText('x'))).toBeNull();
  });

  it('rejects a bad db index or two dbs with the same prefix, naming the entry', () => {
    expect(() => keyMapper({ x: '' })).toThrow(/dbMap.x/);
    expect(() => keyMapper({ '1': 'a:', '2': 'a:' })).toThrow(/dbMap.2: has the same prefix as db 1/);
  });
});

describe('allocateDraws', () => {
  it('sends draws to masters in proportion to their size and none to an empty keyspace', () => {
    let i = 0;
    const steps = [0.05, 0.3, 0.6, 0.95];
    const random = () => steps[i++ % steps.length] ?? 0;

    expect(allocateDraws([10, 0, 30], 4, random)).toEqual([1, 0, 3]);
    expect(allocateDraws([0, 0], 5, random)).toEqual([0, 0]);
  });
});

describe('renderProgress', () => {
  it('renders a bar with percentage, keys, mismatches and ETA within the width', () => {
    const line = renderProgress({ scanned: 250, total: 1000, mismatches: 2, etaMs: 65_000 }, 80);

    expect(line).toHaveLength(80);
    expect(line).toMatch(/^\[#+\.+\] {2}25\.0% 250\/1000 keys · 2 mismatches · ETA 1m 05s$/);
  });

  it('shows an unknown ETA and total without pretending progress', () => {
    const line = renderProgress({ scanned: 10, total: null, mismatches: 0, etaMs: null }, 60);

    expect(line).toContain('?.?%');
    expect(line).toContain('ETA --');
    expect(line).not.toContain('#');
  });

  it('falls back to the percentage and ETA when the width is too small for a bar', () => {
    expect(renderProgress({ scanned: 1, total: 2, mismatches: 0, etaMs: 1000 }, 14)).toBe('50.0% ETA 1s');
  });

  it('formats hours, minutes and seconds', () => {
    expect(formatEta(3_725_000)).toBe('1h 02m');
    expect(formatEta(12_400)).toBe('12s');
  });
});
