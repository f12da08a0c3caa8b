import type { Redis } from 'ioredis';
import { type MismatchDescriptor, type MismatchSummary, summarizeMismatches } from '../../metrics/index.js';
import { BudgetExhaustedError } from '../../redis/errors.js';
import { beforeDeadline } from '../../redis/nodeClient.js';
import { type BinKey, binToText } from './binaryKey.js';
import { addMismatch, type ByClass, classify, emptyByClass } from './classify.js';
import { describeMismatch } from './descriptor.js';
import { ConsistencyInputError } from './errors.js';
import { type KeyMapper, keyMapper } from './keyMap.js';
import {
  type BoundedObservations,
  compareWithRechecks,
  displayKey,
  type KeyPair,
  observeWithin,
  type Sides,
} from './observe.js';
import { allocateDraws, randomDraws, randomKeysOf, randomTargetKeys } from './randomKeys.js';
import type { DigestOptions } from './runDigest.js';
import {
  judgeRecheck,
  MAX_SUSPECT_AGE_MS,
  newSuspect,
  pairOf,
  probesOf,
  type SpotCheckState,
  type StoredSuspect,
} from './suspects.js';
import { addressOf, mastersOf, type Target } from './targetRoute.js';

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

export interface SpotCheckTickOptions {
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
  /** Least TTL tolerance; raised to the measured CDC lag. The look's read span is added on top. */
  ttlToleranceMs: number;
  /** Suspects found at earlier ticks (see suspects.ts). */
  state: SpotCheckState;
  /** Suspects kept for a later tick at most (default max(1000, 2 × keys drawn per tick)). */
  maxSuspects?: number;
  /** soakwatch's own keys (heartbeat…), by key name on either side. */
  exclude?: (key: string) => boolean;
  /** The sampler's clock. */
  now: () => number;
  random?: () => number;
  maxExamples?: number;
  digest?: DigestOptions;
}

/** What the heartbeat says about the CDC, for the TTL tolerance and for which suspects can be judged. */
export interface CdcProgress {
  /** Measured CDC lag (a censored lag's lower bound); null when unknown. The TTL tolerance is raised to it. */
  lagMs: number | null;
  /**
   * The sampler's time up to which legacy's writes have reached the target: when the newest heartbeat
   * the target shows was written. A suspect is judged only when this is after its last look (the CDC
   * has since applied what was in flight then); null: the target shows none (nothing is judged).
   * Undefined when there is no heartbeat: every suspect of an earlier tick is judged (the interval is
   * the delay).
   */
  appliedUpTo?: number | null;
}

/**
 * One tick of the spot-check. The Wilson bound of the judge sums `checked` and `mismatches` over the
 * samples, so both count only keys whose verdict this tick settled, and `mismatches` ⊆ `checked`.
 */
export interface SpotCheckTickResult {
  /**
   * Keys settled this tick: drawn this tick and equal on both sides at the first look, plus suspects
   * of earlier ticks re-checked this tick that now agree (cleared) or are confirmed. Suspects still
   * pending, dropped as unstable, and keys that could not be read are not counted.
   */
  checked: number;
  /** Suspects of earlier ticks confirmed this tick (a subset of `checked`), by class in `byClass`. */
  mismatches: number;
  byClass: ByClass;
  /**
   * The confirmed mismatches by db, key pattern, type, TTL class and kind (no key names), when there
   * were some: what the sample carries on to the judge and on-call.
   */
  summary?: MismatchSummary;
  /** Keys drawn and looked at this tick (both sides read). */
  sampled: number;
  /** Of those, the ones that differed: new suspects, judged at a later tick. */
  suspected: number;
  /** Suspects of earlier ticks re-checked this tick. */
  rechecked: number;
  /** Of those, the ones that agree now: the difference was a write in flight. */
  cleared: number;
  /** Suspects carried to a later tick (new ones, in-flux ones, and those not yet due or not read). */
  pending: number;
  /** Suspects dropped because a side changed at every re-check (hot keys): never a mismatch. */
  unstable: number;
  /** Suspects dropped unjudged: older than MAX_SUSPECT_AGE_MS, or beyond `maxSuspects`. */
  abandoned: number;
  /** Keys drawn, or suspects due, that could not be read (node errors, or the budget ended). */
  unverified: number;
  /** True when the budget ended part of the work (the rest was not counted). */
  budgetExhausted: boolean;
  /** Why a read failed, when one did. */
  lastError?: string;
  /** Time spent drawing, looking and re-checking (not the heartbeat between the looks and the re-checks). */
  durationMs: number;
}

