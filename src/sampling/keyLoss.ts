import { dbScope, metricKey } from '../metrics/index.js';
import { fmt, joinCauses, type Measured, pct } from './causes.js';
import type { PassLoss } from './passWindow.js';
import type { PrefixPassInput } from './prefixPass.js';
import type { KeyRemovalReading, NodeSample, Sample } from './types.js';

/**
 * The soak's data guard. Once production runs on the target nothing compares it with legacy any
 * more, so the target is compared with itself:
 *
 *   targetKeysLost = max(0, keys before − keys now − expired − evicted − key-removing command calls)
 *
 * over every target master together (a key moving between masters while slots migrate is not lost),
 * between two readings of the masters' removals (keyRemovals.ts: INFO keyspace, stats and
 * commandstats in one reply per master). A sample whose INFO shows no fall beyond expiry and
 * evictions has lost nothing it can prove and reads 0 without that reading; a sample whose total
 * fell more reads the removals and accounts for the whole span since the last reading (at most
 * REMOVALS_REFRESH_SAMPLES samples, whose falls were already explained).
 * `targetKeyLossRatio` = targetKeysLost / keys before. Per db (`@db<N>`) the same is done with two
 * completed SCAN passes of the db's prefix (passWindow.ts `passLoss`).
 *
 * What it sees: keys gone without a command (a shard emptied by a restart or a resync, a failover to
 * an empty replica), FLUSHDB/FLUSHALL (never an application's delete), multi-key deletes beyond one key
 * per call. What it cannot see: a loss hidden by keys created in the same span (the count is net), a
 * loss made of single-key deletes (indistinguishable from the application's own), a loss on a master
 * that failed over between two readings (its counters are not comparable: no data).
 */
export function keyLossMetrics(opts: {
  phase: string | undefined;
  masters: NodeSample[];
  /** Why the masters' numbers are missing (null: every master answered). */
  mastersCause: string | null;
  previous: Sample | undefined;
  targetDb: number;
  dbs: readonly number[];
  identity: boolean;
  prefixPasses: Record<string, PrefixPassInput> | undefined;
}): Record<string, Measured> {
  const out: Record<string, Measured> = {};
  const total = totalLoss(opts);
  out.targetKeysLost = total.lost;
  out.targetKeyLossRatio = total.ratio;
  for (const db of opts.dbs) {
    const scope = dbScope(db);
    const perDb = opts.identity ? total : passLossOf(opts.phase, opts.prefixPasses?.[String(db)]);
    out[metricKey('targetKeysLost', scope)] = perDb.lost;
    out[metricKey('targetKeyLossRatio', scope)] = perDb.ratio;
  }
  return out;
}

function none(note: string): { lost: Measured; ratio: Measured } {
  return { lost: { value: null, note }, ratio: { value: null, note } };
}

function totalLoss(opts: Parameters<typeof keyLossMetrics>[0]): { lost: Measured; ratio: Measured } {
  if (opts.phase !== 'soak') return none('measured only in the soak phase');
  if (!opts.previous) return none('needs a previous sample');
  if (opts.mastersCause !== null) return none(opts.mastersCause);
  const pairs: { now: NodeSample; before: NodeSample }[] = [];
  for (const m of opts.masters) {
    const before = opts.previous.target.nodes.find((p) => p.address === m.address && p.ok);
    if (!before) return none(`${m.address} is a master not read in the previous sample`);
    pairs.push({ now: m, before });
  }
  const fresh = pairs.every((p) => p.now.removals?.age === 0);
  if (fresh) return fromReadings(pairs);
  const failed = pairs.filter((p) => p.now.removalsError);
  if (failed.length > 0)
    return none(
      joinCauses(failed.map((p) => `key removals not read on ${p.now.address}: ${p.now.removalsError}`)),
    );
  // Not read: INFO alone shows whether the total fell more than expiry and evictions explain.
  let before = 0;
  let now = 0;
  let expired = 0;
  let evicted = 0;
  for (const { now: n, before: b } of pairs) {
    if (!n.stats || !b.stats) return none(`${n.address} gave no stats`);
    const e = (n.stats.expiredKeys ?? 0) - (b.stats.expiredKeys ?? 0);
    const v = n.stats.evictedKeys - b.stats.evictedKeys;
    if (e < 0 || v < 0) return none(`counters reset on ${n.address}`);
    before += b.keyspace[opts.targetDb]?.keys ?? 0;
    now += n.keyspace[opts.targetDb]?.keys ?? 0;
    expired += e;
    evicted += v;
  }
  if (before - now - expired - evicted > 0) return none('key removals not read in this sample');
  const note = `target ${fmt(before)} → ${fmt(now)} keys: no fall beyond expiry (${fmt(expired)}) and evictions (${fmt(evicted)})`;
  return { lost: { value: 0, note }, ratio: { value: 0, note } };
}

