import type { Redis } from 'ioredis';
import * as z from 'zod';
import { BudgetExhaustedError } from '../redis/errors.js';
import { beforeDeadline } from '../redis/nodeClient.js';
import { type BinKey, binFromBuffer, binFromText, binToText } from './consistency/binaryKey.js';
import { ConsistencyError, ConsistencyInputError } from './consistency/errors.js';
import { allocateDraws, masterSizes, randomDraws } from './consistency/randomKeys.js';
import { addressOf, mastersOf, type Target } from './consistency/targetRoute.js';
import { passWindowSchema } from './passWindow.js';
import { type PersistentFlagsOptions, persistentFlags } from './persistentFlags.js';

/**
 * Per-prefix key counts of a cluster-mode target (INFO keyspace only has db 0 totals).
 * Exact counts come from an incremental SCAN pass over every master, bounded per tick, whose
 * cursors live in a small JSON state the caller persists; between passes, an estimate from random
 * draws (RANDOMKEY per master, weighted by DBSIZE) with a 95 % Wilson interval.
 * Each count comes with the count of keys without expiry (PTTL -1, asked per SCAN page / per draw
 * in one budgeted script call on the node): expiry timing differs between the clusters, so drift is
 * judged on persistent keys. A key gone between SCAN and PTTL is left out of both counts.
 * SCAN semantics apply: keys that exist for the whole pass are counted, keys created or deleted
 * during it may or may not be, and a rehash can return a key twice — "exact" is exact for a quiet
 * keyspace and off by the churn during the pass otherwise.
 */

/** Bucket for target keys that match no prefix of the dbMap. */
export const OTHER = '(other)';

const countsSchema = z.record(z.string(), z.number().int().nonnegative());
const completedSchema = z.object({
  startedAt: z.number(),
  completedAt: z.number(),
  counts: countsSchema,
  persistent: countsSchema,
  /** What legacy (and the target's removals) showed while this pass ran; see passWindow.ts. */
  window: passWindowSchema.optional(),
});
// Version 2 added the persistent counts: a version-1 state is dropped and a new pass starts.
// Version 3 added the windows and `previous`; a version-2 state is read as one without them.
export const prefixScanStateSchema = z.object({
  version: z.union([z.literal(2), z.literal(3)]).transform(() => 3 as const),
  pass: z
    .object({
      startedAt: z.number(),
      nodes: z.record(z.string(), z.object({ cursor: z.string().regex(/^\d+$/), done: z.boolean() })),
      counts: countsSchema,
      /** Keys without expiry, per bucket (a subset of `counts`). */
      persistent: countsSchema,
      window: passWindowSchema.optional(),
    })
    .nullable(),
  last: completedSchema.nullable(),
  /** The pass completed before `last` (the per-prefix loss compares the two). */
  previous: completedSchema.nullable().default(null),
  /** Passes restarted because the set of masters changed. */
  restarts: z.number().int().nonnegative(),
});
/** What the caller persists between ticks (JSON-safe). */
export type PrefixScanState = z.infer<typeof prefixScanStateSchema>;

export function emptyPrefixState(): PrefixScanState {
  return { version: 3, pass: null, last: null, previous: null, restarts: 0 };
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
      persistent: {},
    },
  };
}

/** One scanned key, classified: its bucket (a prefix or OTHER) and whether it has no expiry. */
export interface ScannedKey {
  bucket: string;
  persistent: boolean;
}

/**
 * Adds one SCAN page of `node` to the pass (keys already classified, soakwatch's own and vanished
 * keys left out); when every node is done the pass becomes `last` (completed at `now`) and the
 * next tick starts a new one.
 */
export function applyScanPage(
  state: PrefixScanState,
  node: string,
  nextCursor: string,
  page: readonly ScannedKey[],
  now: number,
): PrefixScanState {
  const pass = state.pass;
  const entry = pass?.nodes[node];
  if (!pass || !entry) throw new ConsistencyError(`no SCAN pass is running for node ${node}`);
  const counts = { ...pass.counts };
  const persistent = { ...pass.persistent };
  for (const { bucket, persistent: p } of page) {
    counts[bucket] = (counts[bucket] ?? 0) + 1;
    if (p) persistent[bucket] = (persistent[bucket] ?? 0) + 1;
  }
  const nodes = { ...pass.nodes, [node]: { cursor: nextCursor, done: nextCursor === '0' } };
  if (Object.values(nodes).every((n) => n.done)) {
    return {
      ...state,
      pass: null,
      previous: state.last,
      last: {
        startedAt: pass.startedAt,
        completedAt: now,
        counts,
        persistent,
        ...(pass.window ? { window: pass.window } : {}),
      },
    };
  }
  return { ...state, pass: { ...pass, nodes, counts, persistent } };
}

