import type { TenantConfig } from '../config/schema.js';
import { type OwnTraffic, WRITE_COMMANDS } from '../redis/index.js';
import { type DerivedMetrics, metricKey } from '../soak/catalogue.js';
import type { CdcLink, NodeSample, Sample } from './types.js';

/** A sample before its key counts and metrics are derived. */
export type SampleInProgress = Omit<Sample, 'keys' | 'derived' | 'complete'>;

/** Target keys under one db's prefix, as the prefix counter saw them. */
export interface PrefixCountInput {
  keys: number | null;
  persistent: number | null;
  source: 'scan' | 'estimate';
  /** 95 % intervals of an estimate: drift is then the largest distance the interval allows. */
  keysRange?: { low: number; high: number };
  persistentRange?: { low: number; high: number };
}

/** Results of the replication-phase checks and of the per-prefix counter, when they ran. */
export interface DeriveInputs {
  /**
   * legacy db → target keys under its prefix, all and without expiry (a completed SCAN pass, or an
   * estimate with its 95 % intervals). `persistent: null` when unknown: its drift is then "no data".
   */
  targetPrefixCounts?: Record<string, PrefixCountInput>;
  /** soakwatch's own keys (heartbeat) per legacy db, present on legacy / on target: taken out of the counts. */
  ownKeys?: Record<string, { legacy: number; target: number }>;
  cdcLagMs?: number | null;
  spotCheckMismatches?: number | null;
  spotCheckChecked?: number | null;
}

const SENTINEL_CONNECTION = /^sentinel-[0-9a-f]+-(cmd|pubsub)$/;

/**
 * Derives a sample's key counts and catalogue metrics from its node samples and the previous sample.
 * Pure. Anything the sample could not see is `null`; a rate without a previous sample (or across a
 * counter reset) is `null`, never 0. A partial sample keeps a count only as a lower bound above 0.
 */
