import { describe, expect, it } from 'vitest';
import {
  emptySpotCheckState,
  fingerprintOf,
  judgeRecheck,
  type KeyDigest,
  MAX_FLUX_RECHECKS,
  newSuspect,
  type Observation,
  parseSpotCheckState,
  sameFingerprint,
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
const look = (legacy: KeyDigest, target: KeyDigest, spanMs = 4): Observation => ({ legacy, target, spanMs });
const pair = { db: 0, legacyKey: 'k', targetKey: 'k' };

describe('sameFingerprint', () => {
  it('holds for the same value and the same expiry time seen twice, a minute apart', () => {
    const first = fingerprintOf(str({ pttl: 90_000 }), 1_000, 3);
    const later = fingerprintOf(str({ pttl: 30_100 }), 61_000, 5);

    expect(sameFingerprint(first, later)).toBe(true);
  });

  it('fails for another value, another type, a moved expiry or an expiry that appeared', () => {
    const base = fingerprintOf(str({ pttl: 90_000 }), 1_000, 3);

    expect(sameFingerprint(base, fingerprintOf(str({ pttl: 90_000, digest: 'abd' }), 1_000, 3))).toBe(false);
    expect(sameFingerprint(base, fingerprintOf(str({ pttl: 90_000, type: 'hash' }), 1_000, 3))).toBe(false);
    // The application refreshed the TTL: the key changed.
    expect(sameFingerprint(base, fingerprintOf(str({ pttl: 90_000 }), 61_000, 3))).toBe(false);
    expect(sameFingerprint(fingerprintOf(str(), 1_000, 3), base)).toBe(false);
  });

  it('compares a probed digest of a big collection only when both looks probed the same members', () => {
    const a = fingerprintOf(str({ type: 'hash', card: 5000, digest: 'p111' }), 0, 1);
    const b = fingerprintOf(str({ type: 'hash', card: 5000, digest: 'p222' }), 0, 1);

    expect(sameFingerprint(a, b, false)).toBe(true);
    expect(sameFingerprint(a, b, true)).toBe(false);
  });
});

describe('judgeRecheck', () => {
  const suspect = newSuspect(pair, 'missing', look(str(), none), 1_000, 1_000);

  it('clears a suspect whose sides agree now: the write was in flight at the first look', () => {
    expect(judgeRecheck(suspect, null, look(str(), str()), 61_000, 61_000)).toEqual({ kind: 'cleared' });
  });

  it('confirms a suspect that still differs while neither side changed', () => {
    expect(judgeRecheck(suspect, 'missing', look(str(), none), 61_000, 61_000)).toEqual({
      kind: 'confirmed',
      cls: 'missing',
    });
  });

  it('keeps a suspect whose legacy side changed for a later re-check, then drops it as unstable', () => {
    let current = suspect;
    const verdicts: string[] = [];
    for (let i = 1; i <= MAX_FLUX_RECHECKS; i++) {
      const v = judgeRecheck(
        current,
        'value',
        look(str({ digest: `v${i}` }), str({ digest: `v${i - 1}` })),
        i * 60_000,
        i * 60_000,
      );
      verdicts.push(v.kind);
      if (v.kind === 'flux') current = v.suspect;
    }

    expect(verdicts).toEqual([...Array(MAX_FLUX_RECHECKS - 1).fill('flux'), 'unstable']);
  });

  it('does not confirm a key the CDC is still applying writes to (the target side changed)', () => {
    const s = newSuspect(pair, 'value', look(str({ digest: 'new' }), str({ digest: 'old' })), 1_000, 1_000);

    const v = judgeRecheck(
      s,
      'value',
      look(str({ digest: 'new' }), str({ digest: 'older' })),
      61_000,
      61_000,
    );

    expect(v.kind).toBe('flux');
  });
});

describe('parseSpotCheckState', () => {
  it('round-trips a state through JSON, binary keys included, and starts empty on anything else', () => {
    const key = Buffer.from([0x62, 0xff, 0x00]).toString('latin1');
    const state = {
      ...emptySpotCheckState(),
      lastAt: 5,
      suspects: [newSuspect({ db: null, legacyKey: key, targetKey: key }, 'extra', look(none, str()), 5, 5)],
    };

    expect(parseSpotCheckState(JSON.parse(JSON.stringify(state)))).toEqual(state);
    expect(parseSpotCheckState({ version: 9 })).toEqual(emptySpotCheckState());
    expect(parseSpotCheckState(undefined)).toEqual(emptySpotCheckState());
  });
});
