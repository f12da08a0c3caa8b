import type { Redis } from 'ioredis';
import type { TenantConfig } from '../config/schema.js';
import {
  type ClusterNode,
  type ConnectionPool,
  DEFAULT_TOPOLOGY_POLICY,
  describeFailure,
  formatAddress,
  type HostPort,
  type LegacyHandle,
  type NodeView,
  parseAddress,
  type TargetHandle,
  TopologyCache,
  type TopologyPolicy,
  withTimeout,
} from '../redis/index.js';
import type { SamplingCache } from './cache.js';
import { cdcLinks, deriveMetrics, isCdcAddress } from './derive.js';
import { SampleError } from './errors.js';
import { readSoakRemovals } from './keyRemovals.js';
import { targetDb } from './prefixPass.js';
import { type ClientListMemo, failedNode, readNode } from './readNode.js';
import { type ReplicationChecksOptions, runReplicationChecks } from './replicationChecks.js';
import type { NodeSample, Sample } from './types.js';

export interface CollectDeps {
  pool: ConnectionPool;
  /**
   * What this process learnt in earlier samples (topologies, CLIENT LIST memos and refusals, the
   * spot-check's suspects when no state store keeps them): the caller's, one per process.
   */
  cache: SamplingCache;
  /** The sampler's clock (epoch ms). */
  now: () => number;
  /**
   * Whole-sample time budget (default 5 s): the node reads and the checks after them (heartbeat,
   * spot-check, per-prefix SCAN) all end within it, whatever the fault; what it leaves undone is
   * reported as such and not counted.
   */
  budgetMs?: number;
  /**
   * A one-off look (`soakwatch check`) that must finish its checks (a whole SCAN pass): how long the
   * checks may take after the node reads instead of what is left of `budgetMs`.
   */
  checksBudgetMs?: number;
  /** The tenant's previous sample: rates and deltas are computed against it. */
  previous?: Sample;
  /** `replication`: also run the heartbeat, the spot-check and the per-prefix counter (when configured). */
  phase?: string;
  extras?: ReplicationChecksOptions;
  /**
   * `metrics` (default): each node is asked only what the catalogue's metrics read there. `full`:
   * also legacy memory and the clients section (a one-off look such as `soakwatch check`).
   */
  detail?: 'metrics' | 'full';
  /** When a cached cluster topology is re-read without a signal of change (default 5 min / 10 samples). */
  topology?: Partial<TopologyPolicy>;
}

/** Share of the budget the node reads may take when checks follow them. */
export const READ_BUDGET_SHARE = 0.6;
/** Time kept at the end of the budget after the checks (at most; 5 % of it): saving their state, deriving the metrics. */
const CHECKS_RESERVE_MS = 250;

// Outside the phases whose criteria read legacyAppClients, CLIENT LIST is read every this many samples
// (see SamplingCache.clientListAge).
const CLIENT_LIST_EVERY = 10;

/**
 * Samples every node of both clusters of a tenant in parallel: one INFO round trip per node, asking
 * only the sections its metrics read (plus CLIENT LIST on legacy when its connections changed). A
 * cluster target's topology is cached and re-read when the nodes' INFO shows a change or it is old.
 * A node that does not answer within the budget is reported failed with the reason; the rest of the
 * sample is returned and `complete` is false.
 */
