import * as z from 'zod';
import type { KeyRemovalReading, NodeSample } from './types.js';

/**
 * Like with like for per-prefix counts. A SCAN pass of a cluster target runs over several ticks while
 * the application writes, so its count is not the target at one moment: it counts each key where the
 * pass was when the key was looked at. Comparing it with the live legacy count of the sample that
 * completes the pass (as soakwatch once did) reads a growing keyspace as drift forever. So every
 * tick of a pass records what legacy showed at that tick, and the pass is judged against that.
 *
 * The rule, per legacy db and its prefix:
 * - expected = Σ over the pass's ticks of (keys the pass counted in that tick) × (the legacy count the
 *   target reflected when those keys were scanned) / (keys the pass counted). The legacy count of a
 *   tick is read by INFO before the scan, so it is moved along the db's measured net rate (from the
 *   previous sample) to the scan's time minus the measured CDC lag, by no more than the legacy writes
 *   counted between the INFO and the scan's last page. A key is counted where the pass
 *   was when the key existed, so for keys spread by hash over the slots this is what a healthy copy
 *   counts, growing keyspace or not.
 * - tolerance = Z·√(Σ churn × G(1−G)) + slack. `churn` = legacy key changes (the change counter, an
 *   upper bound of keys created or deleted, every db together) between readings from the pass's first
 *   tick to its last page. A key created or deleted while a share G of the hash space is already
 *   scanned is counted by the pass with probability 1−G (it depends on where the key hashes): a
 *   variance of G(1−G), at most 1/4, the largest over the readings' span when the pass moved in it.
 *   `slack` covers the rate correction (half of it) and the spread of a tick's pages in time. Z = 4 on
 *   an upper bound of the churn: a healthy pass reads drift with a probability under 1e-4 even when
 *   every write creates or deletes a key. So the smallest loss a pass sees is about
 *   4·√(churn/6) + 0.001 × the db: to see 0.5 % of a db, a pass should span fewer legacy key changes
 *   than (db/400)² (40,000 keys: 10,000 changes) — scanKeysPerTick sets how many ticks a pass takes.
 * - drift = how far the pass count lies outside expected ± tolerance (0 inside). The legacy range
 *   min–max of the ticks is shown beside it in the evidence.
 *
 * A range alone (drift = distance outside legacy min–max) hides on a growing keyspace any loss smaller
 * than the growth during the pass (a 0.5 % loss of a db growing 1 % per pass is inside the range); the
 * expected value keeps the comparison sharp while the tolerance keeps it honest.
 */
export const PASS_TOLERANCE_Z = 4;

const count = z.number().finite();
const legacyReadingSchema = z.object({
  address: z.string(),
  at: count,
  changes: count,
  lastSaveTime: count,
  commands: count,
  /** soakwatch's own writes and commands to the node so far (the heartbeat), counted by `ownProcess`. */
  ownWrites: count.optional(),
  ownCommands: count.optional(),
  ownProcess: z.string().optional(),
});
/**
 * One reading of the legacy primary's change counter (rdb_changes_since_last_save) and command counter,
 * with what soakwatch itself had sent by then.
 */
export type LegacyReading = z.infer<typeof legacyReadingSchema>;

const removalSchema = z.object({
  at: count,
  age: count,
  keys: count,
  expired: count,
  evicted: count,
  removingCalls: count,
  flushCalls: count,
  writeCalls: count,
});

const dbWindowSchema = z.object({
  /** Legacy counts seen at the ticks of the pass (own keys out); meaningful once `seen` > 0. */
  min: count,
  max: count,
  pMin: count,
  pMax: count,
  /** Σ keys counted in a tick × legacy count the target reflected then (all keys / without expiry). */
  weighted: count,
  pWeighted: count,
  /** Σ keys counted in a tick × the slack of that tick's legacy count. */
  slack: count,
  pSlack: count,
  /** Unweighted sums of the legacy counts and the ticks seen (for a prefix the pass found empty). */
  sum: count,
  pSum: count,
  seen: count,
  /** Keys counted in ticks at which legacy could not be read: their legacy side is anywhere in min–max. */
  blind: count,
  pBlind: count,
});