export function deriveMetrics(
  sample: SampleInProgress,
  previous: Sample | undefined,
  tenant: TenantConfig,
  inputs: DeriveInputs = {},
): { keys: Sample['keys']; derived: DerivedMetrics } {
  const d: DerivedMetrics = {};
  const legacyPrimary = sample.legacy.nodes.find((n) => n.address === sample.legacy.primary);
  const prevPrimary = previous?.legacy.nodes.find((n) => n.address === previous.legacy.primary);
  const targetNodes = sample.target.nodes;
  const targetMasters = targetNodes.filter((n) => n.role === 'master');
  const targetComplete = targetNodes.length > 0 && targetNodes.every((n) => n.ok);
  const mastersComplete = targetMasters.length > 0 && targetMasters.every((n) => n.ok);
  const legacyComplete = sample.legacy.nodes.length > 0 && sample.legacy.nodes.every((n) => n.ok);
  const prevNode = (n: NodeSample) =>
    previous?.[n.side].nodes.find((p) => p.address === n.address && p.ok && p.role === n.role);

  // ── Keys ────────────────────────────────────────────────────────────────
  const keys = keyCounts(tenant, legacyPrimary, targetMasters, mastersComplete, inputs);
  const perDb = Object.entries(keys).map(([db, k]) => {
    const scope = `db${db}`;
    const counted = k.targetSource === 'estimate' ? inputs.targetPrefixCounts?.[db] : undefined;
    const drift = driftOf(k.legacy, k.target, counted?.keysRange);
    const pDrift = driftOf(k.legacyPersistent, k.targetPersistent, counted?.persistentRange);
    d[metricKey('legacyKeys', scope)] = k.legacy;
    d[metricKey('targetKeys', scope)] = k.target;
    d[metricKey('keyDrift', scope)] = drift;
    d[metricKey('keyDriftRatio', scope)] = ratio(drift, k.legacy);
    d[metricKey('persistentKeyDrift', scope)] = pDrift;
    d[metricKey('persistentKeyDriftRatio', scope)] = ratio(pDrift, k.legacyPersistent);
    return { ...k, drift, pDrift };
  });
  d.legacyKeys = sumOrNull(perDb.map((k) => k.legacy));
  d.targetKeys = sumOrNull(perDb.map((k) => k.target));
  d.keyDrift = sumOrNull(perDb.map((k) => k.drift));
  d.keyDriftRatio = ratio(d.keyDrift, d.legacyKeys);
  d.persistentKeyDrift = sumOrNull(perDb.map((k) => k.pDrift));
  d.persistentKeyDriftRatio = ratio(d.persistentKeyDrift, sumOrNull(perDb.map((k) => k.legacyPersistent)));

  // ── Checks run by the replication phase ────────────────────────────────
  d.cdcLagMs = inputs.cdcLagMs ?? null;
  d.spotCheckMismatches = inputs.spotCheckMismatches ?? null;
  d.spotCheckChecked = inputs.spotCheckChecked ?? null;
  // Computed by the judge from the running totals of spotCheckChecked and spotCheckMismatches.
  d.spotCheckMismatchRateUpper = null;

  // ── Replication ────────────────────────────────────────────────────────
  const cdc = tenant.legacy.cdcReplicas;
  if (legacyPrimary?.ok && legacyPrimary.replication) {
    const primaryOffset = legacyPrimary.replication.offset;
    const lags = legacyPrimary.replication.replicas
      .filter((r) => !isCdcAddress(r.address, cdc))
      .map((r) => Math.max(0, primaryOffset - r.offset));
    d.legacyReplicationLagBytes = lags.length > 0 ? Math.max(...lags) : null;
  } else d.legacyReplicationLagBytes = null;

  const replicaLags = targetMasters
    .filter((n) => n.ok && n.replication)
    .flatMap((n) =>
      (n.replication?.replicas ?? []).map((r) => Math.max(0, (n.replication?.offset ?? 0) - r.offset)),
    );
  d.targetReplicationLagBytes = mastersComplete && replicaLags.length > 0 ? Math.max(...replicaLags) : null;
  const targetReplicas = targetNodes.filter((n) => n.role === 'replica');
  const linksDown = targetReplicas.filter((n) => n.ok && n.replication?.linkUp === false).length;
  d.targetReplicationLinksDown = lowerBound(linksDown, targetComplete && targetReplicas.length > 0);

  d.streamRestarts = streamRestarts(
    legacyPrimary,
    prevPrimary,
    targetMasters,
    prevNode,
    previous !== undefined,
    legacyComplete && mastersComplete,
  );

  // ── Memory ─────────────────────────────────────────────────────────────
  const pcts = targetMasters.flatMap((n) =>
    n.memory && n.memory.maxmemory > 0 ? [(100 * n.memory.used) / n.memory.maxmemory] : [],
  );
  d.targetMemoryPct = mastersComplete && pcts.length > 0 ? Math.max(...pcts) : null;
  const frags = targetNodes.flatMap((n) => (n.memory ? [n.memory.fragmentation] : []));
  d.targetFragmentation = targetComplete && frags.length > 0 ? Math.max(...frags) : null;

  // ── Deltas of counters ─────────────────────────────────────────────────
  const stat = (key: 'evictedKeys' | 'rejectedConnections' | 'aclDenied') => (n: NodeSample) =>
    n.stats?.[key];
  d.targetEvictions = sumDeltas(targetMasters, prevNode, stat('evictedKeys'));
  d.targetRejectedConnections = sumDeltas(targetNodes, prevNode, stat('rejectedConnections'));
  d.targetAclDenials = sumDeltas(targetNodes, prevNode, stat('aclDenied'));
  d.targetErrorRate = errorRate(targetNodes, prevNode);
  d.legacyErrorRate = errorRate(sample.legacy.nodes, prevNode);
  d.targetWriteOps = offsetGrowth(targetMasters, prevNode);

  // ── Write activity and clients on legacy ───────────────────────────────
  const activity = legacyActivity(legacyPrimary, prevPrimary);
  d.legacyCommands = activity.commands;
  d.legacyWriteOps = activity.writeBytes;
  d.legacyAppClients = appClients(sample.legacy.nodes, cdc);

  d.samplerFailures =
    [...sample.legacy.nodes, ...targetNodes].filter((n) => !n.ok).length +
    (sample.legacy.primaryError ? 1 : 0) +
    (sample.target.topologyError ? 1 : 0);
  return { keys, derived: d };
}

