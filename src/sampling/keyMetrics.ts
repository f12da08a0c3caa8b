import type { TenantConfig } from '../config/schema.js';
import { dbScope, metricKey } from '../metrics/index.js';
import { fmt, joinCauses, type Measured } from './causes.js';
import type { PassComparison } from './passWindow.js';
import type { PrefixPassInput } from './prefixPass.js';
import type { NodeSample, Sample } from './types.js';

/**
 * Keys that may be on legacy and not yet on the target (or gone from legacy and not yet from the
 * target) at the moment of the INFO reads: writes in flight. The rule:
 *
 *   allowance = n + Z·√n,  n = legacy key-change rate × (measured CDC lag + read span)
 *
 * where the rate is the legacy primary's change counter (rdb_changes_since_last_save, soakwatch's own
 * writes out; across an RDB save, the commands processed) over the interval since the previous sample,
 * the CDC lag is the heartbeat's of this sample and the read span is the time between the first and the
 * last INFO read of the sample. A change moves a key count by at most one; n is the mean count of
 * changes in flight and Z = 4 standard deviations of a Poisson count above it bound what the copy in
 * flight can explain. For all keys (not only those without expiry) the keys legacy expired at the
 * same rate are added: an expiry on legacy reaches the target through the same stream.
 */
export const IN_FLIGHT_Z = 4;
export type InFlight =
  | { keys: number; persistent: number; ratePerSec: number; lagMs: number; spanMs: number }
  | { cause: string };

/** The allowance for writes in flight, or why it cannot be given. */
export function inFlightAllowance(opts: {
  /** Legacy key changes since the previous sample, and that interval. */
  writes: Measured;
  intervalMs: number | null;
  /** Keys legacy expired in the interval (0 when not known). */
  expired: number;
  cdcLagMs: number | null;
  lagCause: string;
  readSpanMs: number;
}): InFlight {
  if (opts.writes.value === null || opts.intervalMs === null || opts.intervalMs <= 0)
    return { cause: `the legacy write rate is unknown: ${opts.writes.note ?? 'needs a previous sample'}` };
  const rate = opts.writes.value / opts.intervalMs;
  const expiredRate = Math.max(0, opts.expired) / opts.intervalMs;
  if (opts.writes.value === 0 && expiredRate === 0)
    return { keys: 0, persistent: 0, ratePerSec: 0, lagMs: opts.cdcLagMs ?? 0, spanMs: opts.readSpanMs };
  if (opts.cdcLagMs === null)
    return {
      cause: `legacy took ${fmt(rate * 1000)} key changes/s and the CDC lag is not measured (${opts.lagCause})`,
    };
  const window = opts.cdcLagMs + opts.readSpanMs;
  const bound = (n: number) => Math.ceil(n + IN_FLIGHT_Z * Math.sqrt(n));
  const persistent = bound(rate * window);
  return {
    keys: bound((rate + expiredRate) * window),
    persistent,
    ratePerSec: rate * 1000,
    lagMs: opts.cdcLagMs,
    spanMs: opts.readSpanMs,
  };
}

export interface KeyMetricsInput {
  tenant: TenantConfig;
  legacyPrimary: NodeSample | undefined;
  /** Why the legacy primary's counts are missing, when they are. */
  legacyCause: string;
  targetMasters: NodeSample[];
  /** Why the target masters' counts are missing, when they are (null: every master answered). */
  targetCause: string | null;
  targetDb: number;
  ownKeys: Record<string, { legacy: number; target: number }> | undefined;
  prefixPasses: Record<string, PrefixPassInput> | undefined;
  prefixError: string | undefined;
  inFlight: InFlight;
  /** The sample's `at`, for the age of a carried pass. */
  at: number;
}

type Metrics = Record<string, Measured>;

/**
 * Key counts and drift, like with like: live INFO totals of the watched dbs against every target
 * master (allowing for writes in flight), and per db either the same live counts (one db into the
 * whole target) or the last completed SCAN pass against legacy over the pass's span (passWindow.ts).
 * Unscoped drift is the worst of the two that is known. An estimate is shown, never judged.
 */
