import type { Redis } from 'ioredis';
import { BudgetExhaustedError } from '../../redis/errors.js';
import { beforeDeadline } from '../../redis/nodeClient.js';
import { type BinKey, binToText } from './binaryKey.js';
import { addMismatch, type ByClass, classify, emptyByClass, type MismatchClass } from './classify.js';
import { ConsistencyError } from './errors.js';
import { ABSENT, type DigestOptions, type DigestRequest, type KeyDigest, runDigest } from './runDigest.js';
import { addressOf, digestOnTarget, groupByMaster, type Target } from './targetRoute.js';

/** One key on both sides. `db` null: a target key whose prefix maps to no legacy db. */
export interface KeyPair {
  db: number | null;
  legacyKey: BinKey;
  targetKey: BinKey;
}

export interface Observation {
  legacy: KeyDigest;
  target: KeyDigest;
  /** Wall time the observation took: the two PTTL reads of a key are at most this far apart. */
  spanMs: number;
  /** Address of the target master the key was read on. */
  targetNode?: string;
}

export interface Sides {
  /** Legacy connection for a db (a replica when one is up). */
  legacy: (db: number) => Redis;
  target: Target;
  digest?: DigestOptions;
  now: () => number;
}

/** Reads type, PTTL, card and digest of every pair on both sides (legacy dbs and target masters in parallel). */
export async function observe(sides: Sides, pairs: readonly KeyPair[]): Promise<Observation[]> {
  const start = sides.now();
  const legacyOut: KeyDigest[] = pairs.map(() => ABSENT);
  const byDb = new Map<number, number[]>();
  pairs.forEach((p, i) => {
    if (p.db === null) return;
    const list = byDb.get(p.db);
    if (list) list.push(i);
    else byDb.set(p.db, [i]);
  });
  const legacyDone = Promise.all(
    [...byDb].map(async ([db, idxs]) => {
      const res = await runDigest(
        sides.legacy(db),
        idxs.map((i) => ({ key: (pairs[i] as KeyPair).legacyKey })),
        sides.digest,
      );
      idxs.forEach((i, j) => {
        legacyOut[i] = res[j] as KeyDigest;
      });
    }),
  );
  const targetNodes: string[] = [];
  const targetDone = digestOnTarget(
    sides.target,
    pairs.map((p) => ({ key: p.targetKey })),
    sides.digest,
    targetNodes,
  );
  const [, targetOut] = await Promise.all([legacyDone, targetDone]);
  // Big sets/hashes: ask the target about exactly the members legacy probed.
  const probed = pairs
    .map((_, i) => i)
    .filter((i) => {
      const l = legacyOut[i] as KeyDigest;
      return l.probes.length > 0 && (targetOut[i] as KeyDigest).type === l.type;
    });
  if (probed.length > 0) {
    const again = await digestOnTarget(
      sides.target,
      probed.map((i) => ({
        key: (pairs[i] as KeyPair).targetKey,
        probes: (legacyOut[i] as KeyDigest).probes,
      })),
      sides.digest,
    );
    probed.forEach((i, j) => {
      targetOut[i] = again[j] as KeyDigest;
    });
  }
  const spanMs = Math.max(0, sides.now() - start);
  return pairs.map((_, i) => {
    const node = targetNodes[i];
    return {
      legacy: legacyOut[i] as KeyDigest,
      target: targetOut[i] as KeyDigest,
      spanMs,
      ...(node === undefined ? {} : { targetNode: node }),
    };
  });
}

/** What `observeWithin` could read: an observation per pair (null where a side was not read), and why not. */
export interface BoundedObservations {
  observations: (Observation | null)[];
  /** The last failure or budget end that left a pair unread. */
  lastError?: string;
  /** True when the deadline ended a read (rather than a node error). */
  budgetExhausted: boolean;
}

/**
 * Like `observe`, but each legacy db and each target master is read on its own and only until
 * `deadline` (Date.now() ms): a frozen, slow or failing node leaves its pairs unread (null) and never
 * holds up the others or the sample. `legacyProbes[i]`, when given, are the members legacy digests for
 * a big set/hash of pair i (the members probed at an earlier observation, so both digests compare).
 */