export async function collectSample(tenant: TenantConfig, deps: CollectDeps): Promise<Sample> {
  const at = deps.now();
  const budgetMs = deps.budgetMs ?? 5_000;
  const started = Date.now();
  const deadline = started + budgetMs;
  const runsChecks = deps.phase === 'replication' || deps.extras?.prefixState !== undefined;
  // With checks to run, a node that has not answered by READ_BUDGET_SHARE of the budget is failed,
  // so the checks keep the rest of it.
  const readDeadline = runsChecks ? started + budgetMs * READ_BUDGET_SHARE : deadline;
  let legacy: LegacyHandle;
  let target: TargetHandle;
  try {
    [legacy, target] = await Promise.all([deps.pool.legacy(tenant), deps.pool.target(tenant)]);
  } catch (error) {
    throw new SampleError(tenant.id, `could not prepare connections: ${describeFailure(error)}`, {
      cause: error,
    });
  }
  // The checks' cluster client connects while the nodes are read (a fresh process pays its handshake
  // and slot-table read then, not out of the checks' share of the budget).
  if (runsChecks && target.cluster) target.main().catch(() => undefined);
  const ctx: ReadCtx = {
    pool: deps.pool,
    cache: deps.cache,
    now: deps.now,
    deadline: readDeadline,
    full: deps.detail === 'full',
    previous: deps.previous,
  };
  const readsStarted = deps.now();
  const [legacyPart, targetPart] = await Promise.all([
    sampleLegacy(
      tenant,
      legacy,
      ctx,
      deps.previous,
      wantsClientList(deps.cache, tenant, deps.phase, legacy),
    ).then((part) => {
      // The replication checks' legacy connections (per db, on the replica the sample just found)
      // open while the target is still being read.
      if (deps.phase === 'replication') warmLegacyConnections(tenant, legacy);
      return part;
    }),
    sampleTarget(target, ctx, { ...DEFAULT_TOPOLOGY_POLICY, ...deps.topology }),
  ]);
  // Between the first and the last INFO read: writes made in that span are in flight for the key counts.
  const readSpanMs = deps.now() - readsStarted;
  const inProgress = { tenant: tenant.id, at, durationMs: 0, legacy: legacyPart, target: targetPart };

  // The checks end a little before the budget: deriving and returning the sample take a moment too.
  const checksDeadline =
    deps.checksBudgetMs !== undefined
      ? Date.now() + deps.checksBudgetMs
      : deadline - Math.min(CHECKS_RESERVE_MS, budgetMs * 0.05);
  const checks = runsChecks
    ? await runReplicationChecks(tenant, legacy, target, {
        ...deps.extras,
        suspects: deps.cache.suspects,
        phase: deps.phase,
        previous: deps.previous,
        sample: inProgress,
        ownTraffic: (address) => deps.pool.ledger.snapshot(address),
        now: deps.now,
        deadline: checksDeadline,
      })
    : undefined;
  // The soak's data guard: what removed keys on the target masters (read only when it matters).
  if (deps.phase === 'soak')
    await readSoakRemovals(target, targetPart.nodes, deps.previous, {
      db: targetDb(tenant),
      now: deps.now,
      budgetMs: Math.max(0, checksDeadline - Date.now()),
    });

  // What soakwatch sent after INFO (CLIENT LIST, heartbeat, spot-check) belongs to the next interval.
  for (const n of legacyPart.nodes) if (n.own) n.own.atEnd = deps.pool.ledger.snapshot(n.address);
  const { keys, derived, notes } = deriveMetrics(inProgress, deps.previous, tenant, {
    ...checks?.inputs,
    phase: deps.phase,
    readSpanMs,
    ...(checks ? { checksRecord: checks.record } : {}),
  });
  const nodes = [...legacyPart.nodes, ...targetPart.nodes];
  return {
    ...inProgress,
    since: deps.previous?.at ?? null,
    durationMs: deps.now() - at,
    keys,
    complete: nodes.every((n) => n.ok) && !legacyPart.primaryError && !targetPart.topologyError,
    derived,
    notes,
    ...(checks ? { checks: checks.record } : {}),
  };
}

/** Opens (without waiting) the connections the heartbeat and the spot-check use on legacy. */
function warmLegacyConnections(tenant: TenantConfig, legacy: LegacyHandle): void {
  const hb = tenant.legacy.heartbeat;
  if (hb.enabled) legacy.legacyDb(hb.db, 'write').catch(() => undefined);
  for (const db of tenant.legacy.dbs) legacy.legacyDb(db, 'read').catch(() => undefined);
}

interface ReadCtx {
  pool: ConnectionPool;
  cache: SamplingCache;
  now: () => number;
  /** Date.now() after which no node is waited for. */
  deadline: number;
  full: boolean;
  /** The tenant's previous sample: where a target replica's carried memory reading comes from. */
  previous?: Sample;
}

/**
 * A target replica's INFO memory is read every `every` samples (and when its last reading is older
 * than `maxAgeMs`), and carried from the previous sample in between. A replica ignores maxmemory
 * (replica-ignore-maxmemory, on by default and on ElastiCache), so memory % is judged on the masters,
 * which are read every sample; a replica's reading feeds only the fragmentation gauge, which moves over
 * minutes. INFO memory is the costliest section asked: ~10 µs of the ~26 µs a target node's INFO takes
 * the server (bench/sample.bench.ts). A replica found promoted is read again with memory at once.
 */
export const REPLICA_MEMORY = { every: 10, maxAgeMs: 300_000 } as const;

/** The memory reading a target replica may carry instead of reading it, or undefined when one is due. */
export function carriedMemory(
  previous: Sample | undefined,
  address: string,
  now: number,
): NodeSample['memory'] | undefined {
  const node = previous?.target.nodes.find((n) => n.address === address);
  const memory = node?.ok && node.role === 'replica' ? node.memory : undefined;
  if (!previous || !memory) return undefined;
  const readAt = memory.readAt ?? previous.at;
  const carried = (memory.carried ?? 0) + 1;
  if (carried >= REPLICA_MEMORY.every || now < readAt || now - readAt >= REPLICA_MEMORY.maxAgeMs)
    return undefined;
  return { ...memory, readAt, carried };
}

