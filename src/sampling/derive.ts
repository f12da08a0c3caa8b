import type { TenantConfig } from '../config/schema.js';
import type { DerivedMetrics } from '../metrics/index.js';
import { type OwnTraffic, WRITE_COMMANDS } from '../redis/index.js';
import { fmt, joinCauses, type Measured, unreachable } from './causes.js';
import { keyLossMetrics } from './keyLoss.js';
import { inFlightAllowance, keyMetrics } from './keyMetrics.js';
import { type PrefixPassInput, targetDb } from './prefixPass.js';
import type { CdcLink, NodeSample, Sample, SampleNotes } from './types.js';

/** A sample before its key counts and metrics are derived. */
export type SampleInProgress = Omit<Sample, 'keys' | 'derived' | 'complete' | 'notes' | 'since'>;

/** Results of the replication-phase checks and of the per-prefix counter, when they ran. */
export interface DeriveInputs {
  /** The tenant's phase (`replication`, `soak`, …): some metrics are measured only in one. */
  phase?: string;
  /** Time between the first and the last INFO read of the sample (writes in flight), ms. */
  readSpanMs?: number;
  /** Legacy db → the per-prefix SCAN counter's pass and its comparison (cluster targets with prefixes). */
  prefixPasses?: Record<string, PrefixPassInput>;
  /** Why the per-prefix counter failed in this sample. */
  prefixError?: string;
  /** soakwatch's own keys (heartbeat) per legacy db, present on legacy / on target: taken out of the counts. */
  ownKeys?: Record<string, { legacy: number; target: number }>;
  cdcLagMs?: number | null;
  spotCheckMismatches?: number | null;
  spotCheckChecked?: number | null;
  /** The checks' record (heartbeat and spot-check results or errors), for the notes. */
  checksRecord?: Record<string, unknown>;
}

/**
 * Error rates over fewer commands than this are taken over this many: a rate over a handful of
 * commands is not a rate. rate = 1000 × errors / max(commands, 1000), so in an interval with under
 * 1,000 commands the rate equals the error count: at most `threshold` errors can never breach a
 * per-1000 threshold (`>`), however few commands there were.
 */
export const ERROR_RATE_MIN_COMMANDS = 1000;

const SENTINEL_CONNECTION = /^sentinel-[0-9a-f]+-(cmd|pubsub)$/;

/**
 * Derives a sample's key counts and catalogue metrics from its node samples and the previous sample.
 * Pure. Anything the sample could not see is `null` with a note saying why (naming the node where
 * there is one); a rate without a previous sample (or across a counter reset) is `null`, never 0. A
 * partial sample keeps a count only as a lower bound above 0.
 */