/** The loss between each master's previous reading and this sample's. */
function fromReadings(pairs: { now: NodeSample; before: NodeSample }[]): { lost: Measured; ratio: Measured } {
  const since = new Set(pairs.map((p) => p.before.removals?.at));
  const missing = pairs.filter((p) => !p.before.removals);
  if (missing.length > 0)
    return none(joinCauses(missing.map((p) => `no key-removal reading of ${p.now.address} before this one`)));
  if (since.size > 1) return none('the masters were last read for key removals in different samples');
  let before = 0;
  let now = 0;
  let explained = 0;
  const flushed: string[] = [];
  const resets: string[] = [];
  for (const { now: n, before: b } of pairs) {
    const a = b.removals as KeyRemovalReading;
    const c = n.removals as KeyRemovalReading;
    const delta = {
      expired: c.expired - a.expired,
      evicted: c.evicted - a.evicted,
      calls: c.removingCalls - a.removingCalls,
      flushes: c.flushCalls - a.flushCalls,
    };
    // A restarted node counts from zero: what it removed before the restart is not seen.
    const reset = Object.values(delta).some((v) => v < 0);
    if (reset) resets.push(n.address);
    const d = reset
      ? { expired: c.expired, evicted: c.evicted, calls: c.removingCalls, flushes: c.flushCalls }
      : delta;
    before += a.keys;
    now += c.keys;
    explained += d.expired + d.evicted + d.calls;
    if (d.flushes > 0) flushed.push(n.address);
  }
  const lost = Math.max(0, before - now - explained);
  const parts = [
    `target ${fmt(before)} → ${fmt(now)} keys since the last reading; expiry, evictions and key-removing commands explain ${fmt(explained)}`,
    lost > 0 ? `${fmt(lost)} unexplained (${pct(lost / Math.max(before, 1))})` : 'nothing unexplained',
    ...(flushed.length ? [`FLUSHDB/FLUSHALL on ${flushed.join(', ')}: what it removed counts as lost`] : []),
    ...(resets.length
      ? [`counters reset on ${resets.join(', ')}: removals before the restart are not seen`]
      : []),
  ];
  const note = parts.join('; ');
  return { lost: { value: lost, note }, ratio: { value: lost / Math.max(before, 1), note } };
}

function passLossOf(
  phase: string | undefined,
  pass: PrefixPassInput | undefined,
): { lost: Measured; ratio: Measured } {
  if (phase !== 'soak') return none('measured only in the soak phase');
  if (!pass) return none('the per-prefix SCAN counter did not run in this sample');
  const loss: PassLoss | { cause: string } | null = pass.loss;
  if (!loss) return none('needs two completed SCAN passes');
  if ('cause' in loss) return none(loss.cause);
  const note = `${fmt(loss.lost)} keys beyond ${fmt(loss.removals)} removals on the target and ± ${fmt(loss.tolerance)} counting noise between the two last SCAN passes${loss.flushes > 0 ? '; FLUSHDB/FLUSHALL seen' : ''}`;
  return { lost: { value: loss.lost, note }, ratio: { value: loss.ratio, note } };
}