function keyCounts(
  tenant: TenantConfig,
  legacyPrimary: NodeSample | undefined,
  targetMasters: NodeSample[],
  mastersComplete: boolean,
  inputs: DeriveInputs,
): Sample['keys'] {
  const out: Sample['keys'] = {};
  const dbMap = tenant.target.dbMap;
  const mapEntries = Object.entries(dbMap);
  // One legacy db into the whole target (empty prefix, nothing else mapped): the target total is exact.
  const identity = mapEntries.length === 1 && mapEntries[0]?.[1] === '';
  const targetDb = tenant.target.cluster ? 0 : urlDb(tenant.target.url);
  for (const db of tenant.legacy.dbs) {
    const own = inputs.ownKeys?.[String(db)] ?? { legacy: 0, target: 0 };
    const l = legacyPrimary?.ok ? (legacyPrimary.keyspace[db] ?? { keys: 0, expires: 0 }) : undefined;
    const entry: Sample['keys'][string] = {
      prefix: dbMap[String(db)] ?? '',
      legacy: l ? l.keys - own.legacy : null,
      legacyPersistent: l ? l.keys - l.expires - own.legacy : null,
      target: null,
      targetPersistent: null,
      targetSource: 'none',
    };
    const counted = inputs.targetPrefixCounts?.[String(db)];
    if (identity && mastersComplete) {
      let keys = 0;
      let expires = 0;
      for (const m of targetMasters) {
        keys += m.keyspace[targetDb]?.keys ?? 0;
        expires += m.keyspace[targetDb]?.expires ?? 0;
      }
      entry.target = keys - own.target;
      entry.targetPersistent = keys - expires - own.target;
      entry.targetSource = 'info';
    } else if (counted && counted.keys !== null) {
      // The prefix counter already leaves soakwatch's own keys out.
      entry.target = counted.keys;
      entry.targetPersistent = counted.persistent;
      entry.targetSource = counted.source;
    }
    out[String(db)] = entry;
  }
  return out;
}

/**
 * |legacy - target|; for an estimate with an interval, the largest distance the interval allows, so an
 * estimate that happens to land on the legacy count never passes for a match.
 */
function driftOf(
  legacy: number | null,
  target: number | null,
  range: { low: number; high: number } | undefined,
): number | null {
  if (legacy === null || target === null) return null;
  if (!range) return Math.abs(legacy - target);
  return Math.round(
    Math.max(Math.abs(legacy - range.low), Math.abs(legacy - range.high), Math.abs(legacy - target)),
  );
}

/** The CDC links configured by address, as the legacy primary sees them. */
export function cdcLinks(primary: NodeSample | undefined, cdc: readonly string[]): CdcLink[] {
  if (!primary?.ok || !primary.replication) return [];
  const offset = primary.replication.offset;
  return cdc.map((address) => {
    const line = primary.replication?.replicas.find((r) => isCdcAddress(r.address, [address]));
    return line
      ? {
          address,
          connected: true,
          state: line.state,
          lagBytes: Math.max(0, offset - line.offset),
          lagSeconds: line.lagSeconds,
        }
      : { address, connected: false };
  });
}

/** A configured CDC entry matches `host:port` exactly, or any port of its host when given without one. */
export function isCdcAddress(address: string, cdc: readonly string[]): boolean {
  const host = address.slice(0, address.lastIndexOf(':'));
  return cdc.some((c) => c === address || (!/:\d+$/.test(c) && c === host));
}

