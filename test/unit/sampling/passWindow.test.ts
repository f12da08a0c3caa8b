import { describe, expect, it } from 'vitest';
import {
  comparePass,
  type LegacyReading,
  legacyChangesBetween,
  type PassWindow,
  passLoss,
  recordPassTick,
} from '../../../src/sampling/passWindow.js';
import { parsePrefixState } from '../../../src/sampling/prefixCounts.js';
import type { KeyRemovalReading } from '../../../src/sampling/types.js';

/** A seeded PRNG (mulberry32): the simulations below are reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Key {
  hash: number;
  born: number;
  died: number;
}

/**
 * One db on legacy under a write load (creates and deletes, a growing keyspace), copied with a lag;
 * a SCAN pass over `ticks` ticks reads one slice of the hash space per tick, a while after the tick's
 * INFO. Returns the pass window as soakwatch records it and the pass's count.
 */
function simulate(opts: {
  seed: number;
  initial: number;
  createsPerSec: number;
  deletesPerSec: number;
  ticks: number;
  intervalMs: number;
  lagMs: number;
  /** Keys of the target lost before the pass (present on legacy, gone from the target). */
  lose?: number;
}): { window: PassWindow; counted: number; legacyAtEnd: number } {
  const random = rng(opts.seed);
  const keys: Key[] = Array.from({ length: opts.initial }, () => ({
    hash: random(),
    born: -1e9,
    died: Number.POSITIVE_INFINITY,
  }));
  const end = (opts.ticks + 1) * opts.intervalMs;
  const alive = keys.map((_, i) => i);
  const changeTimes: number[] = [];
  // Poisson-ish events at 1 ms resolution.
  for (let t = -opts.intervalMs; t < end; t++) {
    if (random() < opts.createsPerSec / 1000) {
      keys.push({ hash: random(), born: t, died: Number.POSITIVE_INFINITY });
      alive.push(keys.length - 1);
      changeTimes.push(t);
    }
    if (random() < opts.deletesPerSec / 1000 && alive.length > 0) {
      const at = Math.floor(random() * alive.length);
      const victim = alive[at] as number;
      alive[at] = alive[alive.length - 1] as number;
      alive.pop();
      (keys[victim] as Key).died = t;
      changeTimes.push(t);
    }
  }
  const lost = new Set<number>();
  for (let i = 0; lost.size < (opts.lose ?? 0); i++)
    if (keys[i]?.died === Number.POSITIVE_INFINITY) lost.add(i);
  const onLegacy = (k: Key, t: number) => k.born <= t && t < k.died;
  const onTarget = (k: Key, i: number, t: number) => !lost.has(i) && onLegacy(k, t - opts.lagMs);
  const legacyCount = (t: number) => keys.filter((k) => onLegacy(k, t)).length;
  const changesUntil = (t: number) => changeTimes.filter((c) => c <= t).length;

  const reading = (t: number): LegacyReading => ({
    address: 'l:1',
    at: t,
    changes: changesUntil(t),
    lastSaveTime: 1,
    commands: changesUntil(t) * 2,
  });
  let window: PassWindow | null = null;
  let counted = 0;
  let previous = { at: -opts.intervalMs, count: legacyCount(-opts.intervalMs) };
  for (let i = 0; i < opts.ticks; i++) {
    const at = i * opts.intervalMs;
    const count = legacyCount(at);
    // Heartbeat and spot-check first, then the SCAN pages of this tick.
    const scanStartedAt = at + opts.lagMs + 40;
    const scanEndedAt = scanStartedAt + 60;
    const scanAt = (scanStartedAt + scanEndedAt) / 2;
    const lo = i / opts.ticks;
    const hi = (i + 1) / opts.ticks;
    let c = 0;
    keys.forEach((k, idx) => {
      if (k.hash >= lo && k.hash < hi && onTarget(k, idx, scanAt)) c++;
    });
    counted += c;
    const rate = (count - previous.count) / (at - previous.at);
    window = recordPassTick(
      window,
      { counted: { 'p:': { keys: c, persistent: c } }, scanStartedAt, scanEndedAt },
      {
        at,
        counts: { '3': { keys: count, persistent: count } },
        rates: { '3': { keys: rate, persistent: rate } },
        lagMs: opts.lagMs,
        reading: reading(at),
        after: reading(scanEndedAt + 1),
      },
      { '3': 'p:' },
      null,
    );
    previous = { at, count };
  }
  return { window: window as PassWindow, counted, legacyAtEnd: legacyCount(end) };
}

// A third of the db created or deleted during the pass: far more churn than a pass should span.
const BUSY = {
  initial: 20_000,
  createsPerSec: 200,
  deletesPerSec: 120,
  ticks: 4,
  intervalMs: 5_000,
  lagMs: 150,
};
// Net growth of 80 keys/s, the db grows 2 % over the pass; 3,200 key changes in it, under (db/400)².
const GROWING = { ...BUSY, initial: 40_000, intervalMs: 2_500 };

