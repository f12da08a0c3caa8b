import { z } from 'zod';
import { type BinKey, binFromBuffer, binFromText, binToText } from './consistency/binaryKey.js';
import { ConsistencyError, ConsistencyInputError } from './consistency/errors.js';
import { drawTarget } from './consistency/randomKeys.js';
import { addressOf, mastersOf, type Target } from './consistency/targetRoute.js';

/**
 * Per-prefix key counts of a cluster-mode target (INFO keyspace only has db 0 totals).
 * Exact counts come from an incremental SCAN pass over every master, bounded per tick, whose
 * cursors live in a small JSON state the caller persists; between passes, an estimate from random
 * draws (RANDOMKEY per master, weighted by DBSIZE) with a 95 % Wilson interval.
 * SCAN semantics apply: keys that exist for the whole pass are counted, keys created or deleted
 * during it may or may not be, and a rehash can return a key twice — "exact" is exact for a quiet
 * keyspace and off by the churn during the pass otherwise.
 */

/** Bucket for target keys that match no prefix of the dbMap. */
export const OTHER = '(other)';

const countsSchema = z.record(z.string(), z.number().int().nonnegative());
export const prefixScanStateSchema = z.object({
  version: z.literal(1),
  pass: z
    .object({
      startedAt: z.number(),
      nodes: z.record(z.string(), z.object({ cursor: z.string().regex(/^\d+$/), done: z.boolean() })),
      counts: countsSchema,
    })
    .nullable(),
  last: z.object({ startedAt: z.number(), completedAt: z.number(), counts: countsSchema }).nullable(),
  /** Passes restarted because the set of masters changed. */
  restarts: z.number().int().nonnegative(),
});
/** What the caller persists between ticks (JSON-safe). */
export type PrefixScanState = z.infer<typeof prefixScanStateSchema>;

export function emptyPrefixState(): PrefixScanState {
  return { version: 1, pass: null, last: null, restarts: 0 };
}

/** A stored state, or an empty one when there is none or it is not a valid state (a new pass starts). */
export function parsePrefixState(raw: unknown): PrefixScanState {
  const parsed = prefixScanStateSchema.safeParse(raw);
  return parsed.success ? parsed.data : emptyPrefixState();
}

/** Longest-prefix classifier: a key → its prefix (text), OTHER, or null when excluded. */
export function prefixClassifier(
  prefixes: readonly string[],
  exclude: (key: string) => boolean = () => false,
): (key: BinKey) => string | null {
  const bins = [...new Set(prefixes)]
    .map((p) => ({ text: p, bin: binFromText(p) }))
    .sort((a, b) => b.bin.length - a.bin.length);
  return (key) => {
    if (exclude(binToText(key))) return null;
    for (const p of bins) if (key.startsWith(p.bin)) return p.text;
    return OTHER;
  };
}

/** Starts a pass when none runs, or restarts it when the masters changed (cursors are per node). */
export function ensurePass(state: PrefixScanState, nodes: readonly string[], now: number): PrefixScanState {
  const sorted = [...nodes].sort();
  const pass = state.pass;
  if (pass) {
    const known = Object.keys(pass.nodes).sort();
    if (known.length === sorted.length && known.every((n, i) => n === sorted[i])) return state;
  }
  return {
    ...state,
    restarts: state.restarts + (pass ? 1 : 0),
    pass: {
      startedAt: now,
      nodes: Object.fromEntries(sorted.map((n) => [n, { cursor: '0', done: false }])),
      counts: {},
    },
  };
}

/**
 * Adds one SCAN page of `node` to the pass; when every node is done the pass becomes `last`
 * (completed at `now`) and the next tick starts a new one.
 */
export function applyScanPage(
  state: PrefixScanState,
  node: string,
  nextCursor: string,
  keys: readonly BinKey[],
  classify: (key: BinKey) => string | null,
  now: number,
): PrefixScanState {
  const pass = state.pass;
  const entry = pass?.nodes[node];
  if (!pass || !entry) throw new ConsistencyError(`no SCAN pass is running for node ${node}`);
  const counts = { ...pass.counts };
  for (const key of keys) {
    const bucket = classify(key);
    if (bucket !== null) counts[bucket] = (counts[bucket] ?? 0) + 1;
  }
  const nodes = { ...pass.nodes, [node]: { cursor: nextCursor, done: nextCursor === '0' } };
  if (Object.values(nodes).every((n) => n.done)) {
    return { ...state, pass: null, last: { startedAt: pass.startedAt, completedAt: now, counts } };
  }
  return { ...state, pass: { ...pass, nodes, counts } };
}