/** A promise's value, or `fallback` when it fails or the deadline passes first. */
async function settle<T>(
  p: Promise<T>,
  deadline: number,
  what: string,
  fallback: T,
  failed: (e: unknown) => void,
): Promise<T> {
  try {
    return await beforeDeadline(p, deadline, what);
  } catch (error) {
    failed(error);
    return fallback;
  }
}

/**
 * One tick of the spot-check, never waiting inside the tick. `lookAtNewKeys` compares K random keys
 * per legacy db plus K random target keys; those that differ become suspects for a later tick.
 * `recheckSuspects` judges the suspects of earlier ticks that the CDC has caught up with (confirmed,
 * cleared, in flux, unstable: see suspects.ts). Every read ends by its deadline; what is not read by
 * then is not counted. The sampler looks at new keys before it writes the heartbeat, so a heartbeat
 * seen at the next tick proves the CDC applied what was in flight at those looks.
 */
export class SpotCheckTick {
  private readonly start: number;
  private readonly replay: boolean;
  private readonly map: KeyMapper;
  private readonly sides: Sides;
  private readonly maxSuspects: number;
  private readonly r: SpotCheckTickResult;
  /** Suspects of earlier ticks still to be judged, and those carried on. */
  private earlier: StoredSuspect[];
  private readonly carried: StoredSuspect[] = [];
  private readonly fresh: StoredSuspect[] = [];
  private readonly confirmed: MismatchDescriptor[] = [];

  constructor(private readonly opts: SpotCheckTickOptions) {
    checkCount('keysPerDb', opts.keysPerDb);
    checkCount('ttlToleranceMs', opts.ttlToleranceMs);
    this.map = keyMapper(opts.dbMap);
    for (const db of opts.dbs) {
      if (this.map.prefixOf(db) === undefined)
        throw new ConsistencyInputError('dbs', `db ${db} is not in the dbMap`);
    }
    this.start = opts.now();
    const drawn = opts.keysPerDb * opts.dbs.length + this.targetDraws();
    this.maxSuspects = opts.maxSuspects ?? Math.max(1000, 2 * drawn);
    this.sides = {
      legacy: opts.legacy,
      target: opts.target,
      now: opts.now,
      ...(opts.digest ? { digest: opts.digest } : {}),
    };
    this.r = {
      checked: 0,
      mismatches: 0,
      byClass: emptyByClass(),
      sampled: 0,
      suspected: 0,
      rechecked: 0,
      cleared: 0,
      pending: 0,
      unstable: 0,
      abandoned: 0,
      unverified: 0,
      budgetExhausted: false,
      durationMs: 0,
    };
    // A tick not after the one that saved the suspects (a re-delivered tick) judges none: its verdicts
    // could be dropped with its sample.
    this.replay = opts.state.lastAt !== null && this.start <= opts.state.lastAt;
    this.earlier = [];
    for (const s of opts.state.suspects) {
      if (!this.replay && this.start - s.firstAt > MAX_SUSPECT_AGE_MS) this.r.abandoned++;
      else this.earlier.push(s);
    }
  }

  private targetDraws(): number {
    return this.opts.targetKeys ?? this.opts.keysPerDb * this.opts.dbs.length;
  }

  /** The highest CDC lag told so far (the stored state's and this tick's): see `classify`. */
  private lagPeakMs = 0;

  /** Remembers a measured CDC lag; returns the highest so far, the slack of a TTL ending later on the target. */
  private noteLag(lagMs: number | null | undefined): number {
    this.lagPeakMs = Math.max(this.lagPeakMs, this.opts.state.lagPeakMs ?? 0, lagMs ?? 0);
    return this.lagPeakMs;
  }