export const passWindowSchema = z.object({
  ticks: z.number().int().nonnegative(),
  dbs: z.record(z.string(), dbWindowSchema),
  /** Legacy key changes from the first tick's INFO to the last reading (upper bound); null: unknown. */
  churn: count.nullable(),
  /** Why the churn is unknown. */
  churnUnknown: z.string().optional(),
  /** The churn between readings, with the pass's progress (keys counted so far, every bucket) over that span. */
  segments: z.array(z.object({ changes: count, from: count, to: count })),
  /** Keys counted so far by the pass, every bucket. */
  scanned: count,
  /** The latest reading of legacy's counters. */
  reading: legacyReadingSchema.nullable(),
  /** First page of the pass and last page so far (sampler clock). */
  scanStartedAt: count,
  scanEndedAt: count,
  /** Target masters' key-removal readings before the pass's first page / after its last (soak phase). */
  targetAtStart: z.record(z.string(), removalSchema).nullable(),
  targetAtEnd: z.record(z.string(), removalSchema).nullable(),
});
export type PassWindow = z.infer<typeof passWindowSchema>;
type DbWindow = z.infer<typeof dbWindowSchema>;

/** What one tick saw of legacy, for the pass window. */
export interface LegacyTickView {
  /** When the legacy INFO of this tick was read (the sample's `at`). */
  at: number;
  /** Legacy db → keys and keys without expiry at that INFO (own keys out); null: legacy not read. */
  counts: Record<string, { keys: number; persistent: number }> | null;
  /** Legacy db → net change per ms since the previous sample; null where unknown. */
  rates: Record<string, { keys: number; persistent: number } | null>;
  /** The CDC lag measured in this tick, ms; null: not measured. */
  lagMs: number | null;
  /** The change counter at this tick's INFO, and after this tick's scan. */
  reading: LegacyReading | null;
  after: LegacyReading | null;
}

/** What the pass counted in one tick. */
export interface PassTick {
  /** Bucket (prefix) → keys and keys without expiry counted in this tick. */
  counted: Record<string, { keys: number; persistent: number }>;
  scanStartedAt: number;
  scanEndedAt: number;
}

/**
 * The application's key changes on legacy between two readings: the change counter, or the commands
 * across an RDB save, soakwatch's own writes (commands) out when one process counted both readings.
 */
export function legacyChangesBetween(a: LegacyReading, b: LegacyReading): number | null {
  if (a.address !== b.address) return null;
  const sameCounter = a.ownProcess !== undefined && a.ownProcess === b.ownProcess;
  const own = (x: number | undefined, y: number | undefined) =>
    sameCounter && x !== undefined && y !== undefined ? Math.max(0, y - x) : 0;
  if (b.lastSaveTime === a.lastSaveTime && b.changes >= a.changes)
    return Math.max(0, b.changes - a.changes - own(a.ownWrites, b.ownWrites));
  // An RDB save restarted the change counter: every write is a command, so commands bound them.
  const commands = b.commands - a.commands;
  return commands >= 0 ? Math.max(0, commands - own(a.ownCommands, b.ownCommands)) : null;
}

const MAX_SEGMENTS = 200;

/** Adds the churn since the last reading, made while the pass went from `from` to `to` keys counted. */
function addReading(w: PassWindow, next: LegacyReading | null, from: number, to: number): void {
  if (!next) return;
  if (w.reading && w.churn !== null) {
    const changes = legacyChangesBetween(w.reading, next);
    if (changes === null) {
      w.churn = null;
      w.churnUnknown =
        w.reading.address === next.address
          ? `legacy counters reset on ${next.address} during the pass`
          : `legacy primary changed during the pass (${w.reading.address} → ${next.address})`;
    } else {
      w.churn += changes;
      const last = w.segments.at(-1);
      // A span without a reading of its own (a missed tick) joins the one before: its progress widens.
      if (last && last.to >= from && w.segments.length >= MAX_SEGMENTS) {
        last.changes += changes;
        last.to = to;
      } else w.segments.push({ changes, from: Math.min(from, last?.to ?? from), to });
    }
  }
  w.reading = next;
}

function emptyDb(): DbWindow {
  return {
    min: 0,
    max: 0,
    pMin: 0,
    pMax: 0,
    weighted: 0,
    pWeighted: 0,
    slack: 0,
    pSlack: 0,
    sum: 0,
    pSum: 0,
    seen: 0,
    blind: 0,
    pBlind: 0,
  };
}

/**
 * Adds one tick of a pass to its window (a new window when `window` is null: the pass began in this
 * tick). `dbBuckets`: legacy db → the bucket (prefix) its keys are counted under. Pure.
 */