/**
 * Whether this sample reads CLIENT LIST on legacy: always when the phase's criteria read
 * legacyAppClients (and outside the tick's phases), else every CLIENT_LIST_EVERY samples.
 */
function wantsClientList(
  cache: SamplingCache,
  tenant: TenantConfig,
  phase: string | undefined,
  handle: LegacyHandle,
): boolean {
  if (cache.clientListRefused.has(handle)) return false;
  if (phase !== 'replication' && phase !== 'soak') return true;
  if (tenant.soak[phase].criteria.some((c) => c.metric === 'legacyAppClients')) return true;
  const age = cache.clientListAge.get(handle);
  const due = age === undefined || age + 1 >= CLIENT_LIST_EVERY;
  cache.clientListAge.set(handle, due ? 0 : (age ?? 0) + 1);
  return due;
}

/** Reads one node within what is left of the budget. */
function readWithin(
  ctx: ReadCtx,
  side: 'legacy' | 'target',
  node: HostPort,
  getClient: () => Promise<Redis>,
  opts: {
    persistence?: boolean;
    clientList?: boolean;
    clientsMemo?: ClientListMemo;
    roleHint?: NodeSample['role'];
    memory?: boolean;
  } = {},
): Promise<NodeSample> {
  const address = formatAddress(node);
  const start = ctx.now();
  const left = ctx.deadline - Date.now();
  const failed = (reason: string) => {
    const n = failedNode(side, address, reason, ctx.now() - start);
    if (opts.roleHint) n.role = opts.roleHint;
    return n;
  };
  if (left <= 0) return Promise.resolve(failed('sample budget exhausted before this node was read'));
  const read = readNode(getClient, {
    side,
    address,
    persistence: opts.persistence,
    full: ctx.full,
    memory: opts.memory,
    clientList: opts.clientList,
    clientsMemo: opts.clientsMemo,
    own: side === 'legacy' ? () => ctx.pool.ledger.snapshot(address) : undefined,
    now: ctx.now,
  }).then((n) => (n.ok ? n : failed(n.error ?? 'failed')));
  return withTimeout(read, left, () => new Error(`no answer within the sample budget`)).catch((error) =>
    failed(describeFailure(error)),
  );
}

async function sampleLegacy(
  tenant: TenantConfig,
  handle: LegacyHandle,
  ctx: ReadCtx,
  previous: Sample | undefined,
  clientList: boolean,
): Promise<Sample['legacy']> {
  const cdc = tenant.legacy.cdcReplicas;
  const results = new Map<string, NodeSample>();
  let clientsMemo: ClientListMemo | undefined = ctx.cache.clientLists.get(handle);
  if (!clientsMemo) {
    clientsMemo = new Map();
    ctx.cache.clientLists.set(handle, clientsMemo);
  }
  const readAsPrimary = new Set<string>();
  const read = (node: HostPort, primary: boolean) => {
    if (primary) readAsPrimary.add(formatAddress(node));
    return readWithin(ctx, 'legacy', node, () => handle.node(node), {
      persistence: primary,
      clientList,
      clientsMemo,
      roleHint: primary ? 'master' : 'replica',
    }).then((n) => {
      if (n.clientsError && /NOPERM/i.test(n.clientsError)) ctx.cache.clientListRefused.add(handle);
      results.set(n.address, n);
      return n;
    });
  };

  // Round 1: the nodes known from the last sample, while Sentinel is asked where the primary is.
  const cachedPrimary = handle.primary;
  const round1 = [
    ...(cachedPrimary ? [read(cachedPrimary, true)] : []),
    ...handle.replicas.map((r) => read(r, false)),
  ];
  let primary: HostPort | undefined;
  let primaryError: string | undefined;
  try {
    primary = await withTimeout(
      handle.locatePrimary(),
      Math.max(1, ctx.deadline - Date.now()),
      () => new Error('Sentinel did not answer within the sample budget'),
    );
  } catch (error) {
    primaryError = describeFailure(error);
    primary = cachedPrimary;
  }
  await Promise.all(round1);

  // Round 2: a primary not read yet (first sample, or a failover), then replicas it names that are new.
  if (primary) {
    if (!readAsPrimary.has(formatAddress(primary))) await read(primary, true);
  }
  const primaryNode = primary ? results.get(formatAddress(primary)) : undefined;
  if (primaryNode?.ok && primaryNode.replication) {
    handle.replicas = primaryNode.replication.replicas
      .filter((r) => r.state === 'online' && !isCdcAddress(r.address, cdc))
      .flatMap((r) => parseAddress(r.address) ?? []);
  }
  await Promise.all(handle.replicas.filter((r) => !results.has(formatAddress(r))).map((r) => read(r, false)));

  const keep = new Set([primary, ...handle.replicas].flatMap((n) => (n ? [formatAddress(n)] : [])));
  const nodes = [...results.values()].filter((n) => keep.has(n.address));
  const primaryAddress = primary ? formatAddress(primary) : undefined;
  return {
    ...(primaryAddress ? { primary: primaryAddress } : {}),
    primaryChanged:
      primaryAddress !== undefined &&
      previous?.legacy.primary !== undefined &&
      previous.legacy.primary !== primaryAddress,
    ...(primaryError ? { primaryError } : {}),
    nodes,
    cdcLinks: cdcLinks(primaryNode, cdc),
  };
}