export async function observeWithin(
  sides: Sides,
  pairs: readonly KeyPair[],
  deadline: number,
  legacyProbes?: readonly (readonly BinKey[] | undefined)[],
): Promise<BoundedObservations> {
  const start = sides.now();
  const out: BoundedObservations = { observations: pairs.map(() => null), budgetExhausted: false };
  const failed = (error: unknown) => {
    if (error instanceof BudgetExhaustedError) out.budgetExhausted = true;
    out.lastError = errorText(error);
  };
  const legacyOut: (KeyDigest | undefined)[] = pairs.map((p) => (p.db === null ? ABSENT : undefined));
  const byDb = new Map<number, number[]>();
  pairs.forEach((p, i) => {
    if (p.db === null) return;
    const list = byDb.get(p.db);
    if (list) list.push(i);
    else byDb.set(p.db, [i]);
  });
  const legacyDone = Promise.all(
    [...byDb].map(async ([db, idxs]) => {
      try {
        const requests = idxs.map((i): DigestRequest => {
          const probes = legacyProbes?.[i];
          return { key: (pairs[i] as KeyPair).legacyKey, ...(probes ? { probes: [...probes] } : {}) };
        });
        const res = await beforeDeadline(
          runDigest(sides.legacy(db), requests, sides.digest),
          deadline,
          `legacy db ${db}`,
        );
        idxs.forEach((i, j) => {
          legacyOut[i] = res[j];
        });
      } catch (error) {
        failed(error);
      }
    }),
  );
  const targetOut: (KeyDigest | undefined)[] = pairs.map(() => undefined);
  const targetNode: (string | undefined)[] = pairs.map(() => undefined);
  const readTarget = async (idxs: readonly number[], probesOf: (i: number) => BinKey[] | undefined) => {
    let groups: Map<Redis, number[]>;
    try {
      const local = groupByMaster(
        sides.target,
        idxs.map((i) => (pairs[i] as KeyPair).targetKey),
      );
      groups = new Map([...local].map(([m, js]) => [m, js.map((j) => idxs[j] as number)]));
    } catch (error) {
      failed(error);
      return;
    }
    await Promise.all(
      [...groups].map(async ([master, group]) => {
        try {
          const requests = group.map((i): DigestRequest => {
            const probes = probesOf(i);
            return { key: (pairs[i] as KeyPair).targetKey, ...(probes ? { probes } : {}) };
          });
          const address = addressOf(master);
          const res = await beforeDeadline(runDigest(master, requests, sides.digest), deadline, address);
          group.forEach((i, j) => {
            targetOut[i] = res[j];
            targetNode[i] = address;
          });
        } catch (error) {
          failed(error);
        }
      }),
    );
  };
  await Promise.all([
    legacyDone,
    readTarget(
      pairs.map((_, i) => i),
      () => undefined,
    ),
  ]);
  // Big sets/hashes: ask the target about exactly the members legacy probed.
  const probed = pairs
    .map((_, i) => i)
    .filter((i) => {
      const l = legacyOut[i];
      return l !== undefined && l.probes.length > 0 && targetOut[i]?.type === l.type;
    });
  if (probed.length > 0) {
    for (const i of probed) targetOut[i] = undefined;
    await readTarget(probed, (i) => legacyOut[i]?.probes);
  }
  const spanMs = Math.max(0, sides.now() - start);
  pairs.forEach((_, i) => {
    const legacy = legacyOut[i];
    const target = targetOut[i];
    const node = targetNode[i];
    if (legacy && target)
      out.observations[i] = { legacy, target, spanMs, ...(node === undefined ? {} : { targetNode: node }) };
  });
  return out;
}

export interface RecheckOptions {
  ttlToleranceMs: number;
  /** Delay before each re-check round (at least the CDC lag). */
  recheckDelayMs: number;
  /** Re-check rounds after the first comparison; a mismatch counts only if it survives all. */
  rounds: number;
  sleep: (ms: number) => Promise<void>;
  maxExamples?: number;
  /** Pairs per observation (default 1000); bounds the PTTL read gap added to the tolerance. */
  chunk?: number;
}

export interface CompareOutcome {
  /** Keys compared (first round). */
  checked: number;
  byClass: ByClass;
  mismatches: number;
  /** Mismatches dropped because the key changed type or vanished on legacy between rounds. */
  unstable: number;
  /** Keys that could not be read (node errors); not counted as checked. */
  unverified: number;
  lastError?: string;
}

