import { describe, expect, it } from 'vitest';
import {
  describeMismatches,
  describePatterns,
  MAX_PATTERNS,
  type MismatchDescriptor,
  mergeMismatchSummaries,
  mismatchSummarySchema,
  summarizeMismatches,
  ttlClassOf,
} from '../../../src/metrics/index.js';
import {
  binFromText,
  describeMismatch,
  type KeyDigest,
  keyPattern,
  patternOfText,
} from '../../../src/sampling/consistency/index.js';

describe('patternOfText: the key pattern, never the key', () => {
  it.each([
    ['session:8f3a9c0d1e2b', 'session:*'],
    ['user:12345:profile', 'user:*:profile'],
    ['user:12345:cart:3', 'user:*:cart:*'],
    ['order/2024-01-05/items', 'order/*-*-*/items'],
    ['cache.v2.item.42', 'cache.v2.item.*'],
    ['tok:9b2f6a1e-4c3d-4e5f-8a9b-0c1d2e3f4a5b', 'tok:*'],
    ['{tenant42}:hash2', '{tenant42}:hash2'],
    ['{12345}:orders', '{*}:orders'],
    ['customer42117:basket', 'customer*:basket'],
    ['login:alice@example.com:attempts', 'login:*:attempts'],
    ['api:key:AbCdEf123456XyZ', 'api:key:*'],
    ['rate_limit_10.0.0.1', 'rate_limit_*.*.*.*'],
    ['plain', 'plain'],
    ['', ''],
  ])('%s → %s', (key, pattern) => {
    expect(patternOfText(key)).toBe(pattern);
  });

  it('never keeps bytes outside printable ASCII, nor a long segment, and bounds the length', () => {
    expect(keyPattern(Buffer.from([0x6b, 0x3a, 0xff, 0xfe]).toString('latin1'))).toBe('k:*');
    expect(keyPattern(binFromText('name:José:cart'))).toBe('name:*:cart');
    expect(patternOfText(`blob:${'x'.repeat(40)}`)).toBe('blob:*');
    const long = patternOfText(Array.from({ length: 60 }, () => 'seg').join(':'));
    expect(long.length).toBeLessThanOrEqual(100);
    expect(long.endsWith('…')).toBe(true);
  });
});

const digest = (over: Partial<KeyDigest>): KeyDigest => ({
  type: 'string',
  pttl: -1,
  card: 1,
  digest: 'd',
  probes: [],
  ...over,
});

describe('describeMismatch', () => {
  it('keeps db, pattern, both types and TTL classes, and splits a TTL difference into dropped or differs', () => {
    const pair = {
      db: 2,
      legacyKey: binFromText('session:123456'),
      targetKey: binFromText('s2:session:123456'),
    };
    const obs = (legacy: Partial<KeyDigest>, target: Partial<KeyDigest>) => ({
      legacy: digest(legacy),
      target: digest(target),
      spanMs: 1,
    });
    expect(describeMismatch(pair, 'missing', obs({ pttl: 30_000 }, { type: 'none', pttl: -2 }))).toEqual({
      db: 2,
      pattern: 'session:*',
      kind: 'missing',
      legacyType: 'string',
      targetType: 'none',
      legacyTtl: 'lt60s',
      targetTtl: 'absent',
    });
    expect(describeMismatch(pair, 'ttl', obs({ pttl: 120_000 }, { pttl: -1 })).kind).toBe('ttlDropped');
    expect(describeMismatch(pair, 'ttl', obs({ pttl: 120_000 }, { pttl: 9_000_000 })).kind).toBe(
      'ttlDiffers',
    );
    // A target key outside the dbMap: its own name is generalised.
    const stray = { db: null, legacyKey: binFromText('ghost:77'), targetKey: binFromText('ghost:77') };
    expect(describeMismatch(stray, 'extra', obs({ type: 'none', pttl: -2 }, {})).pattern).toBe('ghost:*');
    expect(JSON.stringify(describeMismatch(pair, 'value', obs({}, {})))).not.toContain('123456');
  });

  it('classes TTLs: none, < 60 s, < 1 h, ≥ 1 h, absent', () => {
    expect([-1, 0, 59_999, 60_000, 3_599_999, 3_600_000, -2].map(ttlClassOf)).toEqual([
      'none',
      'lt60s',
      'lt60s',
      'lt1h',
      'lt1h',
      'ge1h',
      'absent',
    ]);
  });
});

const d = (over: Partial<MismatchDescriptor>): MismatchDescriptor => ({
  db: 0,
  pattern: 'k:*',
  kind: 'missing',
  legacyType: 'string',
  targetType: 'none',
  legacyTtl: 'none',
  targetTtl: 'absent',
  ...over,
});
const times = (k: number, over: Partial<MismatchDescriptor>) => Array.from({ length: k }, () => d(over));