describe('comparePass', () => {
  it('finds no drift for a healthy copy of a growing keyspace, whose pass count lies off the last legacy count', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const { window, counted, legacyAtEnd } = simulate({ ...(seed % 2 ? BUSY : GROWING), seed });

      const result = comparePass(window, '3', { keys: counted, persistent: counted });

      if ('cause' in result) throw new Error(result.cause);
      expect(result.keys.drift, `seed ${seed}`).toBe(0);
      // The naive comparison with the latest legacy count would read drift on every pass.
      expect(legacyAtEnd - counted).toBeGreaterThan(0.001 * legacyAtEnd);
      expect(result.keys.legacyMin).toBeLessThan(result.keys.legacyMax);
    }
  });

  it('finds a loss of 0.5 % of the db while it grows, beyond the 0.001 ratio', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const { window, counted } = simulate({ ...GROWING, seed, lose: 200 });

      const result = comparePass(window, '3', { keys: counted, persistent: counted });

      if ('cause' in result) throw new Error(result.cause);
      expect(result.keys.drift / result.keys.expected, `seed ${seed}`).toBeGreaterThan(0.001);
    }
  });

  it('finds a db never copied', () => {
    const { window } = simulate({ ...BUSY, seed: 3 });

    const result = comparePass(window, '3', { keys: 0, persistent: 0 });

    if ('cause' in result) throw new Error(result.cause);
    expect(result.keys.drift).toBeGreaterThan(19_000);
  });

  it('has no comparison when the legacy primary changed during the pass', () => {
    const tick = { counted: { 'p:': { keys: 5, persistent: 5 } }, scanStartedAt: 10, scanEndedAt: 20 };
    const view = (address: string, at: number) => ({
      at,
      counts: { '3': { keys: 5, persistent: 5 } },
      rates: { '3': { keys: 0, persistent: 0 } },
      lagMs: 0,
      reading: { address, at, changes: 0, lastSaveTime: 1, commands: 0 },
      after: { address, at: at + 30, changes: 0, lastSaveTime: 1, commands: 0 },
    });
    const first = recordPassTick(null, tick, view('l:1', 0), { '3': 'p:' }, null);
    const second = recordPassTick(
      first,
      { ...tick, scanStartedAt: 60, scanEndedAt: 70 },
      view('l:2', 50),
      { '3': 'p:' },
      null,
    );

    expect(comparePass(second, '3', { keys: 10, persistent: 10 })).toEqual({
      cause: 'legacy primary changed during the pass (l:1 → l:2)',
    });
  });
});

describe('legacyChangesBetween', () => {
  const r = (changes: number, lastSaveTime: number, commands: number): LegacyReading => ({
    address: 'l:1',
    at: 0,
    changes,
    lastSaveTime,
    commands,
  });

  it('counts the change counter, and the commands across an RDB save', () => {
    expect(legacyChangesBetween(r(10, 1, 100), r(25, 1, 140))).toBe(15);
    expect(legacyChangesBetween(r(10, 1, 100), r(3, 2, 140))).toBe(40);
    expect(legacyChangesBetween(r(10, 1, 100), r(3, 2, 90))).toBeNull();
  });

  it("leaves soakwatch's own writes out when one process counted both readings", () => {
    const own = (ownWrites: number, ownProcess: string) => ({
      ownWrites,
      ownCommands: ownWrites,
      ownProcess,
    });

    expect(
      legacyChangesBetween({ ...r(10, 1, 100), ...own(4, 'p') }, { ...r(25, 1, 140), ...own(5, 'p') }),
    ).toBe(14);
    expect(
      legacyChangesBetween({ ...r(10, 1, 100), ...own(4, 'p') }, { ...r(25, 1, 140), ...own(1, 'q') }),
    ).toBe(15);
  });
});

describe('passLoss', () => {
  const reading = (parts: Partial<KeyRemovalReading>): KeyRemovalReading => ({
    at: 0,
    age: 0,
    keys: 0,
    expired: 0,
    evicted: 0,
    removingCalls: 0,
    flushCalls: 0,
    writeCalls: 0,
    ...parts,
  });
  const window = (
    start: Record<string, KeyRemovalReading> | null,
    end: Record<string, KeyRemovalReading> | null,
  ) => ({ targetAtStart: start, targetAtEnd: end }) as PassWindow;

  it('counts what left a prefix beyond the removals on every master and the counting noise', () => {
    const before = { counts: 10_000, window: window({ 'm:1': reading({}), 'm:2': reading({}) }, null) };
    const after = {
      counts: 7_900,
      window: window(null, {
        'm:1': reading({ expired: 50, removingCalls: 30, writeCalls: 400 }),
        'm:2': reading({ evicted: 20, writeCalls: 500 }),
      }),
    };

    const loss = passLoss(before, after);

    if ('cause' in loss) throw new Error(loss.cause);
    // 2,100 gone, 100 explained, 4·√(900/4) = 60 noise.
    expect(loss.lost).toBe(1_940);
    expect(loss.ratio).toBeCloseTo(0.194);
  });

  it('has no loss when removals explain the fall, and no data without readings', () => {
    const before = { counts: 1_000, window: window({ 'm:1': reading({}) }, null) };
    const after = { counts: 900, window: window(null, { 'm:1': reading({ removingCalls: 100 }) }) };

    expect(passLoss(before, after)).toMatchObject({ lost: 0 });
    expect(passLoss({ counts: 1, window: undefined }, after)).toHaveProperty('cause');
  });
});

describe('parsePrefixState', () => {
  it('keeps the last pass of a state stored before windows, which then cannot be compared', () => {
    const v2 = {
      version: 2,
      pass: null,
      last: { startedAt: 1, completedAt: 2, counts: { 'p:': 10 }, persistent: { 'p:': 9 } },
      restarts: 0,
    };

    const state = parsePrefixState(JSON.parse(JSON.stringify(v2)));

    expect(state).toMatchObject({ version: 3, previous: null, last: { counts: { 'p:': 10 } } });
    expect(comparePass(state.last?.window, '3', { keys: 10, persistent: 9 })).toEqual({
      cause: 'the last SCAN pass began before legacy was recorded alongside it',
    });
  });
});