/**
 * Classifies keys read on one node and asks the node which have no expiry. Excluded keys (null
 * bucket) are not sent; keys gone before their PTTL are dropped.
 */
export async function classifyOnNode(
  node: Redis,
  keys: readonly BinKey[],
  classify: (key: BinKey) => string | null,
  opts: PersistentFlagsOptions = {},
): Promise<ScannedKey[]> {
  const kept: { key: BinKey; bucket: string }[] = [];
  for (const key of keys) {
    const bucket = classify(key);
    if (bucket !== null) kept.push({ key, bucket });
  }
  if (kept.length === 0) return [];
  const flags = await persistentFlags(
    node,
    kept.map((k) => k.key),
    opts,
  );
  const out: ScannedKey[] = [];
  kept.forEach((k, i) => {
    const flag = flags[i];
    if (flag !== 'gone') out.push({ bucket: k.bucket, persistent: flag === 'persistent' });
  });
  return out;
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
  /** From the last completed SCAN pass (count and persistent count of the same pass); null until one has completed. */
  exact: { count: number; persistent: number; completedAt: number } | null;
  /**
   * From this tick's random draws; null when no draw was made. `persistent`: the keys without
   * expiry, from the persistent share of the same draws.
   */
  estimate: (Estimate & { sampleSize: number; persistent: Estimate }) | null;
}

export interface PrefixTickResult {
  state: PrefixScanState;
  /** Prefix text (and OTHER) → counts. */
  counts: Record<string, PrefixCount>;
  /** Keys scanned this tick. */
  scanned: number;
  /** Bucket → keys (and keys without expiry) this tick's pages added to the pass. */
  counted: Record<string, { keys: number; persistent: number }>;
  /** The pass this tick scanned for completed in this tick (it is now `state.last`). */
  completed: boolean;
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
  /** Server time per expiry-script call, µs (default 2000), and where to record each call's time. */
  flags?: PersistentFlagsOptions;
  /**
   * Date.now() after which no page is read: the pass goes on at the next tick from the last page
   * applied, and a page not answered by then is read again then. Draws not made by then: no estimate.
   */
  deadline?: number;
}

export interface PrefixCounter {
  tick(state: PrefixScanState, now: number): Promise<PrefixTickResult>;
}

/** Per-bucket hits of random draws: all keys, and keys without expiry. */
export interface DrawHits {
  /** Draws that count (soakwatch's own and vanished keys left out). */
  n: number;
  hits: Record<string, number>;
  persistentHits: Record<string, number>;
}

/** Turns draw hits into per-bucket estimates over `total` keys; null per bucket without usable draws. */
export function estimateBuckets(
  buckets: readonly string[],
  draws: DrawHits,
  total: number,
): Record<string, PrefixCount['estimate']> {
  return Object.fromEntries(
    buckets.map((b) => {
      const e = estimateCount(draws.hits[b] ?? 0, draws.n, total);
      const p = estimateCount(draws.persistentHits[b] ?? 0, draws.n, total);
      return [b, e && p ? { ...e, sampleSize: draws.n, persistent: p } : null];
    }),
  );
}