  private readonly failed = (error: unknown): void => {
    if (error instanceof BudgetExhaustedError) this.r.budgetExhausted = true;
    this.r.lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  };

  private excluded(key: BinKey): boolean {
    return this.opts.exclude ? this.opts.exclude(binToText(key)) : false;
  }

  private noteLook(looked: BoundedObservations): void {
    if (looked.budgetExhausted) this.r.budgetExhausted = true;
    if (looked.lastError) this.r.lastError = looked.lastError;
  }

  /** Draws and compares new keys until `deadline`; `cdcLagMs` raises the TTL tolerance. */
  async lookAtNewKeys(deadline: number, cdcLagMs: number | null): Promise<void> {
    const started = this.opts.now();
    try {
      await this.look(deadline, cdcLagMs);
    } finally {
      this.r.durationMs += this.opts.now() - started;
    }
  }

  /** Judges, until `deadline`, the suspects of earlier ticks that the CDC has caught up with. */
  async recheckSuspects(deadline: number, cdc: CdcProgress): Promise<void> {
    const started = this.opts.now();
    try {
      await this.recheck(deadline, cdc);
    } finally {
      this.r.durationMs += this.opts.now() - started;
    }
  }

  private async look(deadline: number, cdcLagMs: number | null): Promise<void> {
    const { opts, map, r } = this;
    const tolerance = Math.max(opts.ttlToleranceMs, cdcLagMs ?? 0);
    const laterSlack = this.noteLag(cdcLagMs);
    // A key that is already a suspect is judged by its re-check, not looked at twice.
    const known = new Set(this.earlier.map((s) => s.targetKey));
    const pairs: KeyPair[] = [];
    // Draws on every node at once, and for at most half of the time: a slow node's draws must not
    // leave no time to compare the keys the others gave.
    const drawEnd = Date.now() + Math.max(0, deadline - Date.now()) / 2;
    const draws = this.targetDraws();
    const [legacyKeys, targetKeys] = await Promise.all([
      Promise.all(
        opts.dbs.map(async (db) => {
          const keys = await settle(
            randomKeysOf(opts.legacy(db), opts.keysPerDb),
            drawEnd,
            `legacy db ${db}`,
            [],
            this.failed,
          );
          return keys
            .filter((k) => !this.excluded(k))
            .map((k): KeyPair => ({ db, legacyKey: k, targetKey: map.toTarget(db, k) }));
        }),
      ),
      draws > 0
        ? drawTargetWithin(opts.target, draws, opts.random ?? Math.random, drawEnd, this.failed)
        : Promise.resolve([]),
    ]);
    for (const p of legacyKeys.flat()) {
      if (known.has(p.targetKey)) continue;
      known.add(p.targetKey);
      pairs.push(p);
    }
    for (const tk of targetKeys) {
      if (known.has(tk) || this.excluded(tk)) continue;
      known.add(tk);
      const back = map.toLegacy(tk);
      if (back && this.excluded(back.key)) continue;
      pairs.push(
        back
          ? { db: back.db, legacyKey: back.key, targetKey: tk }
          : { db: null, legacyKey: tk, targetKey: tk },
      );
    }
    if (pairs.length === 0) return;
    const at = opts.now();
    const wallAt = Date.now();
    const looked = await observeWithin(this.sides, pairs, deadline);
    this.noteLook(looked);
    pairs.forEach((pair, i) => {
      const obs = looked.observations[i];
      if (!obs) {
        r.unverified++;
        return;
      }
      r.sampled++;
      const cls = classify(obs.legacy, obs.target, tolerance + obs.spanMs, laterSlack);
      if (cls === null) {
        r.checked++;
        return;
      }
      r.suspected++;
      this.fresh.push(newSuspect(pair, cls, obs, at, wallAt));
    });
  }