export function deriveMetrics(
  sample: SampleInProgress,
  previous: Sample | undefined,
  tenant: TenantConfig,
  inputs: DeriveInputs = {},
): { keys: Sample['keys']; derived: DerivedMetrics; notes: SampleNotes } {
  const m: Record<string, Measured> = {};
  const legacyPrimary = sample.legacy.nodes.find((n) => n.address === sample.legacy.primary);
  const prevPrimary = previous?.legacy.nodes.find((n) => n.address === previous.legacy.primary);
  const targetNodes = sample.target.nodes;
  const targetMasters = targetNodes.filter((n) => n.role === 'master');
  const targetComplete = targetNodes.length > 0 && targetNodes.every((n) => n.ok);
  const mastersComplete = targetMasters.length > 0 && targetMasters.every((n) => n.ok);
  const legacyComplete = sample.legacy.nodes.length > 0 && sample.legacy.nodes.every((n) => n.ok);
  const prevNode = (n: NodeSample) =>
    previous?.[n.side].nodes.find((p) => p.address === n.address && p.ok && p.role === n.role);
  const legacyCause = primaryCause(sample, legacyPrimary);
  const mastersCause = mastersComplete ? null : nodesCause(targetMasters, sample.target, 'master');
  const targetCause = targetComplete ? null : nodesCause(targetNodes, sample.target, 'node');
  const intervalMs = previous && sample.at > previous.at ? sample.at - previous.at : null;

  // ── Write activity on legacy (also the writes in flight of the key counts) ──
  const activity = legacyActivity(legacyPrimary, prevPrimary, legacyCause, previous !== undefined);
  m.legacyCommands = activity.commands;
  m.legacyWriteOps = activity.writeBytes;

  // ── Keys ────────────────────────────────────────────────────────────────
  const mapped = Object.entries(tenant.target.dbMap);
  const identity = mapped.length === 1 && mapped[0]?.[1] === '';
  const lag = lagOf(tenant, inputs);
  const legacyExpired =
    legacyPrimary?.ok &&
    prevPrimary?.stats &&
    legacyPrimary.stats &&
    prevPrimary.address === legacyPrimary.address
      ? Math.max(0, (legacyPrimary.stats.expiredKeys ?? 0) - (prevPrimary.stats.expiredKeys ?? 0))
      : 0;
  const counted = keyMetrics({
    tenant,
    legacyPrimary,
    legacyCause,
    targetMasters,
    targetCause: mastersCause,
    targetDb: targetDb(tenant),
    ownKeys: inputs.ownKeys,
    prefixPasses: inputs.prefixPasses,
    prefixError: inputs.prefixError,
    inFlight: inFlightAllowance({
      writes: activity.writes,
      intervalMs,
      expired: legacyExpired,
      cdcLagMs: lag.value,
      lagCause: lag.note ?? 'not measured',
      readSpanMs: inputs.readSpanMs ?? readSpanOf(legacyPrimary, targetMasters),
    }),
    at: sample.at,
  });
  Object.assign(m, counted.metrics);
  Object.assign(
    m,
    keyLossMetrics({
      phase: inputs.phase,
      masters: targetMasters,
      mastersCause,
      previous,
      targetDb: targetDb(tenant),
      dbs: tenant.legacy.dbs,
      identity,
      prefixPasses: inputs.prefixPasses,
    }),
  );

  // ── Checks run by the replication phase ────────────────────────────────
  m.cdcLagMs = lag;
  const spot = spotCheckCause(inputs);
  m.spotCheckMismatches = valueOr(inputs.spotCheckMismatches, spot);
  m.spotCheckChecked = valueOr(inputs.spotCheckChecked, spot);
  // Computed by the judge from the running totals of spotCheckChecked and spotCheckMismatches.
  m.spotCheckMismatchRateUpper = {
    value: null,
    note: 'computed by the judge from the spot-check totals since replication began',
  };

  // ── Replication ────────────────────────────────────────────────────────
  const cdc = tenant.legacy.cdcReplicas;
  if (legacyPrimary?.ok && legacyPrimary.replication) {
    const primaryOffset = legacyPrimary.replication.offset;
    const lags = legacyPrimary.replication.replicas
      .filter((r) => !isCdcAddress(r.address, cdc))
      .map((r) => Math.max(0, primaryOffset - r.offset));
    m.legacyReplicationLagBytes =
      lags.length > 0
        ? { value: Math.max(...lags) }
        : { value: null, note: `legacy primary ${legacyPrimary.address} has no replicas (CDC links apart)` };
  } else m.legacyReplicationLagBytes = { value: null, note: legacyCause };

  const replicaLags = targetMasters
    .filter((n) => n.ok && n.replication)
    .flatMap((n) =>
      (n.replication?.replicas ?? []).map((r) => Math.max(0, (n.replication?.offset ?? 0) - r.offset)),
    );
  m.targetReplicationLagBytes = !mastersComplete
    ? { value: null, note: mastersCause ?? '' }
    : replicaLags.length > 0
      ? { value: Math.max(...replicaLags) }
      : { value: null, note: 'the target has no replicas' };
  const targetReplicas = targetNodes.filter((n) => n.role === 'replica');
  const linksDown = targetReplicas.filter((n) => n.ok && n.replication?.linkUp === false).length;
  m.targetReplicationLinksDown =
    targetReplicas.length === 0 && targetComplete
      ? { value: null, note: 'the target has no replicas' }
      : lowerBound(linksDown, targetComplete && targetReplicas.length > 0, targetCause ?? '');

  m.streamRestarts = streamRestarts(
    legacyPrimary,
    prevPrimary,
    targetMasters,
    prevNode,
    previous,
    legacyCause,
  );
  // A legacy node that did not answer may be where the stream would have shown a restart.
  if (!legacyComplete && m.streamRestarts.value === 0)
    m.streamRestarts = {
      value: null,
      note: joinCauses(sample.legacy.nodes.filter((n) => !n.ok).map(unreachable)),
    };

  // ── Memory ─────────────────────────────────────────────────────────────
  const limited = targetMasters.filter((n) => n.memory && n.memory.maxmemory > 0);
  const unlimited = targetMasters.filter((n) => n.ok && n.memory && n.memory.maxmemory === 0);
  const noLimit = unlimited.length ? `no maxmemory on ${unlimited.map((n) => n.address).join(', ')}` : '';
  const pcts = limited.map((n) => (100 * (n.memory?.used ?? 0)) / (n.memory?.maxmemory ?? 1));
  m.targetMemoryPct = !mastersComplete
    ? { value: null, note: mastersCause ?? '' }
    : pcts.length > 0
      ? { value: Math.max(...pcts), ...(noLimit ? { note: `${noLimit}: left out` } : {}) }
      : { value: null, note: noLimit || 'no target master reported its memory' };
  const frags = targetNodes.flatMap((n) => (n.memory ? [n.memory.fragmentation] : []));
  m.targetFragmentation = !targetComplete
    ? { value: null, note: targetCause ?? '' }
    : frags.length > 0
      ? { value: Math.max(...frags) }
      : { value: null, note: 'no target node reported its memory' };

  // ── Deltas of counters ─────────────────────────────────────────────────
  const stat = (key: 'evictedKeys' | 'rejectedConnections' | 'aclDenied') => (n: NodeSample) =>
    n.stats?.[key];
  m.targetEvictions = sumDeltas(targetMasters, prevNode, stat('evictedKeys'), previous);
  m.targetRejectedConnections = sumDeltas(targetNodes, prevNode, stat('rejectedConnections'), previous);
  m.targetAclDenials = sumDeltas(targetNodes, prevNode, stat('aclDenied'), previous);
  m.targetErrorRate = errorRate(targetNodes, prevNode, previous);
  m.legacyErrorRate = errorRate(sample.legacy.nodes, prevNode, previous);
  m.targetWriteOps = offsetGrowth(targetMasters, prevNode, previous);

  // ── Clients on legacy ──────────────────────────────────────────────────
  m.legacyAppClients = appClients(sample.legacy.nodes, cdc);

  m.samplerFailures = samplerFailures(sample);
  return finish(counted.keys, m);
}