export function displayKey(pair: KeyPair): string {
  return pair.db === null
    ? `[target] ${binToText(pair.targetKey)}`
    : `[db${pair.db}] ${binToText(pair.legacyKey)}`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** A key that differed in one round, with the legacy type seen then (to spot source changes). */
export interface Suspect {
  pair: KeyPair;
  cls: MismatchClass;
  legacyType: string;
}

/** Observes and classifies pairs: the suspects, and the pairs that could not be read. */
async function suspects(
  sides: Sides,
  pairs: readonly KeyPair[],
  opts: RecheckOptions,
  outcome: CompareOutcome,
  previous?: Map<KeyPair, string>,
  observed?: (pairs: readonly KeyPair[], obs: readonly Observation[]) => void,
): Promise<{ found: Map<KeyPair, Suspect>; failed: KeyPair[] }> {
  const found = new Map<KeyPair, Suspect>();
  const failed: KeyPair[] = [];
  const chunk = opts.chunk ?? 1000;
  const parts: KeyPair[][] = [];
  for (let i = 0; i < pairs.length; i += chunk) parts.push(pairs.slice(i, i + chunk));
  // Two chunks in flight: one is digested while the other's replies are parsed and classified.
  // Per node that is at most two script calls queued back to back.
  let next = 0;
  const settled: { part: KeyPair[]; obs: Observation[] | null }[] = [];
  const worker = async () => {
    while (next < parts.length) {
      const part = parts[next++] as KeyPair[];
      try {
        settled.push({ part, obs: await observe(sides, part) });
      } catch (error) {
        outcome.lastError = errorText(error);
        settled.push({ part, obs: null });
      }
    }
  };
  await Promise.all([worker(), worker()]);
  for (const { part, obs } of settled) {
    if (!obs) {
      failed.push(...part);
      continue;
    }
    if (!previous) outcome.checked += part.length;
    observed?.(part, obs);
    part.forEach((pair, j) => {
      const o = obs[j] as Observation;
      const before = previous?.get(pair);
      if (before !== undefined && before !== o.legacy.type) {
        // The source itself changed (type change, delete, create): not a replication fault.
        outcome.unstable++;
        return;
      }
      const cls = classify(o.legacy, o.target, opts.ttlToleranceMs + o.spanMs);
      if (cls) found.set(pair, { pair, cls, legacyType: o.legacy.type });
    });
  }
  return { found, failed };
}

export function emptyOutcome(): CompareOutcome {
  return { checked: 0, byClass: emptyByClass(), mismatches: 0, unstable: 0, unverified: 0 };
}

/**
 * First round only: counts checked/unverified into `outcome` and returns the suspects. `observed`
 * sees every chunk that could be read.
 */
export async function findSuspects(
  sides: Sides,
  pairs: readonly KeyPair[],
  opts: RecheckOptions,
  outcome: CompareOutcome,
  observed?: (pairs: readonly KeyPair[], obs: readonly Observation[]) => void,
): Promise<Suspect[]> {
  const first = await suspects(sides, pairs, opts, outcome, undefined, observed);
  outcome.unverified += first.failed.length;
  return [...first.found.values()];
}

/**
 * Re-checks suspects after `recheckDelayMs`, up to `rounds` rounds; what still differs in the last
 * round is counted into `outcome`, with its last class.
 */
export async function confirmSuspects(
  sides: Sides,
  found: readonly Suspect[],
  opts: RecheckOptions,
  outcome: CompareOutcome,
): Promise<void> {
  let current = new Map(found.map((s) => [s.pair, s]));
  for (let round = 0; round < opts.rounds && current.size > 0; round++) {
    await opts.sleep(opts.recheckDelayMs);
    const previous = new Map([...current].map(([p, s]) => [p, s.legacyType]));
    const next = await suspects(sides, [...current.keys()], opts, outcome, previous);
    // A re-check that could not be read keeps its previous verdict rather than clearing it.
    for (const p of next.failed) {
      const s = current.get(p);
      if (s) next.found.set(p, s);
    }
    current = next.found;
  }
  for (const [pair, s] of current) addMismatch(outcome.byClass, s.cls, displayKey(pair), opts.maxExamples);
  outcome.mismatches += current.size;
}

/**
 * Compares pairs, then re-checks the mismatches after `recheckDelayMs` for up to `rounds` rounds;
 * what still differs in the last round is counted, with its last class.
 */
export async function compareWithRechecks(
  sides: Sides,
  pairs: readonly KeyPair[],
  opts: RecheckOptions,
): Promise<CompareOutcome> {
  const outcome = emptyOutcome();
  const found = await findSuspects(sides, pairs, opts, outcome);
  await confirmSuspects(sides, found, opts, outcome);
  if (outcome.checked === 0 && outcome.unverified > 0) {
    throw new ConsistencyError(`no key could be compared: ${outcome.lastError ?? 'unknown error'}`);
  }
  return outcome;
}