export function keyMetrics(input: KeyMetricsInput): { keys: Sample['keys']; metrics: Metrics } {
  const { tenant } = input;
  const keys: Sample['keys'] = {};
  const m: Metrics = {};
  const dbMap = tenant.target.dbMap;
  const mapEntries = Object.entries(dbMap);
  // One legacy db into the whole target (empty prefix, nothing else mapped): the target total is exact.
  const identity = mapEntries.length === 1 && mapEntries[0]?.[1] === '';
  const legacyOk = input.legacyPrimary?.ok === true;
  const targetTotalRaw =
    input.targetCause === null
      ? input.targetMasters.reduce(
          (acc, n) => ({
            keys: acc.keys + (n.keyspace[input.targetDb]?.keys ?? 0),
            expires: acc.expires + (n.keyspace[input.targetDb]?.expires ?? 0),
          }),
          { keys: 0, expires: 0 },
        )
      : null;
  const ownTarget = Object.values(input.ownKeys ?? {}).reduce((a, o) => a + o.target, 0);
  const targetTotal = targetTotalRaw && {
    keys: targetTotalRaw.keys - ownTarget,
    persistent: targetTotalRaw.keys - targetTotalRaw.expires - ownTarget,
  };

  let legacyTotal: { keys: number; persistent: number } | null = legacyOk ? { keys: 0, persistent: 0 } : null;
  const perDb: { scope: string; keys: Measured; persistent: Measured }[] = [];
  for (const db of tenant.legacy.dbs) {
    const scope = dbScope(db);
    const own = input.ownKeys?.[String(db)] ?? { legacy: 0, target: 0 };
    const l = legacyOk ? (input.legacyPrimary?.keyspace[db] ?? { keys: 0, expires: 0 }) : undefined;
    const entry: Sample['keys'][string] = {
      prefix: dbMap[String(db)] ?? '',
      legacy: l ? l.keys - own.legacy : null,
      legacyPersistent: l ? l.keys - l.expires - own.legacy : null,
      target: null,
      targetPersistent: null,
      targetSource: 'none',
    };
    if (legacyTotal && entry.legacy !== null && entry.legacyPersistent !== null) {
      legacyTotal = {
        keys: legacyTotal.keys + entry.legacy,
        persistent: legacyTotal.persistent + entry.legacyPersistent,
      };
    }
    let drift: { keys: Measured; persistent: Measured };
    let targetCause: string;
    const pass = input.prefixPasses?.[String(db)];
    if (identity) {
      if (targetTotal) {
        entry.target = targetTotal.keys;
        entry.targetPersistent = targetTotal.persistent;
        entry.targetSource = 'info';
      }
      targetCause = input.targetCause ?? '';
      drift = liveDrift(
        entry.legacy !== null && entry.legacyPersistent !== null
          ? { keys: entry.legacy, persistent: entry.legacyPersistent }
          : null,
        targetTotal,
        input.inFlight,
        input.legacyCause,
        targetCause,
      );
    } else if (pass) {
      const progress = passProgress(pass, targetTotalRaw?.keys ?? null);
      if (pass.last) {
        entry.target = pass.last.keys;
        entry.targetPersistent = pass.last.persistent;
        entry.targetSource = 'scan';
      } else if (pass.estimate) {
        entry.target = Math.round(pass.estimate.keys);
        entry.targetPersistent = Math.round(pass.estimate.persistent);
        entry.targetSource = 'estimate';
      }
      targetCause = pass.last ? '' : progress;
      drift = scanDrift(pass, progress, input.at);
    } else {
      targetCause = input.prefixError
        ? `the per-prefix counter failed: ${input.prefixError}`
        : 'the per-prefix SCAN counter did not run in this sample';
      drift = { keys: { value: null, note: targetCause }, persistent: { value: null, note: targetCause } };
    }
    keys[String(db)] = entry;
    m[metricKey('legacyKeys', scope)] =
      entry.legacy === null ? { value: null, note: input.legacyCause } : { value: entry.legacy };
    m[metricKey('targetKeys', scope)] =
      entry.target === null || entry.targetSource === 'estimate'
        ? { value: null, note: targetCause || 'the target count is unknown' }
        : { value: entry.target };
    putDrift(m, scope, drift, entry, pass?.last ? comparisonOf(pass) : null);
    perDb.push({ scope, keys: drift.keys, persistent: drift.persistent });
  }

  // ── Unscoped: the worst drift soakwatch can see now.
  m.legacyKeys = legacyTotal ? { value: legacyTotal.keys } : { value: null, note: input.legacyCause };
  m.targetKeys = targetTotal
    ? { value: targetTotal.keys }
    : { value: null, note: input.targetCause ?? 'the target count is unknown' };
  const live = liveDrift(
    legacyTotal,
    targetTotal,
    input.inFlight,
    input.legacyCause,
    input.targetCause ?? '',
  );
  const liveRatio = (which: 'keys' | 'persistent'): Measured =>
    live[which].value === null || !legacyTotal
      ? { value: null, ...(live[which].note ? { note: live[which].note } : {}) }
      : { value: (live[which].value ?? 0) / Math.max(legacyTotal[which], 1), note: live[which].note ?? '' };
  // The live totals cover every db; a per-db value refines them. Without the live totals, every db
  // must be known: a db not counted is never taken for one without drift.
  const worst = (liveM: Measured, parts: { label: string; m: Measured }[]): Measured => {
    const all = [{ label: 'the live totals', m: liveM }, ...parts];
    const known = all.filter((p) => p.m.value !== null);
    const unknown = all.filter((p) => p.m.value === null);
    if (known.length === 0 || (liveM.value === null && parts.some((p) => p.m.value === null)))
      return { value: null, note: joinCauses(unknown.map((p) => `${p.label}: ${p.m.note ?? 'no data'}`)) };
    const top = known.reduce((a, b) => ((b.m.value ?? 0) > (a.m.value ?? 0) ? b : a));
    const missing = unknown.length
      ? `; not known: ${joinCauses(unknown.map((p) => `${p.label} (${p.m.note ?? 'no data'})`))}`
      : '';
    return { value: top.m.value, note: `worst is ${top.label}: ${top.m.note ?? ''}${missing}` };
  };
  const scoped = (metric: string) =>
    perDb.map((p) => ({ label: p.scope, m: m[metricKey(metric, p.scope)] ?? { value: null } }));
  m.keyDrift = worst(live.keys, scoped('keyDrift'));
  m.persistentKeyDrift = worst(live.persistent, scoped('persistentKeyDrift'));
  m.keyDriftRatio = worst(liveRatio('keys'), scoped('keyDriftRatio'));
  m.persistentKeyDriftRatio = worst(liveRatio('persistent'), scoped('persistentKeyDriftRatio'));
  return { keys, metrics: m };
}