function streamRestarts(
  legacyPrimary: NodeSample | undefined,
  prevPrimary: NodeSample | undefined,
  targetMasters: NodeSample[],
  prevNode: (n: NodeSample) => NodeSample | undefined,
  hasPrevious: boolean,
  complete: boolean,
): number | null {
  if (!hasPrevious) return null;
  let count = 0;
  let seen = true;
  // The CDC stream reads the legacy primary: a new replid (restart, failover) or a full sync restarts it.
  if (legacyPrimary?.ok && legacyPrimary.replication && prevPrimary?.ok && prevPrimary.replication) {
    if (legacyPrimary.replication.replid !== prevPrimary.replication.replid) count++;
    if (legacyPrimary.address === prevPrimary.address && legacyPrimary.stats && prevPrimary.stats) {
      count += Math.max(0, legacyPrimary.stats.syncFull - prevPrimary.stats.syncFull);
    }
  } else seen = false;
  for (const m of targetMasters) {
    const prev = prevNode(m);
    if (!m.ok || !m.replication || !prev?.replication) {
      seen = false;
      continue;
    }
    if (m.replication.replid !== prev.replication.replid) count++;
  }
  return lowerBound(count, seen && complete);
}

function legacyActivity(
  primary: NodeSample | undefined,
  prev: NodeSample | undefined,
): { commands: number | null; writeBytes: number | null } {
  const none = { commands: null, writeBytes: null };
  if (!primary?.ok || !prev?.ok || primary.address !== prev.address || prev.role !== 'master') return none;
  if (!primary.stats || !prev.stats || !primary.own || !prev.own) return none;
  const own = ownDelta(prev.own, primary.own.atInfo);
  const delta = primary.stats.totalCommands - prev.stats.totalCommands;
  // Counters reset (restart, CONFIG RESETSTAT): nothing can be said about this interval.
  const commands = delta < 0 ? null : Math.max(0, delta - own.commands);

  const ownWrites = Object.entries(own.byCommand).reduce(
    (sum, [name, n]) => sum + (WRITE_COMMANDS.has(name) ? n : 0),
    0,
  );
  const cur = primary.persistence;
  const before = prev.persistence;
  if (!cur || !before) return { commands, writeBytes: null };
  const saved = cur.lastSaveTime !== before.lastSaveTime || cur.changesSinceSave < before.changesSinceSave;
  // After an RDB save the counter restarted: what it shows now is a lower bound of the writes.
  const changes = saved ? cur.changesSinceSave : cur.changesSinceSave - before.changesSinceSave;
  const appWrites = changes - ownWrites;
  if (appWrites <= 0) return { commands, writeBytes: saved ? null : 0 };
  const sameStream =
    primary.replication && prev.replication && primary.replication.replid === prev.replication.replid;
  const offsetBytes = sameStream
    ? (primary.replication?.offset ?? 0) - (prev.replication?.offset ?? 0) - own.writeBytes
    : 0;
  // Writes happened: their size from the offset growth, and never less than one per write.
  return { commands, writeBytes: Math.max(appWrites, offsetBytes) };
}

/** What soakwatch sent to a node between two INFO calls, across a process change too. */
export function ownDelta(
  prev: { atInfo: OwnTraffic; atEnd: OwnTraffic },
  cur: OwnTraffic,
): Omit<OwnTraffic, 'process'> {
  // Same process: the counters are continuous. Another process (a cold start): the old one sent
  // (atEnd - atInfo) after its INFO, the new one everything it counted.
  const same = prev.atEnd.process === cur.process;
  const base = same ? prev.atInfo : minus(prev.atInfo, prev.atEnd);
  return minus(cur, base);
}