  private async recheck(deadline: number, cdc: CdcProgress): Promise<void> {
    const { r } = this;
    const tolerance = Math.max(this.opts.ttlToleranceMs, cdc.lagMs ?? 0);
    const laterSlack = this.noteLag(cdc.lagMs);
    const due: StoredSuspect[] = [];
    for (const s of this.earlier) {
      const caughtUp =
        cdc.appliedUpTo === undefined ||
        (cdc.appliedUpTo !== null && cdc.appliedUpTo >= s.at + s.legacy.slackMs);
      if (!this.replay && caughtUp) due.push(s);
      else this.carried.push(s);
    }
    this.earlier = [];
    if (due.length === 0) return;
    const at = this.opts.now();
    const wallAt = Date.now();
    const looked = await observeWithin(this.sides, due.map(pairOf), deadline, due.map(probesOf));
    this.noteLook(looked);
    due.forEach((s, i) => {
      const obs = looked.observations[i];
      if (!obs) {
        // Not read: judged at a later tick, not counted now.
        r.unverified++;
        this.carried.push(s);
        return;
      }
      r.rechecked++;
      const cls = classify(obs.legacy, obs.target, tolerance + obs.spanMs, laterSlack);
      const verdict = judgeRecheck(s, cls, obs, at, wallAt);
      switch (verdict.kind) {
        case 'cleared':
          r.cleared++;
          r.checked++;
          break;
        case 'confirmed':
          r.mismatches++;
          r.checked++;
          addMismatch(r.byClass, verdict.cls, displayKey(pairOf(s)), this.opts.maxExamples);
          this.confirmed.push(describeMismatch(pairOf(s), verdict.cls, obs));
          break;
        case 'flux':
          this.carried.push(verdict.suspect);
          break;
        case 'unstable':
          r.unstable++;
          break;
      }
    });
  }

  /** The tick's result and the suspects to persist for the next one. */
  finish(): { result: SpotCheckTickResult; state: SpotCheckState } {
    const suspects = [...this.carried, ...this.earlier];
    for (const s of this.fresh) {
      if (suspects.length >= this.maxSuspects) this.r.abandoned++;
      else suspects.push(s);
    }
    const result: SpotCheckTickResult = {
      ...this.r,
      pending: suspects.length,
      ...(this.confirmed.length > 0 ? { summary: summarizeMismatches(this.confirmed) } : {}),
    };
    return {
      result,
      state: {
        version: 1,
        lastAt: this.replay ? this.opts.state.lastAt : this.start,
        suspects,
        ...(this.noteLag(undefined) > 0 ? { lagPeakMs: this.lagPeakMs } : {}),
      },
    };
  }
}

/** A whole spot-check tick: new keys first, then the re-checks of earlier suspects (see SpotCheckTick). */
export async function spotCheckTick(
  opts: SpotCheckTickOptions & { deadline: number; cdc: CdcProgress },
): Promise<{ result: SpotCheckTickResult; state: SpotCheckState }> {
  const tick = new SpotCheckTick(opts);
  await tick.lookAtNewKeys(opts.deadline, opts.cdc.lagMs);
  await tick.recheckSuspects(opts.deadline, opts.cdc);
  return tick.finish();
}

/** Up to `k` distinct random target keys (masters weighted by DBSIZE); a master that does not answer by the deadline gives none. */
async function drawTargetWithin(
  target: Target,
  k: number,
  random: () => number,
  deadline: number,
  failed: (e: unknown) => void,
): Promise<BinKey[]> {
  const masters = mastersOf(target);
  // Sizes for half of the time at most: the masters that answered are drawn from in the rest.
  const sizesEnd = Date.now() + Math.max(0, deadline - Date.now()) / 2;
  const sizes = await Promise.all(masters.map((m) => settle(m.dbsize(), sizesEnd, addressOf(m), -1, failed)));
  // A master whose size is unknown is left out of this tick's draws (its keys are drawn another time).
  const answered = masters.flatMap((m, i) => {
    const size = sizes[i] ?? -1;
    return size >= 0 ? [{ master: m, size }] : [];
  });
  const draws = allocateDraws(
    answered.map((a) => a.size),
    k,
    random,
  );
  const parts = await Promise.all(
    answered.map((a, i) =>
      settle(randomDraws(a.master, draws[i] ?? 0), deadline, addressOf(a.master), [], failed),
    ),
  );
  return [...new Set(parts.flat())];
}