/** Live INFO counts against each other, beyond the keys in flight. */
function liveDrift(
  legacy: { keys: number; persistent: number } | null,
  target: { keys: number; persistent: number } | null,
  inFlight: InFlight,
  legacyCause: string,
  targetCause: string,
): { keys: Measured; persistent: Measured } {
  const missing = !legacy ? legacyCause : !target ? targetCause : 'cause' in inFlight ? inFlight.cause : null;
  if (missing !== null || !legacy || !target || 'cause' in inFlight) {
    const note = missing ?? 'no data';
    return { keys: { value: null, note }, persistent: { value: null, note } };
  }
  const one = (l: number, t: number, allowance: number): Measured => {
    const apart = Math.abs(l - t);
    const drift = Math.max(0, apart - allowance);
    const flight =
      allowance > 0
        ? `${fmt(allowance)} keys in flight (${fmt(inFlight.ratePerSec)} key changes/s × (${fmt(inFlight.lagMs)} ms CDC lag + ${fmt(inFlight.spanMs)} ms between the reads), with 4 σ)`
        : 'no key changes in flight on legacy';
    return {
      value: drift,
      note: `legacy ${fmt(l)}, target ${fmt(t)}: ${fmt(apart)} apart, ${drift > 0 ? `${fmt(drift)} beyond` : 'within'} ${flight}`,
    };
  };
  return {
    keys: one(legacy.keys, target.keys, inFlight.keys),
    persistent: one(legacy.persistent, target.persistent, inFlight.persistent),
  };
}