export interface Estimate {
  count: number;
  low: number;
  high: number;
}

/**
 * Wilson 95 % interval for a proportion `hits / n`, scaled to `total` keys. Null when there were no
 * draws from a non-empty keyspace (no data is not zero).
 */
export function estimateCount(hits: number, n: number, total: number, z = 1.96): Estimate | null {
  if (total === 0) return { count: 0, low: 0, high: 0 };
  if (n <= 0) return null;
  const p = hits / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return {
    count: p * total,
    low: Math.max(0, (center - half) * total),
    high: Math.min(total, (center + half) * total),
  };
}

export interface PrefixCount {
  /** From the last completed SCAN pass; null until one has completed. */
  exact: { count: number; completedAt: number } | null;
  /** From this tick's random draws; null when no draw was made. */
  estimate: (Estimate & { sampleSize: number }) | null;
}

export interface PrefixTickResult {
  state: PrefixScanState;
  /** Prefix text (and OTHER) → counts. */
  counts: Record<string, PrefixCount>;
  /** Keys scanned this tick. */
  scanned: number;
}

export interface PrefixCounterOptions {
  target: Target;
  /** The dbMap's prefixes (e.g. `["", "impact:"]`). */
  prefixes: readonly string[];
  /** SCAN budget per tick, keys over all masters. */
  keysPerTick: number;
  /** RANDOMKEY draws per tick for the estimate (0: none). Default 200. */
  sampleSize?: number;
  /** soakwatch's own keys. */
  exclude?: (key: string) => boolean;
  random?: () => number;
}

export interface PrefixCounter {
  tick(state: PrefixScanState, now: number): Promise<PrefixTickResult>;
}

/** Creates the incremental counter; the caller persists `state` between ticks (getDoc/setDoc). */
export function createPrefixCounter(opts: PrefixCounterOptions): PrefixCounter {
  if (!Number.isInteger(opts.keysPerTick) || opts.keysPerTick < 1) {
    throw new ConsistencyInputError('keysPerTick', 'must be an integer ≥ 1');
  }
  const classify = prefixClassifier(opts.prefixes, opts.exclude);
  const sampleSize = opts.sampleSize ?? 200;
  const random = opts.random ?? Math.random;
  return {
    async tick(input, now) {
      const masters = mastersOf(opts.target);
      let state = ensurePass(input, masters.map(addressOf), now);
      let scanned = 0;
      // A few SCAN calls per tick even on sparse nodes (SCAN may return empty pages).
      let calls = Math.ceil(opts.keysPerTick / 100) + 2 * masters.length;
      for (const master of masters) {
        const node = addressOf(master);
        while (state.pass && scanned < opts.keysPerTick && calls > 0) {
          const entry = state.pass.nodes[node];
          if (!entry || entry.done) break;
          const count = Math.min(1000, opts.keysPerTick - scanned);
          const [cursor, keys] = await master.scanBuffer(entry.cursor, 'COUNT', count);
          calls--;
          const bins = keys.map(binFromBuffer);
          scanned += bins.length;
          state = applyScanPage(state, node, cursor.toString(), bins, classify, now);
        }
      }
      const counts: Record<string, PrefixCount> = {};
      const bucketsOf = [...new Set([...opts.prefixes, OTHER])];
      let estimates: Record<string, PrefixCount['estimate']> = {};
      if (sampleSize > 0) {
        const { keys, total } = await drawTarget(opts.target, sampleSize, random);
        const hits: Record<string, number> = {};
        for (const k of keys) {
          const b = classify(k);
          if (b !== null) hits[b] = (hits[b] ?? 0) + 1;
        }
        estimates = Object.fromEntries(
          bucketsOf.map((b) => {
            const e = estimateCount(hits[b] ?? 0, keys.length, total);
            return [b, e ? { ...e, sampleSize: keys.length } : null];
          }),
        );
      }
      for (const b of bucketsOf) {
        const last = state.last;
        counts[b] = {
          exact: last ? { count: last.counts[b] ?? 0, completedAt: last.completedAt } : null,
          estimate: estimates[b] ?? null,
        };
      }
      return { state, counts, scanned };
    },
  };
}