function minus(a: Omit<OwnTraffic, 'process'>, b: Omit<OwnTraffic, 'process'>): OwnTraffic {
  const byCommand: Record<string, number> = {};
  for (const name of new Set([...Object.keys(a.byCommand), ...Object.keys(b.byCommand)])) {
    byCommand[name] = (a.byCommand[name] ?? 0) - (b.byCommand[name] ?? 0);
  }
  return {
    process: '',
    commands: a.commands - b.commands,
    byCommand,
    writeBytes: a.writeBytes - b.writeBytes,
  };
}

function appClients(nodes: NodeSample[], cdc: readonly string[]): number | null {
  let count = 0;
  let seen = nodes.length > 0;
  for (const n of nodes) {
    if (!n.ok || !n.clients) {
      seen = false;
      continue;
    }
    for (const c of n.clients) {
      if (c.isSoakwatch) continue;
      // S: a replica's link to its primary; M: a replica's link from the primary.
      if (/[SM]/.test(c.flags)) continue;
      if (SENTINEL_CONNECTION.test(c.name)) continue;
      if (isCdcAddress(c.address, cdc)) continue;
      count++;
    }
  }
  return lowerBound(count, seen);
}

function errorRate(nodes: NodeSample[], prevNode: (n: NodeSample) => NodeSample | undefined): number | null {
  let commands = 0;
  let errors = 0;
  if (nodes.length === 0) return null;
  for (const n of nodes) {
    const p = prevNode(n);
    if (!n.ok || !n.stats || !p?.stats) return null;
    const dc = n.stats.totalCommands - p.stats.totalCommands;
    const de = n.stats.totalErrorReplies - p.stats.totalErrorReplies;
    if (dc < 0 || de < 0) return null;
    commands += dc;
    errors += de;
  }
  if (commands === 0) return errors === 0 ? 0 : null;
  return (1000 * errors) / commands;
}

function sumDeltas(
  nodes: NodeSample[],
  prevNode: (n: NodeSample) => NodeSample | undefined,
  value: (n: NodeSample) => number | undefined,
): number | null {
  let total = 0;
  let seen = nodes.length > 0;
  for (const n of nodes) {
    const cur = n.ok ? value(n) : undefined;
    const prevNodeSample = prevNode(n);
    const before = prevNodeSample ? value(prevNodeSample) : undefined;
    if (cur === undefined || before === undefined || cur < before) {
      seen = false;
      continue;
    }
    total += cur - before;
  }
  return lowerBound(total, seen);
}

function offsetGrowth(
  masters: NodeSample[],
  prevNode: (n: NodeSample) => NodeSample | undefined,
): number | null {
  let total = 0;
  let seen = masters.length > 0;
  for (const m of masters) {
    const p = prevNode(m);
    if (!m.ok || !m.replication || !p?.replication || p.replication.replid !== m.replication.replid) {
      seen = false;
      continue;
    }
    // A master that never had a replica keeps no backlog and master_repl_offset stays 0 whatever is
    // written: its writes cannot be seen this way ("no data", never 0).
    if (m.replication.offset === 0 && m.replication.replicas.length === 0) {
      seen = false;
      continue;
    }
    total += Math.max(0, m.replication.offset - p.replication.offset);
  }
  return lowerBound(total, seen);
}

/** A count seen on part of the nodes: kept when above 0 (a lower bound), else "no data". */
function lowerBound(count: number, complete: boolean): number | null {
  return complete || count > 0 ? count : null;
}

function ratio(drift: number | null, base: number | null): number | null {
  if (drift === null || base === null) return null;
  return drift / Math.max(base, 1);
}

function sumOrNull(values: (number | null)[]): number | null {
  let total = 0;
  for (const v of values) {
    if (v === null) return null;
    total += v;
  }
  return total;
}

function urlDb(url: string): number {
  try {
    const db = Number(new URL(url).pathname.slice(1) || 0);
    return Number.isInteger(db) ? db : 0;
  } catch {
    return 0;
  }
}