function comparisonOf(pass: PrefixPassInput): { keys: PassComparison; persistent: PassComparison } | null {
  return pass.comparison && !('cause' in pass.comparison) ? pass.comparison : null;
}

/** `first SCAN pass 40 % done (estimate 5,010, 95 % 4,900–5,120)`. */
function passProgress(pass: PrefixPassInput, targetKeys: number | null): string {
  const share =
    targetKeys && targetKeys > 0 ? Math.min(99, Math.floor((100 * pass.scannedInPass) / targetKeys)) : null;
  const done = share === null ? 'under way' : `${share} % done`;
  const estimate = pass.estimate
    ? ` (estimate ${fmt(pass.estimate.keys)}, 95 % ${fmt(pass.estimate.low)}–${fmt(pass.estimate.high)}: not judged)`
    : '';
  return `first SCAN pass ${done}${estimate}`;
}

/** A prefix's drift from the last completed pass (carried until the next), or why there is none. */
function scanDrift(
  pass: PrefixPassInput,
  progress: string,
  at: number,
): { keys: Measured; persistent: Measured } {
  if (!pass.last)
    return { keys: { value: null, note: progress }, persistent: { value: null, note: progress } };
  const c = pass.comparison;
  if (!c || 'cause' in c) {
    const note = c?.cause ?? 'the last SCAN pass cannot be compared';
    return { keys: { value: null, note }, persistent: { value: null, note } };
  }
  const age = Math.max(0, Math.round((at - pass.last.completedAt) / 1000));
  const when =
    age === 0 ? 'pass completed in this sample' : `pass completed ${fmt(age)} s before this sample`;
  const one = (x: PassComparison): Measured => {
    const range = `legacy ${fmt(x.legacyMin)}–${fmt(x.legacyMax)} during the pass`;
    const expected = `${fmt(x.expected)} ± ${fmt(x.tolerance)} when counted, from ${fmt(x.churn)} legacy key changes`;
    return {
      value: x.drift,
      note:
        x.drift === 0
          ? `target ${fmt(x.target)} within ${range} (${expected}; ${when})`
          : `target ${fmt(x.target)}: ${fmt(x.drift)} beyond ${expected} (${range}; ${when})`,
    };
  };
  return { keys: one(c.keys), persistent: one(c.persistent) };
}

function putDrift(
  m: Metrics,
  scope: string,
  drift: { keys: Measured; persistent: Measured },
  entry: Sample['keys'][string],
  comparison: { keys: PassComparison; persistent: PassComparison } | null,
): void {
  const ratio = (d: Measured, base: number | null): Measured =>
    d.value === null || base === null
      ? { value: null, note: d.note ?? 'no data' }
      : { value: d.value / Math.max(base, 1), ...(d.note ? { note: d.note } : {}) };
  m[metricKey('keyDrift', scope)] = drift.keys;
  m[metricKey('persistentKeyDrift', scope)] = drift.persistent;
  // A pass is judged against the legacy count when it counted; live counts against the live one.
  m[metricKey('keyDriftRatio', scope)] = ratio(
    drift.keys,
    comparison ? comparison.keys.expected : entry.legacy,
  );
  m[metricKey('persistentKeyDriftRatio', scope)] = ratio(
    drift.persistent,
    comparison ? comparison.persistent.expected : entry.legacyPersistent,
  );
}
