import type { Redis } from 'ioredis';
import * as z from 'zod';
import { type BinKey, binFromBuffer, binToText } from './binaryKey.js';
import type { ByClass } from './classify.js';
import { ConsistencyInputError } from './errors.js';
import { keyMapper } from './keyMap.js';
import {
  type CompareOutcome,
  confirmSuspects,
  emptyOutcome,
  findSuspects,
  type KeyPair,
  type Observation,
  type RecheckOptions,
  type Sides,
  type Suspect,
} from './observe.js';
import type { CompareProgress } from './progress.js';
import { type DigestOptions, runDigest } from './runDigest.js';
import { addressOf, mastersOf, type Target } from './targetRoute.js';

const classSchema = z.enum(['missing', 'extra', 'type', 'ttl', 'value']);
const byClassSchema = z.record(classSchema, z.object({ count: z.number(), examples: z.array(z.string()) }));
const pairSchema = z.object({ db: z.number().nullable(), legacyKey: z.string(), targetKey: z.string() });

/** Where a full compare stands; JSON-safe (keys as latin1 binary strings), pass it back to resume. */
export const fullCompareCursorSchema = z.object({
  version: z.literal(1),
  /** legacy: SCAN of the legacy dbs (missing/type/ttl/value); target: SCAN of the target masters (extra). */
  phase: z.enum(['legacy', 'target', 'done']),
  /** legacy phase: index into `dbs`, and the SCAN cursor in that db. */
  index: z.number().int().nonnegative(),
  scan: z.string().regex(/^\d+$/),
  /** target phase: SCAN cursor per master address (`done` when finished). */
  targets: z.record(z.string(), z.string().regex(/^(\d+|done)$/)),
  scanned: z.number().int().nonnegative(),
  checked: z.number().int().nonnegative(),
  mismatches: z.number().int().nonnegative(),
  unstable: z.number().int().nonnegative(),
  unverified: z.number().int().nonnegative(),
  byClass: byClassSchema,
  /** First-round mismatches waiting for their re-checks. */
  pending: z.array(z.object({ pair: pairSchema, cls: classSchema, legacyType: z.string() })),
});
export type FullCompareCursor = z.infer<typeof fullCompareCursorSchema>;

export interface FullCompareOptions {
  /** Legacy connection per db; use a replica. */
  legacy: (db: number) => Redis;
  target: Target;
  dbMap: Readonly<Record<string, string>>;
  /** Legacy dbs to compare; default every db of the map. */
  dbs?: readonly number[];
  /** Rate limit over both phases; default unlimited. */
  keysPerSecond?: number;
  /** A cursor returned by an earlier, interrupted run. */
  cursor?: FullCompareCursor;
  onProgress?: (p: CompareProgress) => void;
  signal?: AbortSignal;
  ttlToleranceMs?: number;
  recheckDelayMs?: number;
  rounds?: number;
  /** Suspects re-checked together once this many are pending (and at the end of each phase). */
  recheckBatch?: number;
  /** SCAN COUNT. Default 1000. */
  scanCount?: number;
  /** Keys gathered from SCAN pages before they are compared together. Default 4000. */
  groupKeys?: number;
  exclude?: (key: string) => boolean;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  maxExamples?: number;
  digest?: DigestOptions;
  /**
   * Skip the extra-key SCAN of a target master whose key count equals the keys the legacy phase
   * found on it (default true). Only when the compare looked quiet: the legacy phase ran whole in
   * this run, each legacy db's DBSIZE did not change and equals the keys SCAN returned, and the
   * master's DBSIZE did not change since the start. Otherwise every master is scanned.
   */
  countShortcut?: boolean;
}

export interface FullCompareResult {
  /** False when stopped by the signal: resume with `cursor`. */
  done: boolean;
  cursor: FullCompareCursor;
  scanned: number;
  checked: number;
  mismatches: number;
  byClass: ByClass;
  unstable: number;
  unverified: number;
  durationMs: number;
  /** Wall time of each phase in this run (ms). */
  phaseMs: { legacy: number; target: number };
  /** Target masters whose extra-key SCAN was skipped because their key count matched (see countShortcut). */
  targetSkipped: string[];
}