/** Creates the incremental counter; the caller persists `state` between ticks (getDoc/setDoc). */
export function createPrefixCounter(opts: PrefixCounterOptions): PrefixCounter {
  if (!Number.isInteger(opts.keysPerTick) || opts.keysPerTick < 1) {
    throw new ConsistencyInputError('keysPerTick', 'must be an integer ≥ 1');
  }
  const classify = prefixClassifier(opts.prefixes, opts.exclude);
  const sampleSize = opts.sampleSize ?? 200;
  const random = opts.random ?? Math.random;
  const bucketsOf = [...new Set([...opts.prefixes, OTHER])];
  return {
    async tick(input, now) {
      const masters = mastersOf(opts.target);
      let state = ensurePass(input, masters.map(addressOf), now);
      let scanned = 0;
      let completed = false;
      const counted: Record<string, { keys: number; persistent: number }> = {};
      // A few SCAN calls per tick even on sparse nodes (SCAN may return empty pages).
      let calls = Math.ceil(opts.keysPerTick / 100) + 2 * masters.length;
      const deadline = opts.deadline ?? Number.POSITIVE_INFINITY;
      const within = <T>(p: Promise<T>, what: string) =>
        Number.isFinite(deadline) ? beforeDeadline(p, deadline, what) : p;
      scanning: for (const master of masters) {
        const node = addressOf(master);
        while (state.pass && scanned < opts.keysPerTick && calls > 0) {
          const entry = state.pass.nodes[node];
          if (!entry || entry.done) break;
          if (Date.now() >= deadline) break scanning;
          const count = Math.min(1000, opts.keysPerTick - scanned);
          let read: { cursor: string; keys: BinKey[]; page: ScannedKey[] };
          try {
            read = await within(
              (async () => {
                const [cursor, keys] = await master.scanBuffer(entry.cursor, 'COUNT', count);
                const bins = keys.map(binFromBuffer);
                return {
                  cursor: cursor.toString(),
                  keys: bins,
                  page: await classifyOnNode(master, bins, classify, opts.flags),
                };
              })(),
              `SCAN of ${node}`,
            );
          } catch (error) {
            if (error instanceof BudgetExhaustedError) break scanning;
            throw error;
          }
          calls--;
          scanned += read.keys.length;
          for (const { bucket, persistent } of read.page) {
            const c = counted[bucket] ?? { keys: 0, persistent: 0 };
            c.keys++;
            if (persistent) c.persistent++;
            counted[bucket] = c;
          }
          state = applyScanPage(state, node, read.cursor, read.page, now);
          if (!state.pass) completed = true;
        }
      }
      let estimates: Record<string, PrefixCount['estimate']> = {};
      if (sampleSize > 0 && Date.now() < deadline) {
        try {
          const { draws, total } = await within(
            drawAndClassify(opts.target, sampleSize, random, classify, opts.flags),
            'the random draws',
          );
          estimates = estimateBuckets(bucketsOf, draws, total);
        } catch (error) {
          if (!(error instanceof BudgetExhaustedError)) throw error;
        }
      }
      const counts: Record<string, PrefixCount> = {};
      for (const b of bucketsOf) {
        const last = state.last;
        counts[b] = {
          exact: last
            ? {
                count: last.counts[b] ?? 0,
                persistent: last.persistent[b] ?? 0,
                completedAt: last.completedAt,
              }
            : null,
          estimate: estimates[b] ?? null,
        };
      }
      return { state, counts, scanned, counted, completed };
    },
  };
}

/** `k` RANDOMKEY draws over the target (masters weighted by DBSIZE), classified with their expiry on their node. */
async function drawAndClassify(
  target: Target,
  k: number,
  random: () => number,
  classify: (key: BinKey) => string | null,
  flags: PersistentFlagsOptions | undefined,
): Promise<{ draws: DrawHits; total: number }> {
  const sizes = await masterSizes(target);
  const perMaster = allocateDraws(
    sizes.map((s) => s.size),
    k,
    random,
  );
  const pages = await Promise.all(
    sizes.map(async (s, i) => {
      const keys = await randomDraws(s.master, perMaster[i] ?? 0);
      // Draws are with replacement: a key drawn twice counts twice, as the estimator expects.
      return classifyOnNode(s.master, keys, classify, flags);
    }),
  );
  const draws: DrawHits = { n: 0, hits: {}, persistentHits: {} };
  for (const { bucket, persistent } of pages.flat()) {
    draws.n++;
    draws.hits[bucket] = (draws.hits[bucket] ?? 0) + 1;
    if (persistent) draws.persistentHits[bucket] = (draws.persistentHits[bucket] ?? 0) + 1;
  }
  return { draws, total: sizes.reduce((a, s) => a + s.size, 0) };
}
