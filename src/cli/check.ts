import { configSchema, type TenantConfig } from '../config/index.js';
import { type ConnectionPool, createConnectionPool } from '../redis/index.js';
import { createSamplingCache } from '../sampling/cache.js';
import { collectSample } from '../sampling/collectSample.js';
import type { NodeSample, Sample } from '../sampling/types.js';
import { formatDuration } from '../util/duration.js';
import { redactUrl } from '../util/redact.js';
import { UsageError } from './errors.js';
import { parseDbMap } from './parse.js';
import { table } from './render.js';

export interface CheckOptions {
  legacy: string;
  target: string;
  cluster?: boolean;
  dbMap: string;
  json?: boolean;
}

export interface CheckResult {
  consistent: boolean;
  legacy: string;
  target: string;
  dbs: {
    db: number;
    prefix: string;
    legacyKeys: number | null;
    targetKeys: number | null;
    drift: number | null;
    legacyPersistent: number | null;
    targetPersistent: number | null;
    targetSource: string;
  }[];
  nodes: {
    side: string;
    address: string;
    role: string;
    ok: boolean;
    error?: string;
    usedMemory: number | null;
    maxmemory: number | null;
  }[];
  durationMs: number;
}

/** Compares the two clusters once through the sampler: one INFO per node, a full per-prefix count where needed. */
export async function checkClusters(opts: Omit<CheckOptions, 'json'>): Promise<CheckResult> {
  const dbMap = parseDbMap(opts.dbMap);
  // Through the whole config schema (one tenant) so the same rules apply as to a config file: URL
  // schemes, and two dbs mapped to overlapping prefixes. The state store is never contacted.
  const parsed = configSchema.safeParse({
    tenants: [
      {
        id: 'check',
        legacy: { url: opts.legacy, dbs: Object.keys(dbMap).map(Number), heartbeat: { enabled: false } },
        target: { url: opts.target, cluster: Boolean(opts.cluster), dbMap },
      },
    ],
  });
  const tenant = parsed.data?.tenants[0];
  if (!parsed.success || !tenant) {
    const issue = parsed.error?.issues[0];
    const flag = issue?.path.includes('legacy')
      ? '--legacy'
      : issue?.path.includes('dbMap')
        ? '--db-map'
        : issue?.path.includes('target')
          ? '--target'
          : '--db-map';
    throw new UsageError(`${flag}: ${issue?.message ?? 'invalid'}`);
  }
  const pool = createConnectionPool({ commandTimeoutMs: 2_000, connectTimeoutMs: 3_000 });
  let prefixState: unknown;
  try {
    const sample = await collectSample(tenant, {
      pool,
      // One look: nothing is learnt for a later sample.
      cache: createSamplingCache(),
      now: Date.now,
      budgetMs: 10_000,
      // The SCAN pass must complete (exact counts): the checks are not held to the tick's budget.
      checksBudgetMs: 300_000,
      phase: 'check',
      // Memory of every node, legacy included, for the table (the tick samples only what metrics need).
      detail: 'full',
      // One complete SCAN pass per target master so per-prefix counts are exact, not estimates.
      extras: {
        spotCheckKeys: 0,
        scanKeysPerTick: Number.MAX_SAFE_INTEGER,
        prefixState: {
          load: () => Promise.resolve(prefixState),
          save: (state) => {
            prefixState = state;
            return Promise.resolve();
          },
        },
      },
    });
    const unreachable = [...sample.legacy.nodes, ...sample.target.nodes].filter((n) => !n.ok);
    if (sample.legacy.nodes.length === 0 || sample.target.nodes.length === 0 || unreachable.length > 0) {
      const first = unreachable[0];
      const side = sample.legacy.nodes.length === 0 || first?.side === 'legacy' ? 'legacy' : 'target';
      const why =
        first?.error ?? sample.legacy.primaryError ?? sample.target.topologyError ?? 'no node answered';
      // Node errors often start with the address already ("127.0.0.1:1: could not connect…").
      const detail =
        first && why.startsWith(`${first.address}:`) ? why.slice(first.address.length + 1).trim() : why;
      throw new UsageError(
        `cannot read the ${side} cluster${first ? ` at ${first.address}` : ''}: ${detail}`,
      );
    }
    // With --cluster the per-prefix counts need the topology; without it a cluster node only counts its own slots.
    if (sample.target.topologyError)
      throw new UsageError(
        `--cluster: cannot read the target's cluster topology: ${sample.target.topologyError}`,
      );
    if (!opts.cluster) await refuseClusterNode(pool, tenant);
    return toResult(opts, sample);
  } finally {
    await pool.closeAll();
  }
}