describe('summarizeMismatches', () => {
  it('names the db, pattern and TTL class that hold them all, with the expiredInFlight hint', () => {
    const s = summarizeMismatches(times(37, { db: 2, pattern: 'session:*', legacyTtl: 'lt60s' }));
    expect(s.total).toBe(37);
    expect(s.finding).toEqual({
      kind: 'concentrated',
      db: { db: 2, count: 37 },
      pattern: { db: 2, pattern: 'session:*', count: 37 },
      ttl: { ttl: 'lt60s', count: 37 },
      dbs: 1,
      patterns: 1,
      morePatterns: false,
    });
    expect(s.hints).toEqual(['expiredInFlight']);
    expect(s.byKind).toEqual({ missing: 37 });
    expect(s.byTtl).toEqual({ lt60s: 37 });
    expect(s.byType.top).toEqual([{ legacy: 'string', target: 'none', count: 37 }]);
    expect(describeMismatches(s)).toBe(
      '37 mismatches, all in db 2 `session:*`, all with TTL < 60 s (missing on target 37): expired in flight?',
    );
  });

  it('calls it concentrated from 80 % on, and names the share', () => {
    const s = summarizeMismatches([
      ...times(8, { db: 2, pattern: 'session:*' }),
      ...times(2, { db: 1, pattern: 'q:*' }),
    ]);
    expect(s.finding).toMatchObject({
      kind: 'concentrated',
      pattern: { db: 2, pattern: 'session:*', count: 8 },
    });
    expect(describeMismatches(s)).toContain('8 of 10 (80 %) in db 2 `session:*`');
    const below = summarizeMismatches([...times(7, { db: 2 }), ...times(3, { db: 1 })]);
    expect(below.finding).toMatchObject({ kind: 'concentrated', ttl: { ttl: 'none', count: 10 } });
    expect(below.finding).not.toHaveProperty('db');
  });

  it('says spread when no db, pattern or TTL class holds 80 %', () => {
    const mixed = [0, 1, 2, 3].flatMap((db) =>
      ['a:*', 'b:*', 'c:*'].map((pattern, i) =>
        d({ db, pattern, legacyTtl: (['none', 'lt1h', 'ge1h'] as const)[i] ?? 'none' }),
      ),
    );
    const s = summarizeMismatches(mixed);
    expect(s.finding).toEqual({ kind: 'spread', dbs: 4, patterns: 10, morePatterns: true });
    expect(s.hints).toEqual([]);
    expect(describeMismatches(s)).toBe(
      '12 mismatches spread over 10+ patterns in 4 dbs (missing on target 12)',
    );
    // Spread over the keyspace, yet all without a TTL: both are said.
    const untimed = summarizeMismatches(mixed.map((x) => ({ ...x, legacyTtl: 'none' as const })));
    expect(untimed.finding).toMatchObject({ kind: 'concentrated', ttl: { ttl: 'none', count: 12 }, dbs: 4 });
    expect(describeMismatches(untimed)).toBe(
      '12 mismatches spread over 10+ patterns in 4 dbs, all with no TTL (missing on target 12)',
    );
  });

  it('hints ttlDropped and typeChanged when most are of that kind', () => {
    expect(
      summarizeMismatches(times(5, { kind: 'ttlDropped', legacyTtl: 'ge1h', targetTtl: 'none' })).hints,
    ).toEqual(['ttlDropped']);
    const typed = summarizeMismatches(times(5, { kind: 'type', targetType: 'hash', targetTtl: 'none' }));
    expect(typed.hints).toEqual(['typeChanged']);
    expect(describeMismatches(typed)).toContain(': keys re-created with another type, not replicated?');
  });

  it('keeps the top patterns and counts the rest as other: bounded whatever the input', () => {
    const many = Array.from({ length: 500 }, (_, i) =>
      d({ pattern: `p${String.fromCharCode(97 + (i % 26))}x${i}:*` }),
    );
    const s = summarizeMismatches([...times(20, { pattern: 'hot:*' }), ...many]);
    expect(s.byPattern.top).toHaveLength(MAX_PATTERNS);
    expect(s.byPattern.top[0]).toEqual({ db: 0, pattern: 'hot:*', count: 20 });
    expect(s.byPattern.other).toBe(520 - 20 - (MAX_PATTERNS - 1));
    expect(mismatchSummarySchema.parse(s)).toEqual(s);
    expect(JSON.stringify(s).length).toBeLessThan(4_000);
    expect(describePatterns(s, 2)).toBe(
      `db 0 \`hot:*\` 20, db 0 \`${s.byPattern.top[1]?.pattern}\` 1, other patterns 499`,
    );
  });

  it('merges summaries into the same as summarizing everything (while the patterns fit)', () => {
    const a = times(3, { db: 2, pattern: 'session:*', legacyTtl: 'lt60s' });
    const b = [...times(30, { db: 2, pattern: 'session:*', legacyTtl: 'lt60s' }), d({ db: 1 })];
    expect(mergeMismatchSummaries([summarizeMismatches(a), summarizeMismatches(b)])).toEqual(
      summarizeMismatches([...a, ...b]),
    );
  });
});
