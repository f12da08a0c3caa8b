import type { Redis } from 'ioredis';
import { type BinKey, binToText } from './binaryKey.js';
import type { ByClass } from './classify.js';
import { ConsistencyInputError } from './errors.js';
import { keyMapper } from './keyMap.js';
import { compareWithRechecks, type KeyPair } from './observe.js';
import { randomKeysOf, randomTargetKeys } from './randomKeys.js';
import type { DigestOptions } from './runDigest.js';
import type { Target } from './targetRoute.js';

export interface SpotCheckOptions {
  /** Legacy connection for a db; prefer a replica. */
  legacy: (db: number) => Redis;
  target: Target;
  /** Legacy db → target key prefix. */
  dbMap: Readonly<Record<string, string>>;
  /** Legacy dbs to sample (each must be in `dbMap`). */
  dbs: readonly number[];
  /** Random keys per legacy db. */
  keysPerDb: number;
  /** Random target keys checked back on legacy (extra keys). Default keysPerDb × dbs. */
  targetKeys?: number;
  /** TTL tolerance; at least the measured CDC lag. The PTTL read gap is added on top. */
  ttlToleranceMs: number;
  /** Delay before each re-check (at least the CDC lag). */
  recheckDelayMs: number;
  /** Re-check rounds before a mismatch counts. */
  rounds: number;
  /** Measured CDC lag (heartbeat): TTL tolerance and re-check delay are raised to at least this. */
  cdcLagMs?: number | null;
  sleep?: (ms: number) => Promise<void>;
  /** soakwatch's own keys (heartbeat…), by key name on either side. */
  exclude?: (key: string) => boolean;
  now?: () => number;
  random?: () => number;
  maxExamples?: number;
  digest?: DigestOptions;
}

export interface SpotCheckResult {
  checked: number;
  mismatches: number;
  byClass: ByClass;
  /** Mismatches dropped because the key changed type or vanished on legacy between rounds. */
  unstable: number;
  /** Sampled keys that could not be read (node errors). */
  unverified: number;
  durationMs: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function checkCount(field: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) throw new ConsistencyInputError(field, 'must be a number ≥ 0');
}

/**
 * K random keys per legacy db plus K random target keys, compared on both sides (type, TTL,
 * server-side value digest); mismatches re-checked before they count.
 */
export async function spotCheck(opts: SpotCheckOptions): Promise<SpotCheckResult> {
  const now = opts.now ?? Date.now;
  const start = now();
  checkCount('keysPerDb', opts.keysPerDb);
  checkCount('ttlToleranceMs', opts.ttlToleranceMs);
  checkCount('recheckDelayMs', opts.recheckDelayMs);
  checkCount('rounds', opts.rounds);
  const map = keyMapper(opts.dbMap);
  for (const db of opts.dbs) {
    if (map.prefixOf(db) === undefined)
      throw new ConsistencyInputError('dbs', `db ${db} is not in the dbMap`);
  }
  const exclude = opts.exclude ?? (() => false);
  const excluded = (k: BinKey) => exclude(binToText(k));

  const legacyPairs = await Promise.all(
    opts.dbs.map(async (db) => {
      const keys = await randomKeysOf(opts.legacy(db), opts.keysPerDb);
      return keys
        .filter((k) => !excluded(k))
        .map((k): KeyPair => ({ db, legacyKey: k, targetKey: map.toTarget(db, k) }));
    }),
  );
  const pairs = legacyPairs.flat();
  const seen = new Set(pairs.map((p) => p.targetKey));
  const targetKeys = await randomTargetKeys(
    opts.target,
    opts.targetKeys ?? opts.keysPerDb * opts.dbs.length,
    opts.random ?? Math.random,
  );
  for (const tk of targetKeys) {
    if (seen.has(tk) || excluded(tk)) continue;
    seen.add(tk);
    const back = map.toLegacy(tk);
    if (back && excluded(back.key)) continue;
    // A target key of a db not sampled this time is still checked: its db is in the map.
    pairs.push(
      back ? { db: back.db, legacyKey: back.key, targetKey: tk } : { db: null, legacyKey: tk, targetKey: tk },
    );
  }

  const lag = opts.cdcLagMs ?? 0;
  const outcome = await compareWithRechecks(
    { legacy: opts.legacy, target: opts.target, now, ...(opts.digest ? { digest: opts.digest } : {}) },
    pairs,
    {
      ttlToleranceMs: Math.max(opts.ttlToleranceMs, lag),
      recheckDelayMs: Math.max(opts.recheckDelayMs, lag),
      rounds: opts.rounds,
      sleep: opts.sleep ?? defaultSleep,
      ...(opts.maxExamples !== undefined ? { maxExamples: opts.maxExamples } : {}),
    },
  );
  return {
    checked: outcome.checked,
    mismatches: outcome.mismatches,
    byClass: outcome.byClass,
    unstable: outcome.unstable,
    unverified: outcome.unverified,
    durationMs: now() - start,
  };
}
