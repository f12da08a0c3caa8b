import type { Redis } from 'ioredis';
import type { TenantConfig } from '../config/schema.js';
import {
  type ClusterNode,
  type ConnectionPool,
  describeFailure,
  formatAddress,
  type HostPort,
  type LegacyHandle,
  parseAddress,
  type TargetHandle,
  withTimeout,
} from '../redis/index.js';
import { cdcLinks, deriveMetrics, isCdcAddress } from './derive.js';
import { SampleError } from './errors.js';
import { failedNode, readNode } from './readNode.js';
import { type ReplicationChecksOptions, runReplicationChecks } from './replicationChecks.js';
import type { NodeSample, Sample } from './types.js';

export interface CollectDeps {
  pool: ConnectionPool;
  /** The sampler's clock (epoch ms). */
  now: () => number;
  /** Whole-sample time budget for reading the nodes (default 5 s). */
  budgetMs?: number;
  /** The tenant's previous sample: rates and deltas are computed against it. */
  previous?: Sample;
  /** `replication`: also run the heartbeat, the spot-check and the per-prefix counter (when configured). */
  phase?: string;
  extras?: ReplicationChecksOptions;
}

// Legacy handles whose CLIENT LIST was refused (NOPERM): not asked again by this process, so the
// refusals do not inflate the legacy error rate every minute.
const clientListRefused = new WeakSet<LegacyHandle>();

/**
 * Samples every node of both clusters of a tenant in parallel: one INFO round trip per node (plus
 * CLIENT LIST on legacy). A node that does not answer within the budget is reported failed with the
 * reason; the rest of the sample is returned and `complete` is false.
 */
export async function collectSample(tenant: TenantConfig, deps: CollectDeps): Promise<Sample> {
  const at = deps.now();
  const budgetMs = deps.budgetMs ?? 5_000;
  const deadline = Date.now() + budgetMs;
  let legacy: LegacyHandle;
  let target: TargetHandle;
  try {
    [legacy, target] = await Promise.all([deps.pool.legacy(tenant), deps.pool.target(tenant)]);
  } catch (error) {
    throw new SampleError(tenant.id, `could not prepare connections: ${describeFailure(error)}`, {
      cause: error,
    });
  }
  const ctx: ReadCtx = { pool: deps.pool, now: deps.now, deadline };
  const [legacyPart, targetPart] = await Promise.all([
    sampleLegacy(tenant, legacy, ctx, deps.previous),
    sampleTarget(target, ctx),
  ]);
  const inProgress = { tenant: tenant.id, at, durationMs: 0, legacy: legacyPart, target: targetPart };

  const checks =
    deps.phase === 'replication' || deps.extras?.prefixState
      ? await runReplicationChecks(tenant, legacy, target, {
          ...deps.extras,
          phase: deps.phase,
          previous: deps.previous,
          now: deps.now,
        })
      : undefined;

  // What soakwatch sent after INFO (CLIENT LIST, heartbeat, spot-check) belongs to the next interval.
  for (const n of legacyPart.nodes) if (n.own) n.own.atEnd = deps.pool.ledger.snapshot(n.address);
  const { keys, derived } = deriveMetrics(inProgress, deps.previous, tenant, checks?.inputs);
  const nodes = [...legacyPart.nodes, ...targetPart.nodes];
  return {
    ...inProgress,
    durationMs: deps.now() - at,
    keys,
    complete: nodes.every((n) => n.ok) && !legacyPart.primaryError && !targetPart.topologyError,
    derived,
    ...(checks ? { checks: checks.record } : {}),
  };
}

interface ReadCtx {
  pool: ConnectionPool;
  now: () => number;
  /** Date.now() after which no node is waited for. */
  deadline: number;
}

/** Reads one node within what is left of the budget. */
function readWithin(
  ctx: ReadCtx,
  side: 'legacy' | 'target',
  node: HostPort,
  getClient: () => Promise<Redis>,
  opts: { persistence?: boolean; clientList?: boolean; roleHint?: NodeSample['role'] } = {},
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
    clientList: opts.clientList,
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
): Promise<Sample['legacy']> {
  const cdc = tenant.legacy.cdcReplicas;
  const results = new Map<string, NodeSample>();
  const readAsPrimary = new Set<string>();
  const read = (node: HostPort, primary: boolean) => {
    if (primary) readAsPrimary.add(formatAddress(node));
    return readWithin(ctx, 'legacy', node, () => handle.node(node), {
      persistence: primary,
      clientList: !clientListRefused.has(handle),
      roleHint: primary ? 'master' : 'replica',
    }).then((n) => {
      if (n.clientsError && /NOPERM/i.test(n.clientsError)) clientListRefused.add(handle);
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

async function sampleTarget(handle: TargetHandle, ctx: ReadCtx): Promise<Sample['target']> {
  const results = new Map<string, NodeSample>();
  const read = (node: ClusterNode | (HostPort & { role?: ClusterNode['role'] })) =>
    readWithin(ctx, 'target', node, () => handle.node(node), {
      roleHint: node.role === 'master' ? 'master' : node.role === 'replica' ? 'replica' : undefined,
    }).then((n) => {
      results.set(n.address, n);
      return n;
    });
  let topologyError: string | undefined;

  if (handle.cluster) {
    const locate = () =>
      withTimeout(
        handle.topology(),
        Math.max(1, ctx.deadline - Date.now()),
        () => new Error('no cluster node answered CLUSTER SHARDS within the sample budget'),
      );
    // The first sample of a handle learns the topology first; later ones re-read it while the known
    // nodes are being sampled, and sample the new ones afterwards.
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
    const round1 = known.map(read);
    let current = known;
    if (!fresh) {
      try {
        current = await locate();
      } catch (error) {
        topologyError = describeFailure(error);
      }
    }
    await Promise.all(round1);
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