/** A cluster-mode target read as a single node would report only that node's slots: a wrong count. */
async function refuseClusterNode(pool: ConnectionPool, tenant: TenantConfig): Promise<void> {
  const main = await (await pool.target(tenant)).main();
  const info = await main.info('cluster').catch(() => '');
  if (/cluster_enabled:1/.test(info))
    throw new UsageError('--cluster: the target is a cluster-mode node; add --cluster to count every master');
}

function toResult(opts: Omit<CheckOptions, 'json'>, sample: Sample): CheckResult {
  const dbs = Object.entries(sample.keys).map(([db, k]) => ({
    db: Number(db),
    prefix: k.prefix,
    legacyKeys: k.legacy,
    targetKeys: k.target,
    drift: k.legacy !== null && k.target !== null ? k.target - k.legacy : null,
    legacyPersistent: k.legacyPersistent,
    targetPersistent: k.targetPersistent,
    targetSource: k.targetSource,
  }));
  const node = (n: NodeSample) => ({
    side: n.side,
    address: n.address,
    role: n.role,
    ok: n.ok,
    ...(n.error ? { error: n.error } : {}),
    usedMemory: n.memory?.used ?? null,
    maxmemory: n.memory?.maxmemory ?? null,
  });
  return {
    // No data is never "consistent".
    consistent: dbs.every((d) => d.drift === 0),
    legacy: redactUrl(opts.legacy),
    target: redactUrl(opts.target),
    dbs,
    nodes: [...sample.legacy.nodes, ...sample.target.nodes].map(node),
    durationMs: sample.durationMs,
  };
}

const mb = (bytes: number | null) => (bytes === null ? null : `${(bytes / 1_048_576).toFixed(1)} MB`);

export function renderCheck(r: CheckResult): string {
  const keys = table(
    ['db', 'prefix', 'legacy keys', 'target keys', 'drift', 'target count'],
    r.dbs.map((d) => [
      d.db,
      d.prefix === '' ? '(none)' : d.prefix,
      d.legacyKeys,
      d.targetKeys,
      d.drift,
      d.targetSource,
    ]),
  );
  const nodes = table(
    ['cluster', 'node', 'role', 'used memory', 'maxmemory', 'status'],
    r.nodes.map((n) => [
      n.side,
      n.address,
      n.role,
      mb(n.usedMemory),
      n.maxmemory ? mb(n.maxmemory) : 'no limit',
      n.ok ? 'ok' : `FAILED ${n.error ?? ''}`,
    ]),
  );
  const verdict = r.consistent
    ? 'CONSISTENT: every db has the same key count on both sides'
    : 'NOT CONSISTENT: key counts differ (or could not be read)';
  return `legacy ${r.legacy}\ntarget ${r.target}\n\n${keys}\n\n${nodes}\n\n${verdict} (${formatDuration(r.durationMs)})`;
}

export async function checkCommand(opts: CheckOptions, print: (text: string) => void): Promise<number> {
  const result = await checkClusters(opts);
  print(opts.json ? JSON.stringify(result, null, 2) : renderCheck(result));
  return result.consistent ? 0 : 1;
}