export function recordPassTick(
  window: PassWindow | null | undefined,
  tick: PassTick,
  legacy: LegacyTickView,
  dbBuckets: Record<string, string>,
  targetAtStart: Record<string, KeyRemovalReading> | null,
): PassWindow {
  const w: PassWindow = window
    ? structuredClone(window)
    : {
        ticks: 0,
        dbs: {},
        churn: 0,
        segments: [],
        scanned: 0,
        reading: null,
        scanStartedAt: tick.scanStartedAt,
        scanEndedAt: tick.scanEndedAt,
        targetAtStart,
        targetAtEnd: null,
      };
  if (!window && !legacy.reading) {
    w.churn = null;
    w.churnUnknown = "the legacy primary's change counter could not be read when the pass began";
  }
  const scannedBefore = w.scanned;
  const scannedNow = scannedBefore + Object.values(tick.counted).reduce((a, c) => a + c.keys, 0);
  // Between the last reading and this tick's INFO the pass stood still; during this tick's pages it moved.
  addReading(w, legacy.reading, scannedBefore, scannedBefore);
  addReading(w, legacy.after, scannedBefore, scannedNow);
  w.scanned = scannedNow;
  w.ticks++;
  w.scanEndedAt = tick.scanEndedAt;
  // Legacy writes per ms during this tick's scan (from the readings around it), where known.
  const scanWrites =
    legacy.reading && legacy.after ? legacyChangesBetween(legacy.reading, legacy.after) : null;
  const scanSpan = legacy.after && legacy.reading ? Math.max(1, legacy.after.at - legacy.reading.at) : 0;
  const writeRate = scanWrites !== null && scanSpan > 0 ? scanWrites / scanSpan : null;
  const halfScan = Math.max(0, tick.scanEndedAt - tick.scanStartedAt) / 2;
  const scanMid = (tick.scanStartedAt + tick.scanEndedAt) / 2;
  // The legacy moment the target showed while this tick's pages were read.
  const lagKnown = legacy.lagMs !== null;
  const shift = scanMid - (legacy.lagMs ?? 0) - legacy.at;

  for (const [db, bucket] of Object.entries(dbBuckets)) {
    const d = w.dbs[db] ?? emptyDb();
    w.dbs[db] = d;
    const c = tick.counted[bucket] ?? { keys: 0, persistent: 0 };
    const seen = legacy.counts?.[db];
    if (!seen) {
      d.blind += c.keys;
      d.pBlind += c.persistent;
      continue;
    }
    const first = d.seen === 0;
    d.min = first ? seen.keys : Math.min(d.min, seen.keys);
    d.max = first ? seen.keys : Math.max(d.max, seen.keys);
    d.pMin = first ? seen.persistent : Math.min(d.pMin, seen.persistent);
    d.pMax = first ? seen.persistent : Math.max(d.pMax, seen.persistent);
    d.sum += seen.keys;
    d.pSum += seen.persistent;
    d.seen++;
    const rate = legacy.rates[db];
    const moved = (r: number) => {
      // Where the count was when the target showed it, and how sure that is.
      let correction = r * shift;
      let slack = 0.5 * Math.abs(correction) + Math.abs(r) * halfScan;
      if (!lagKnown) slack += Math.abs(r) * Math.max(0, shift);
      // Moved forward in time, the count moved by at most the writes counted between the INFO and
      // the last page: an application writing in bursts between ticks moves it by none.
      if (shift >= 0 && lagKnown && scanWrites !== null) {
        correction = Math.max(-scanWrites, Math.min(scanWrites, correction));
        slack = Math.min(scanWrites, slack);
      }
      return { correction, slack };
    };
    if (rate) {
      const k = moved(rate.keys);
      const p = moved(rate.persistent);
      d.weighted += c.keys * (seen.keys + k.correction);
      d.slack += c.keys * k.slack;
      d.pWeighted += c.persistent * (seen.persistent + p.correction);
      d.pSlack += c.persistent * p.slack;
    } else {
      // No net rate (no previous sample): every write during the shift may have moved the count.
      const bound = writeRate === null ? null : writeRate * (Math.abs(shift) + halfScan);
      d.weighted += c.keys * seen.keys;
      d.pWeighted += c.persistent * seen.persistent;
      if (bound === null) {
        w.churn = null;
        w.churnUnknown ??= 'the legacy write rate during the scan is unknown';
      } else {
        d.slack += c.keys * bound;
        d.pSlack += c.persistent * bound;
      }
    }
  }
  return w;
}

/** A completed pass's count of one prefix against what legacy showed during the pass. */
export interface PassComparison {
  target: number;
  expected: number;
  tolerance: number;
  legacyMin: number;
  legacyMax: number;
  /** How far `target` lies outside expected ± tolerance (0 inside). */
  drift: number;
  /** Legacy key changes during the pass (the churn behind the tolerance). */
  churn: number;
}