/** Splits measured values into the metric map and the notes; every `null` gets a note. */
function finish(
  keys: Sample['keys'],
  m: Record<string, Measured>,
): { keys: Sample['keys']; derived: DerivedMetrics; notes: SampleNotes } {
  const derived: DerivedMetrics = {};
  const notes: SampleNotes = {};
  for (const [key, { value, note }] of Object.entries(m)) {
    derived[key] = value;
    if (note) notes[key] = note;
    else if (value === null) notes[key] = 'no data';
  }
  return { keys, derived, notes };
}

function valueOr(value: number | null | undefined, cause: string): Measured {
  return value === null || value === undefined ? { value: null, note: cause } : { value };
}

/** Why legacy primary numbers are missing (or '' when it answered). */
function primaryCause(sample: SampleInProgress, primary: NodeSample | undefined): string {
  if (primary?.ok) return '';
  if (primary) return unreachable(primary);
  if (sample.legacy.primaryError)
    return `the legacy primary could not be located: ${sample.legacy.primaryError}`;
  return 'the legacy primary was not read';
}

/** Why the target's nodes (of one role, or all) are missing from a sample. */
function nodesCause(nodes: NodeSample[], target: SampleInProgress['target'], what: string): string {
  const failed = nodes.filter((n) => !n.ok).map(unreachable);
  if (failed.length > 0) return joinCauses(failed);
  if (target.topologyError) return `the target topology could not be read: ${target.topologyError}`;
  return `no target ${what} was read`;
}