/** Sleeps `ms`, or less when `signal` aborts (a rate-limit pause must not delay Ctrl-C). */
function sleepUnlessAborted(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export function newFullCompareCursor(): FullCompareCursor {
  const o = emptyOutcome();
  return {
    version: 1,
    phase: 'legacy',
    index: 0,
    scan: '0',
    targets: {},
    scanned: 0,
    checked: 0,
    mismatches: 0,
    unstable: 0,
    unverified: 0,
    byClass: o.byClass,
    pending: [],
  };
}

/**
 * Compares every key: SCAN of each legacy db (a replica) with the pipelined Lua compare, then a
 * SCAN of the target masters for keys legacy lacks. Rate-limited, resumable from its cursor;
 * mismatches are re-checked (in groups) before they count.
 */
export async function fullCompare(opts: FullCompareOptions): Promise<FullCompareResult> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => sleepUnlessAborted(ms, opts.signal));
  const started = now();
  const map = keyMapper(opts.dbMap);
  const dbs = [...(opts.dbs ?? map.dbs)];
  for (const db of dbs) {
    if (map.prefixOf(db) === undefined)
      throw new ConsistencyInputError('dbs', `db ${db} is not in the dbMap`);
  }
  if (opts.keysPerSecond !== undefined && !(opts.keysPerSecond > 0)) {
    throw new ConsistencyInputError('keysPerSecond', 'must be a number > 0');
  }
  let cursor: FullCompareCursor = opts.cursor
    ? (() => {
        const parsed = fullCompareCursorSchema.safeParse(opts.cursor);
        if (!parsed.success) throw new ConsistencyInputError('cursor', 'is not a full-compare cursor');
        return structuredClone(parsed.data);
      })()
    : newFullCompareCursor();
  const userExclude = opts.exclude;
  // Decoding every key for the callback costs time on millions of keys: only when there is one.
  const excluded = userExclude ? (k: BinKey) => userExclude(binToText(k)) : () => false;
  const wanted = new Set(dbs);
  const sides: Sides = {
    legacy: opts.legacy,
    target: opts.target,
    now,
    ...(opts.digest ? { digest: opts.digest } : {}),
  };
  const recheck: RecheckOptions = {
    ttlToleranceMs: opts.ttlToleranceMs ?? 1000,
    recheckDelayMs: opts.recheckDelayMs ?? 1000,
    rounds: opts.rounds ?? 3,
    sleep,
    ...(opts.maxExamples !== undefined ? { maxExamples: opts.maxExamples } : {}),
  };
  const scanCount = opts.scanCount ?? 1000;
  const recheckBatch = opts.recheckBatch ?? 5000;
  const masters = [...mastersOf(opts.target)].sort((a, b) => addressOf(a).localeCompare(addressOf(b)));

  // Progress: totals from DBSIZE at start (keys come and go during a compare: an estimate).
  const legacySizes = await Promise.all(dbs.map((db) => opts.legacy(db).dbsize()));
  const targetSizes = await Promise.all(masters.map((m) => m.dbsize()));
  let total = [...legacySizes, ...targetSizes].reduce((a, b) => a + b, 0);
  const scannedAtStart = cursor.scanned;

  const outcome = (): CompareOutcome => ({
    checked: cursor.checked,
    mismatches: cursor.mismatches,
    unstable: cursor.unstable,
    unverified: cursor.unverified,
    byClass: cursor.byClass,
  });
  const absorb = (o: CompareOutcome) => {
    cursor.checked = o.checked;
    cursor.mismatches = o.mismatches;
    cursor.unstable = o.unstable;
    cursor.unverified = o.unverified;
    cursor.byClass = o.byClass;
  };
  const progress = () => {
    if (!opts.onProgress) return;
    const elapsed = now() - started;
    const done = cursor.scanned - scannedAtStart;
    const rate = elapsed > 0 && done > 0 ? done / elapsed : null;
    opts.onProgress({
      scanned: cursor.scanned,
      total,
      mismatches: cursor.mismatches,
      etaMs: rate === null ? null : Math.max(0, total - cursor.scanned) / rate,
    });
  };
  const throttle = async () => {
    if (opts.keysPerSecond === undefined) return;
    const due = started + ((cursor.scanned - scannedAtStart) / opts.keysPerSecond) * 1000;
    const wait = due - now();
    if (wait > 0) await sleep(wait);
  };
  const flushPending = async (force: boolean) => {
    if (cursor.pending.length === 0 || (!force && cursor.pending.length < recheckBatch)) return;
    const o = outcome();
    await confirmSuspects(sides, cursor.pending as Suspect[], recheck, o);
    absorb(o);
    cursor.pending = [];
  };
  const result = (done: boolean): FullCompareResult => ({
    done,
    cursor,
    scanned: cursor.scanned,
    checked: cursor.checked,
    mismatches: cursor.mismatches,
    byClass: cursor.byClass,
    unstable: cursor.unstable,
    unverified: cursor.unverified,
    durationMs: now() - started,
    phaseMs: { legacy: legacyMs, target: targetMs },
    targetSkipped,
  });

  const groupKeys = opts.groupKeys ?? 4000;
  /** SCAN pages gathered into groups of about `groupKeys`; `from` is where the group started. */
  async function* groups(
    client: Redis,
    start: string,
  ): AsyncGenerator<{ from: string; next: string; keys: BinKey[] }> {
    let from = start;
    let at = start;
    let keys: BinKey[] = [];
    do {
      const [next, page] = await client.scanBuffer(at, 'COUNT', scanCount);
      for (const k of page) keys.push(binFromBuffer(k));
      at = next.toString();
      if (keys.length >= groupKeys || at === '0') {
        yield { from, next: at, keys };
        from = at;
        keys = [];
      }
    } while (at !== '0');
  }
  /** Iterates groups while the next one is already being scanned. */
  async function* prefetched<T>(gen: AsyncGenerator<T>): AsyncGenerator<T> {
    let pending = gen.next();
    for (;;) {
      const r = await pending;
      if (r.done) return;
      pending = gen.next();
      yield r.value;
    }
  }

  let legacyMs = 0;
  let targetMs = 0;
  const targetSkipped: string[] = [];
  // For the count shortcut: target keys the legacy phase found, per master, and legacy keys scanned per db.
  const wholeLegacyRun =
    (opts.countShortcut ?? true) && cursor.phase === 'legacy' && cursor.index === 0 && cursor.scan === '0';
  const foundOn = new Map<string, number>();
  const scannedIn = new Map<number, number>();
  const countFound = (pairs: readonly KeyPair[], obs: readonly Observation[]) => {
    obs.forEach((o, i) => {
      if (o.target.type === 'none' || o.targetNode === undefined) return;
      // With nested prefixes ("" and "impact:") two legacy keys can name one target key: count it
      // only for the db it maps back to, so no target key is counted twice.
      const pair = pairs[i];
      if (!pair || map.toLegacy(pair.targetKey)?.db !== pair.db) return;
      foundOn.set(o.targetNode, (foundOn.get(o.targetNode) ?? 0) + 1);
    });
  };
  const legacyStart = now();
  // Legacy phase: every key of every db compared on both sides.
  while (cursor.phase === 'legacy') {
    const db = dbs[cursor.index];
    if (db === undefined) {
      await flushPending(true);
      const targets = Object.fromEntries(masters.map((m) => [addressOf(m), '0']));
      cursor = { ...cursor, phase: 'target', index: 0, scan: '0', targets };
      break;
    }
    for await (const group of prefetched(groups(opts.legacy(db), cursor.scan))) {
      if (opts.signal?.aborted) {
        legacyMs = now() - legacyStart;
        return result(false);
      }
      const pairs: KeyPair[] = group.keys
        .filter((k) => !excluded(k))
        .map((k) => ({ db, legacyKey: k, targetKey: map.toTarget(db, k) }));
      const o = outcome();
      const found = await findSuspects(sides, pairs, recheck, o, wholeLegacyRun ? countFound : undefined);
      absorb(o);
      cursor.pending.push(...found);
      cursor.scanned += group.keys.length;
      scannedIn.set(db, (scannedIn.get(db) ?? 0) + group.keys.length);
      cursor.scan = group.next;
      await flushPending(false);
      progress();
      await throttle();
    }
    cursor = { ...cursor, index: cursor.index + 1, scan: '0' };
  }
  legacyMs = now() - legacyStart;
  const targetStart = now();

  // Target phase: keys on the target that legacy lacks (extra), masters in parallel, existence on
  // legacy checked first (type-only digest); the absent ones become extra suspects.
  if (cursor.phase === 'target') {
    if (wholeLegacyRun) {
      for (const address of await mastersWithoutExtras({
        legacySizes: dbs.map((db, i) => ({ db, before: legacySizes[i] ?? -1 })),
        legacy: opts.legacy,
        scannedIn,
        masters: masters.map((m, i) => ({ master: m, before: targetSizes[i] ?? -1 })),
        foundOn,
      })) {
        cursor.targets[address] = 'done';
        targetSkipped.push(address);
        // Not scanned: out of the progress total, so the bar still ends at 100 %.
        total -= targetSizes[masters.findIndex((m) => addressOf(m) === address)] ?? 0;
      }
    }
    let aborted = false;
    const scanMaster = async (master: Redis) => {
      const address = addressOf(master);
      const start = cursor.targets[address];
      if (start === undefined)
        throw new ConsistencyInputError('cursor', `master ${address} is not in the cursor`);
      if (start === 'done') return;
      for await (const group of prefetched(groups(master, start))) {
        if (opts.signal?.aborted) {
          aborted = true;
          return;
        }
        const pairs: KeyPair[] = [];
        for (const tk of group.keys) {
          if (excluded(tk)) continue;
          const back = map.toLegacy(tk);
          if (back && (!wanted.has(back.db) || excluded(back.key))) continue;
          pairs.push(
            back
              ? { db: back.db, legacyKey: back.key, targetKey: tk }
              : { db: null, legacyKey: tk, targetKey: tk },
          );
        }
        const absent = await absentOnLegacy(opts.legacy, pairs, opts.digest);
        cursor.pending.push(...absent.map((pair): Suspect => ({ pair, cls: 'extra', legacyType: 'none' })));
        cursor.scanned += group.keys.length;
        cursor.targets[address] = group.next === '0' ? 'done' : group.next;
        progress();
        await throttle();
      }
      cursor.targets[address] = 'done';
    };
    if (Object.keys(cursor.targets).length !== masters.length) {
      throw new ConsistencyInputError('cursor', 'the target masters changed since the cursor was saved');
    }
    await Promise.all(masters.map(scanMaster));
    if (aborted) {
      targetMs = now() - targetStart;
      return result(false);
    }
    await flushPending(true);
    cursor = { ...cursor, phase: 'done' };
  }
  targetMs = now() - targetStart;
  progress();
  return result(true);
}