/** The comparison of one db in a completed pass (all keys and keys without expiry), or why there is none. */
export function comparePass(
  window: PassWindow | null | undefined,
  db: string,
  counted: { keys: number; persistent: number },
): { keys: PassComparison; persistent: PassComparison } | { cause: string } {
  if (!window) return { cause: 'the last SCAN pass began before legacy was recorded alongside it' };
  if (window.churn === null)
    return { cause: window.churnUnknown ?? 'the legacy churn during the pass is unknown' };
  if (!window.reading || window.reading.at < window.scanEndedAt)
    return { cause: "legacy's change counter was not read after the last page of the pass" };
  const d = window.dbs[db];
  if (!d || d.seen === 0) return { cause: 'legacy could not be read at any tick of the last SCAN pass' };
  const churnTolerance = PASS_TOLERANCE_Z * Math.sqrt(countingVariance(window));
  const one = (
    target: number,
    weighted: number,
    slack: number,
    blind: number,
    sum: number,
    min: number,
    max: number,
  ): PassComparison => {
    const mid = (min + max) / 2;
    const expected = target > 0 ? (weighted + blind * mid) / target : sum / d.seen;
    const tolerance = churnTolerance + (target > 0 ? (slack + (blind * (max - min)) / 2) / target : 0);
    const drift = Math.max(0, Math.round(Math.abs(target - expected) - tolerance));
    return { target, expected, tolerance, legacyMin: min, legacyMax: max, drift, churn: window.churn ?? 0 };
  };
  return {
    keys: one(counted.keys, d.weighted, d.slack, d.blind, d.sum, d.min, d.max),
    persistent: one(counted.persistent, d.pWeighted, d.pSlack, d.pBlind, d.pSum, d.pMin, d.pMax),
  };
}

/** Σ churn × the largest G(1−G) over each segment's progress: the variance bound of the pass count. */
function countingVariance(w: PassWindow): number {
  const total = Math.max(1, w.scanned);
  let variance = 0;
  for (const seg of w.segments) {
    const a = Math.min(1, seg.from / total);
    const b = Math.min(1, seg.to / total);
    const worst = a <= 0.5 && b >= 0.5 ? 0.25 : Math.max(a * (1 - a), b * (1 - b));
    variance += seg.changes * worst;
  }
  return variance;
}

/** Keys of one prefix lost between two completed passes (soak phase), beyond removals and churn. */
export interface PassLoss {
  lost: number;
  ratio: number;
  removals: number;
  tolerance: number;
  flushes: number;
}

/**
 * Keys of a prefix that left the target between the previous pass and the last one, beyond what
 * expiry, evictions and key-removing commands on every master (all prefixes: an upper bound) explain
 * over both passes, and beyond the counting noise of two passes (Z·√(writes/4)). Keys created in the
 * meantime hide a loss of the same size.
 */
export function passLoss(
  before: { counts: number; window: PassWindow | null | undefined },
  after: { counts: number; window: PassWindow | null | undefined },
): PassLoss | { cause: string } {
  const start = before.window?.targetAtStart;
  const end = after.window?.targetAtEnd;
  if (!start || !end)
    return { cause: 'needs two SCAN passes with key-removal readings (soak phase) around them' };
  const addresses = Object.keys(end).sort();
  const known = Object.keys(start).sort();
  if (addresses.length !== known.length || addresses.some((a, i) => a !== known[i]))
    return { cause: 'the target masters changed between the two SCAN passes' };
  let removals = 0;
  let writes = 0;
  let flushes = 0;
  for (const address of addresses) {
    const a = start[address] as KeyRemovalReading;
    const b = end[address] as KeyRemovalReading;
    const delta = {
      expired: b.expired - a.expired,
      evicted: b.evicted - a.evicted,
      calls: b.removingCalls - a.removingCalls,
      writes: b.writeCalls - a.writeCalls,
      flushes: b.flushCalls - a.flushCalls,
    };
    if (Object.values(delta).some((v) => v < 0)) return { cause: `counters reset on ${address}` };
    removals += delta.expired + delta.evicted + delta.calls;
    writes += delta.writes;
    flushes += delta.flushes;
  }
  const tolerance = PASS_TOLERANCE_Z * Math.sqrt(writes / 4);
  const lost = Math.max(0, Math.round(before.counts - after.counts - removals - tolerance));
  return { lost, ratio: lost / Math.max(before.counts, 1), removals, tolerance, flushes };
}

/** The readings of the target masters in a sample, by address; null unless every master has one. */
export function removalReadingsOf(nodes: readonly NodeSample[]): Record<string, KeyRemovalReading> | null {
  const masters = nodes.filter((n) => n.role === 'master');
  if (masters.length === 0 || masters.some((m) => !m.removals)) return null;
  return Object.fromEntries(masters.map((m) => [m.address, m.removals as KeyRemovalReading]));
}