/** The CDC lag of this sample, or why there is none. */
function lagOf(tenant: TenantConfig, inputs: DeriveInputs): Measured {
  const hb = inputs.checksRecord?.heartbeat as
    | { error?: string; censored?: boolean; atLeastMs?: number }
    | undefined;
  if (inputs.cdcLagMs !== undefined && inputs.cdcLagMs !== null) {
    return hb?.censored
      ? {
          value: inputs.cdcLagMs,
          note: `at least ${fmt(inputs.cdcLagMs)} ms: the heartbeat has not arrived yet`,
        }
      : { value: inputs.cdcLagMs };
  }
  if (inputs.phase !== 'replication') return { value: null, note: 'measured only while replicating' };
  if (!tenant.legacy.heartbeat.enabled)
    return { value: null, note: 'the heartbeat is turned off (legacy.heartbeat.enabled: false)' };
  if (hb?.error) return { value: null, note: `heartbeat failed: ${hb.error}` };
  return { value: null, note: 'the heartbeat was not measured in this sample' };
}

function spotCheckCause(inputs: DeriveInputs): string {
  if (inputs.phase !== 'replication') return 'measured only while replicating';
  const spot = inputs.checksRecord?.spotCheck as { error?: string } | undefined;
  if (spot?.error) return `spot-check failed: ${spot.error}`;
  if (!spot) return 'the spot-check is turned off (sampling.spotCheckKeys: 0)';
  return 'the spot-check gave no result';
}

/** When no read span was measured: the slowest legacy primary and target master reads, one after the other. */
function readSpanOf(primary: NodeSample | undefined, masters: NodeSample[]): number {
  return (primary?.durationMs ?? 0) + Math.max(0, ...masters.map((n) => n.durationMs));
}

/** Why every node read failed, and which: always a note, also when nothing failed. */
function samplerFailures(sample: SampleInProgress): Measured {
  const failed = [...sample.legacy.nodes, ...sample.target.nodes]
    .filter((n) => !n.ok)
    .map((n) => `${n.side} ${unreachable(n)}`);
  if (sample.legacy.primaryError) failed.push(`legacy primary not located: ${sample.legacy.primaryError}`);
  if (sample.target.topologyError) failed.push(`target topology not read: ${sample.target.topologyError}`);
  return {
    value: failed.length,
    note: failed.length === 0 ? 'every node answered' : joinCauses(failed, 10),
  };
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
  previous: Sample | undefined,
  legacyCause: string,
): Measured {
  if (!previous) return { value: null, note: 'needs a previous sample' };
  let count = 0;
  const unseen: string[] = [];
  // The CDC stream reads the legacy primary: a new replid (restart, failover) or a full sync restarts it.
  if (legacyPrimary?.ok && legacyPrimary.replication && prevPrimary?.ok && prevPrimary.replication) {
    if (legacyPrimary.replication.replid !== prevPrimary.replication.replid) count++;
    if (legacyPrimary.address === prevPrimary.address && legacyPrimary.stats && prevPrimary.stats) {
      count += Math.max(0, legacyPrimary.stats.syncFull - prevPrimary.stats.syncFull);
    }
  } else
    unseen.push(
      !legacyPrimary?.ok
        ? legacyCause
        : `the legacy primary ${prevPrimary ? 'gave no replication section' : 'was not read in the previous sample'}`,
    );
  for (const m of targetMasters) {
    const prev = prevNode(m);
    if (!m.ok) unseen.push(unreachable(m));
    else if (!m.replication) unseen.push(`${m.address} gave no replication section`);
    else if (!prev?.replication) unseen.push(`${m.address} was not a master read in the previous sample`);
    else if (m.replication.replid !== prev.replication.replid) count++;
  }
  if (targetMasters.length === 0) unseen.push('no target master was read');
  return lowerBound(count, unseen.length === 0, joinCauses(unseen));
}