async function sampleTarget(
  handle: TargetHandle,
  ctx: ReadCtx,
  policy: TopologyPolicy,
): Promise<Sample['target']> {
  const results = new Map<string, NodeSample>();
  const read = async (node: ClusterNode | (HostPort & { role?: ClusterNode['role'] })) => {
    const roleHint = node.role === 'master' ? 'master' : node.role === 'replica' ? 'replica' : undefined;
    const carry =
      node.role === 'replica' && !ctx.full
        ? carriedMemory(ctx.previous, formatAddress(node), ctx.now())
        : undefined;
    const get = () => handle.node(node);
    let n = await readWithin(ctx, 'target', node, get, { roleHint, ...(carry ? { memory: false } : {}) });
    if (carry && n.ok) {
      // Promoted since the topology was read: its memory is judged now, so it is read now.
      if (n.role === 'replica') n.memory = carry;
      else n = await readWithin(ctx, 'target', node, get, { roleHint: n.role });
    }
    results.set(n.address, n);
    return n;
  };
  let topologyError: string | undefined;

  if (handle.cluster) {
    let cache = ctx.cache.topologies.get(handle);
    if (!cache) {
      cache = new TopologyCache(policy);
      ctx.cache.topologies.set(handle, cache);
    }
    const topologyCache = cache;
    const locate = (prefer?: HostPort[]) =>
      withTimeout(
        handle.topology(prefer),
        Math.max(1, ctx.deadline - Date.now()),
        () => new Error('no cluster node answered CLUSTER SHARDS within the sample budget'),
      ).then((found) => {
        topologyCache.refreshed(ctx.now());
        return found;
      });
    // The first sample of a handle learns the topology first. Later ones sample the known nodes and
    // re-read the topology only when it is old (then while the nodes are read) or when what the nodes
    // just reported does not match it (then the new nodes are read afterwards, in the same sample).
    let fresh = false;
    if (handle.nodes.length === 0) {
      try {
        await locate();
        fresh = true;
      } catch (error) {
        topologyError = describeFailure(error);
        return { nodes: [await read(handle.entry)], topologyError };
      }
    }
    const known = handle.nodes;
    const refreshing = fresh || !cache.due(ctx.now()) ? undefined : locate();
    await Promise.all(known.map(read));
    const changed = cache.check(known, [...results.values()].map(viewOf));
    let current = known;
    if (refreshing || (changed && !fresh)) {
      try {
        current = await (refreshing ??
          locate(known.filter((n) => results.get(n.address)?.ok).sort(mastersFirst)));
      } catch (error) {
        topologyError = describeFailure(error);
      }
    }
    if (!fresh && !refreshing) cache.sampled();
    await Promise.all(current.filter((n) => !results.has(n.address)).map(read));
    const keep = new Set(current.map((n) => n.address));
    return {
      nodes: [...results.values()].filter((n) => keep.has(n.address)),
      ...(topologyError ? { topologyError } : {}),
    };
  }

  // Standalone (cluster mode disabled): the primary endpoint and the replicas it reports.
  const entryAddress = formatAddress(handle.entry);
  await Promise.all([read({ ...handle.entry, role: 'master' }), ...handle.nodes.map(read)]);
  const entry = results.get(entryAddress);
  if (entry?.ok && entry.replication) {
    handle.nodes = entry.replication.replicas.flatMap((r) => {
      const hp = parseAddress(r.address);
      return hp ? [{ ...hp, address: formatAddress(hp), role: 'replica' as const, health: r.state }] : [];
    });
  }
  await Promise.all(handle.nodes.filter((n) => !results.has(n.address)).map(read));
  const keep = new Set([entryAddress, ...handle.nodes.map((n) => n.address)]);
  return { nodes: [...results.values()].filter((n) => keep.has(n.address)) };
}

/** What a node said about its place in the cluster, for the topology cache. */
function viewOf(n: NodeSample): NodeView {
  return {
    address: n.address,
    ok: n.ok,
    role: n.ok ? n.role : 'unknown',
    ...(n.replication?.masterAddress ? { masterAddress: n.replication.masterAddress } : {}),
    replicas: n.replication?.replicas.map((r) => r.address) ?? [],
  };
}

function mastersFirst(a: ClusterNode, b: ClusterNode): number {
  return (a.role === 'master' ? 0 : 1) - (b.role === 'master' ? 0 : 1);
}