/**
 * The target masters that cannot hold extra keys, judged by counts: none when a legacy db changed
 * size or SCAN returned another number of keys than DBSIZE (churn, rehash duplicates); else each
 * master whose DBSIZE is unchanged and equals the keys of the legacy phase found on it.
 */
async function mastersWithoutExtras(input: {
  legacySizes: { db: number; before: number }[];
  legacy: (db: number) => Redis;
  scannedIn: ReadonlyMap<number, number>;
  masters: { master: Redis; before: number }[];
  foundOn: ReadonlyMap<string, number>;
}): Promise<string[]> {
  const legacyAfter = await Promise.all(input.legacySizes.map(({ db }) => input.legacy(db).dbsize()));
  const quiet = input.legacySizes.every(
    ({ db, before }, i) => before === legacyAfter[i] && before === (input.scannedIn.get(db) ?? 0),
  );
  if (!quiet) return [];
  const targetAfter = await Promise.all(input.masters.map(({ master }) => master.dbsize()));
  return input.masters.flatMap(({ master, before }, i) => {
    const address = addressOf(master);
    return before === targetAfter[i] && before === (input.foundOn.get(address) ?? 0) ? [address] : [];
  });
}

/** The pairs whose legacy key does not exist (type-only digest, grouped per db). */
async function absentOnLegacy(
  legacy: (db: number) => Redis,
  pairs: readonly KeyPair[],
  digest: DigestOptions | undefined,
): Promise<KeyPair[]> {
  const byDb = new Map<number, KeyPair[]>();
  const out: KeyPair[] = [];
  for (const p of pairs) {
    if (p.db === null) {
      out.push(p);
      continue;
    }
    const list = byDb.get(p.db);
    if (list) list.push(p);
    else byDb.set(p.db, [p]);
  }
  await Promise.all(
    [...byDb].map(async ([db, list]) => {
      const res = await runDigest(
        legacy(db),
        list.map((p) => ({ key: p.legacyKey })),
        { ...digest, mode: 'type' },
      );
      list.forEach((p, i) => {
        if (res[i]?.type === 'none') out.push(p);
      });
    }),
  );
  return out;
}