/** Legacy commands, write bytes and key changes since the previous sample, soakwatch's own taken out. */
function legacyActivity(
  primary: NodeSample | undefined,
  prev: NodeSample | undefined,
  legacyCause: string,
  hasPrevious: boolean,
): { commands: Measured; writeBytes: Measured; writes: Measured } {
  const none = (note: string) => ({
    commands: { value: null, note },
    writeBytes: { value: null, note },
    writes: { value: null, note },
  });
  if (!hasPrevious) return none('needs a previous sample');
  if (!primary?.ok) return none(legacyCause);
  if (!prev?.ok || prev.role !== 'master')
    return none('the legacy primary was not read in the previous sample');
  if (primary.address !== prev.address)
    return none(`the legacy primary changed (${prev.address} → ${primary.address})`);
  if (!primary.stats || !prev.stats) return none(`${primary.address} gave no stats`);
  if (!primary.own || !prev.own) return none(`soakwatch's own traffic to ${primary.address} was not counted`);
  const own = ownDelta(prev.own, primary.own.atInfo);
  const delta = primary.stats.totalCommands - prev.stats.totalCommands;
  // Counters reset (restart, CONFIG RESETSTAT): nothing can be said about this interval.
  const reset = `counters reset on ${primary.address}`;
  const commandCount = delta < 0 ? null : Math.max(0, delta - own.commands);
  const commands: Measured = commandCount === null ? { value: null, note: reset } : { value: commandCount };

  const ownWrites = Object.entries(own.byCommand).reduce(
    (sum, [name, n]) => sum + (WRITE_COMMANDS.has(name) ? n : 0),
    0,
  );
  const cur = primary.persistence;
  const before = prev.persistence;
  if (!cur || !before) {
    const note = `${primary.address} gave no persistence section (its change counter)`;
    return { commands, writeBytes: { value: null, note }, writes: { value: null, note } };
  }
  const saved = cur.lastSaveTime !== before.lastSaveTime || cur.changesSinceSave < before.changesSinceSave;
  // After an RDB save the counter restarted: what it shows now is a lower bound of the writes.
  const changes = saved ? cur.changesSinceSave : cur.changesSinceSave - before.changesSinceSave;
  const appWrites = changes - ownWrites;
  // Key changes for the writes in flight: an upper bound is needed, and across a save only the
  // commands processed give one (every write is a command).
  const writes: Measured = !saved
    ? { value: Math.max(0, appWrites) }
    : commandCount === null
      ? { value: null, note: `an RDB save and a counter reset on ${primary.address}` }
      : { value: commandCount, note: `an RDB save on ${primary.address}: bounded by the commands processed` };
  if (appWrites <= 0)
    return {
      commands,
      writeBytes: saved
        ? {
            value: null,
            note: `an RDB save on ${primary.address} restarted its change counter, which shows no write since`,
          }
        : { value: 0 },
      writes,
    };
  const sameStream =
    primary.replication && prev.replication && primary.replication.replid === prev.replication.replid;
  const offsetBytes = sameStream
    ? (primary.replication?.offset ?? 0) - (prev.replication?.offset ?? 0) - own.writeBytes
    : 0;
  // Writes happened: their size from the offset growth, and never less than one per write.
  return {
    commands,
    writeBytes: {
      value: Math.max(appWrites, offsetBytes),
      note: `${fmt(appWrites)} key changes${saved ? ' since an RDB save' : ''}`,
    },
    writes,
  };
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

function appClients(nodes: NodeSample[], cdc: readonly string[]): Measured {
  let count = 0;
  const unseen: string[] = [];
  for (const n of nodes) {
    if (!n.ok) {
      unseen.push(unreachable(n));
      continue;
    }
    if (!n.clients) {
      unseen.push(
        n.clientsError
          ? `CLIENT LIST refused on ${n.address}: ${n.clientsError}`
          : `CLIENT LIST not read on ${n.address} in this sample (read every few samples in this phase)`,
      );
      continue;
    }
    for (const c of n.clients) {
      if (c.isSoakwatch) continue;
      // S: a replica's link to its primary; M: a replica's link from the primary.
      if (/[SM]/.test(c.flags)) continue;
      if (SENTINEL_CONNECTION.test(c.name)) continue;
      if (isCdcAddress(c.address, cdc)) continue;
      // No command run yet: a connection being opened right now, whose name (CLIENT SETNAME) is not set
      // yet — often another soakwatch process sampling the same legacy. An application that stays
      // connected has run a command by the next sample and is counted then.
      if (c.cmd === 'NULL') continue;
      count++;
    }
  }
  if (nodes.length === 0) unseen.push('no legacy node was read');
  return lowerBound(count, unseen.length === 0, joinCauses(unseen));
}

/** Why a node has no delta against the previous sample, or undefined when it has one. */
function deltaCause(
  n: NodeSample,
  p: NodeSample | undefined,
  cur: number | undefined,
  before: number | undefined,
): string | undefined {
  if (!n.ok) return unreachable(n);
  if (!p) return `${n.address} was not read (as a ${n.role}) in the previous sample`;
  if (cur === undefined || before === undefined) return `${n.address} gave no stats`;
  if (cur < before) return `counters reset on ${n.address}`;
  return undefined;
}

/**
 * Error replies per 1000 commands since the previous sample, over at least ERROR_RATE_MIN_COMMANDS
 * commands (see there: a handful of errors over a handful of commands is not a rate).
 */
function errorRate(
  nodes: NodeSample[],
  prevNode: (n: NodeSample) => NodeSample | undefined,
  previous: Sample | undefined,
): Measured {
  if (!previous) return { value: null, note: 'needs a previous sample' };
  if (nodes.length === 0) return { value: null, note: 'no node was read' };
  let commands = 0;
  let errors = 0;
  const unseen: string[] = [];
  for (const n of nodes) {
    const p = prevNode(n);
    const why =
      deltaCause(n, p, n.stats?.totalCommands, p?.stats?.totalCommands) ??
      deltaCause(n, p, n.stats?.totalErrorReplies, p?.stats?.totalErrorReplies);
    if (why) {
      unseen.push(why);
      continue;
    }
    commands += (n.stats?.totalCommands ?? 0) - (p?.stats?.totalCommands ?? 0);
    errors += (n.stats?.totalErrorReplies ?? 0) - (p?.stats?.totalErrorReplies ?? 0);
  }
  if (unseen.length > 0) return { value: null, note: joinCauses(unseen) };
  const over = Math.max(commands, ERROR_RATE_MIN_COMMANDS);
  return {
    value: (1000 * errors) / over,
    note: `${fmt(errors)} error replies over ${fmt(commands)} commands${commands < ERROR_RATE_MIN_COMMANDS ? ` (a rate over fewer than ${fmt(ERROR_RATE_MIN_COMMANDS)} commands is taken over ${fmt(ERROR_RATE_MIN_COMMANDS)})` : ''}`,
  };
}

function sumDeltas(
  nodes: NodeSample[],
  prevNode: (n: NodeSample) => NodeSample | undefined,
  value: (n: NodeSample) => number | undefined,
  previous: Sample | undefined,
): Measured {
  if (!previous) return { value: null, note: 'needs a previous sample' };
  let total = 0;
  const unseen: string[] = [];
  for (const n of nodes) {
    const p = prevNode(n);
    const cur = n.ok ? value(n) : undefined;
    const before = p ? value(p) : undefined;
    const why = deltaCause(n, p, cur, before);
    if (why) unseen.push(why);
    else total += (cur ?? 0) - (before ?? 0);
  }
  if (nodes.length === 0) unseen.push('no node was read');
  return lowerBound(total, unseen.length === 0, joinCauses(unseen));
}

function offsetGrowth(
  masters: NodeSample[],
  prevNode: (n: NodeSample) => NodeSample | undefined,
  previous: Sample | undefined,
): Measured {
  if (!previous) return { value: null, note: 'needs a previous sample' };
  let total = 0;
  const unseen: string[] = [];
  for (const m of masters) {
    const p = prevNode(m);
    if (!m.ok) unseen.push(unreachable(m));
    else if (!m.replication || !p?.replication)
      unseen.push(`${m.address} was not a master read in the previous sample`);
    else if (p.replication.replid !== m.replication.replid)
      unseen.push(`the replication id of ${m.address} changed (a restart or a failover)`);
    // A master that never had a replica keeps no backlog and master_repl_offset stays 0 whatever is
    // written: its writes cannot be seen this way ("no data", never 0).
    else if (m.replication.offset === 0 && m.replication.replicas.length === 0)
      unseen.push(`${m.address} never had a replica: its replication offset does not grow`);
    else total += Math.max(0, m.replication.offset - p.replication.offset);
  }
  if (masters.length === 0) unseen.push('no target master was read');
  return lowerBound(total, unseen.length === 0, joinCauses(unseen));
}

/** A count seen on part of the nodes: kept when above 0 (a lower bound), else "no data". */
function lowerBound(count: number, complete: boolean, cause: string): Measured {
  if (complete) return { value: count };
  return count > 0
    ? { value: count, note: `at least ${fmt(count)}: ${cause}` }
    : { value: null, note: cause || 'no data' };
}
