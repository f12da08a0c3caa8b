import type { Cluster, Redis } from 'ioredis';
import type { TenantConfig } from '../config/schema.js';
import {
  BudgetExhaustedError,
  beforeDeadline,
  infoNumber,
  type LegacyHandle,
  type OwnTraffic,
  parseAddress,
  parseInfo,
  type TargetHandle,
  WRITE_COMMANDS,
} from '../redis/index.js';
import { readKeyRemovals } from './keyRemovals.js';
import {
  comparePass,
  type LegacyReading,
  type LegacyTickView,
  type PassComparison,
  type PassLoss,
  passLoss,
  recordPassTick,
  removalReadingsOf,
} from './passWindow.js';
import {
  createPrefixCounter,
  OTHER,
  type PrefixCount,
  type PrefixScanState,
  parsePrefixState,
} from './prefixCounts.js';
import type { NodeSample, Sample } from './types.js';

/** Per legacy db, what the per-prefix counter gives the key metrics (see passWindow.ts for the rule). */
export interface PrefixPassInput {
  /** The last completed pass's counts of the db's prefix; null before the first pass completed. */
  last: { keys: number; persistent: number; completedAt: number } | null;
  /** The last pass against legacy over the pass's span, or why it cannot be compared. */
  comparison: { keys: PassComparison; persistent: PassComparison } | { cause: string } | null;
  /** Keys of the prefix lost between the two last passes (soak phase), or why not known. */
  loss: PassLoss | { cause: string } | null;
  /** Keys the running pass has looked at so far (all prefixes), for its progress. */
  scannedInPass: number;
  /** This tick's estimate from random draws: shown, never judged. */
  estimate: { keys: number; low: number; high: number; persistent: number } | null;
}

export interface PrefixPassOptions {
  tenant: TenantConfig;
  legacy: LegacyHandle;
  target: TargetHandle;
  prefixState: { load(): Promise<unknown>; save(state: PrefixScanState): Promise<void> };
  keysPerTick: number;
  exclude: (key: string) => boolean;
  /** The sample so far (its INFO reads) and the previous one. */
  sample: Pick<Sample, 'at' | 'legacy' | 'target'> | undefined;
  previous: Sample | undefined;
  ownKeys: Record<string, { legacy: number; target: number }> | undefined;
  cdcLagMs: number | null;
  phase: string | undefined;
  now: () => number;
  budgetMs: number;
  /** The target's main client within the budget (default: the handle's, unbounded). */
  main?: () => Promise<Redis | Cluster>;
  /** Date.now() after which no SCAN page or legacy read is started (the sample's budget). */
  deadline?: number;
  /** What soakwatch has sent to a node so far (the pool's ledger): its heartbeat is no churn. */
  ownTraffic?: (address: string) => OwnTraffic;
}

/**
 * One tick of the per-prefix counter: SCAN pages within the budget, then what legacy showed during
 * this tick (counts from the sample's INFO, the change counter before and after the pages) is added to
 * the pass's window, and in the soak phase the target's key removals are read when a pass completes.
 */
export async function runPrefixPass(
  opts: PrefixPassOptions,
): Promise<{ inputs: Record<string, PrefixPassInput>; record: Record<string, unknown> }> {
  const { tenant } = opts;
  const prefixes = Object.values(tenant.target.dbMap);
  const counter = createPrefixCounter({
    target: await (opts.main ? opts.main() : opts.target.main()),
    ...(opts.deadline !== undefined ? { deadline: opts.deadline } : {}),
    prefixes,
    keysPerTick: Math.max(1, opts.keysPerTick),
    exclude: opts.exclude,
  });
  const loaded = parsePrefixState(await opts.prefixState.load());
  const running = loaded.pass;
  const scanStartedAt = opts.now();
  const result = await counter.tick(loaded, scanStartedAt);
  const scanEndedAt = opts.now();
  let state = result.state;

  const dbBuckets = Object.fromEntries(tenant.legacy.dbs.map((db) => [String(db), dbBucket(tenant, db)]));
  const primary = opts.sample?.legacy.nodes.find((n) => n.address === opts.sample?.legacy.primary);
  // Bounded by the sample's budget: a legacy primary that stops answering leaves this tick without it.
  const after = primary?.ok
    ? await within(readLegacyCounters(opts.legacy, primary, opts.now, opts.ownTraffic), opts.deadline)
    : null;
  const view = legacyView(opts, primary, after);
  const soak = opts.phase === 'soak';
  const holder = result.completed ? state.last : state.pass;
  const startedNow = !running || running.startedAt !== holder?.startedAt;
  const targetAtStart = soak && opts.previous ? removalReadingsOf(opts.previous.target.nodes) : null;
  const tick = { counted: result.counted, scanStartedAt, scanEndedAt };
  // A pass that was running without a window (a state from before windows) stays without one: a window
  // missing its first ticks would weigh only part of the pass.
  if (holder && (startedNow || holder.window)) {
    const window = recordPassTick(startedNow ? null : holder.window, tick, view, dbBuckets, targetAtStart);
    if (result.completed && soak && opts.sample) {
      // The removals after the pass's last page, for the per-prefix loss of this pass against the one before.
      const masters = opts.sample.target.nodes.filter((n) => n.role === 'master');
      await readKeyRemovals(opts.target, masters, {
        db: targetDb(tenant),
        now: opts.now,
        budgetMs:
          opts.deadline === undefined
            ? opts.budgetMs
            : Math.max(0, Math.min(opts.budgetMs, opts.deadline - Date.now())),
        due: true,
        previous: opts.previous,
      });
      window.targetAtEnd = removalReadingsOf(masters);
    }
    if (result.completed && state.last) state = { ...state, last: { ...state.last, window } };
    else if (state.pass) state = { ...state, pass: { ...state.pass, window } };
  }
  await opts.prefixState.save(state);

  const inputs: Record<string, PrefixPassInput> = {};
  const scannedInPass = state.pass ? Object.values(state.pass.counts).reduce((a, b) => a + b, 0) : 0;
  for (const [db, bucket] of Object.entries(dbBuckets)) {
    const last = state.last;
    const counted = last
      ? { keys: last.counts[bucket] ?? 0, persistent: last.persistent[bucket] ?? 0 }
      : null;
    const before = state.previous;
    const estimate = result.counts[bucket]?.estimate;
    inputs[db] = {
      last: last && counted ? { ...counted, completedAt: last.completedAt } : null,
      comparison: last && counted ? comparePass(last.window, db, counted) : null,
      loss:
        last && before
          ? passLoss(
              { counts: before.counts[bucket] ?? 0, window: before.window },
              { counts: last.counts[bucket] ?? 0, window: last.window },
            )
          : null,
      scannedInPass,
      estimate: estimate
        ? {
            keys: estimate.count,
            low: estimate.low,
            high: estimate.high,
            persistent: estimate.persistent.count,
          }
        : null,
    };
  }
  return {
    inputs,
    record: { counts: result.counts, scanned: result.scanned, completed: result.completed, perDb: inputs },
  };
}

/** The bucket a legacy db's keys are counted under on the target. */
function dbBucket(tenant: TenantConfig, db: number): string {
  return tenant.target.dbMap[String(db)] ?? '';
}

/** The target db soakwatch counts: 0 on a cluster, the URL's db on a standalone target. */
export function targetDb(tenant: TenantConfig): number {
  if (tenant.target.cluster) return 0;
  try {
    const db = Number(new URL(tenant.target.url).pathname.slice(1) || 0);
    return Number.isInteger(db) ? db : 0;
  } catch {
    return 0;
  }
}

/** What soakwatch had sent to a node, as a reading carries it. */
function ownOf(own: OwnTraffic | undefined): Pick<LegacyReading, 'ownWrites' | 'ownCommands' | 'ownProcess'> {
  if (!own) return {};
  const writes = Object.entries(own.byCommand).reduce(
    (sum, [name, n]) => sum + (WRITE_COMMANDS.has(name) ? n : 0),
    0,
  );
  return { ownWrites: writes, ownCommands: own.commands, ownProcess: own.process };
}

/** The legacy primary's change counter in a node sample (read by the sample's INFO). */
export function legacyReadingOf(n: NodeSample | undefined, at: number): LegacyReading | null {
  if (!n?.ok || !n.persistence || !n.stats) return null;
  return {
    address: n.address,
    at,
    changes: n.persistence.changesSinceSave,
    lastSaveTime: n.persistence.lastSaveTime,
    commands: n.stats.totalCommands,
    ...ownOf(n.own?.atInfo),
  };
}

/** Reads the legacy primary's change and command counters again (INFO persistence and stats). */
async function readLegacyCounters(
  legacy: LegacyHandle,
  primary: NodeSample,
  now: () => number,
  ownTraffic: ((address: string) => OwnTraffic) | undefined,
): Promise<LegacyReading | null> {
  const hp = parseAddress(primary.address);
  if (!hp) return null;
  try {
    const client: Redis = await legacy.node(hp);
    // Before the INFO is sent: soakwatch's writes up to here are in the counter it returns.
    const own = ownOf(ownTraffic?.(primary.address));
    let text: string;
    if (primary.infoMode === 'per-section') {
      const replies = (await client.pipeline().info('persistence').info('stats').exec()) ?? [];
      if (replies.some(([e]) => e)) return null;
      text = replies.map(([, t]) => String(t)).join('\r\n');
    } else text = await client.info('persistence', 'stats');
    const info = parseInfo(text);
    const changes = infoNumber(info, 'rdb_changes_since_last_save');
    const lastSaveTime = infoNumber(info, 'rdb_last_save_time');
    const commands = infoNumber(info, 'total_commands_processed');
    if (changes === undefined || lastSaveTime === undefined || commands === undefined) return null;
    return { address: primary.address, at: now(), changes, lastSaveTime, commands, ...own };
  } catch {
    // Without this reading the pass's churn is unknown: the comparison says so.
    return null;
  }
}

function legacyView(
  opts: PrefixPassOptions,
  primary: NodeSample | undefined,
  after: LegacyReading | null,
): LegacyTickView {
  const at = opts.sample?.at ?? opts.now();
  const prev = opts.previous;
  const counts: LegacyTickView['counts'] = primary?.ok ? {} : null;
  const rates: LegacyTickView['rates'] = {};
  for (const db of opts.tenant.legacy.dbs) {
    const key = String(db);
    const own = opts.ownKeys?.[key]?.legacy ?? 0;
    if (counts && primary) {
      const k = primary.keyspace[db] ?? { keys: 0, expires: 0 };
      counts[key] = { keys: k.keys - own, persistent: k.keys - k.expires - own };
    }
    const before = prev?.keys[key];
    const now = counts?.[key];
    const span = prev ? at - prev.at : 0;
    rates[key] =
      now && before && before.legacy !== null && before.legacyPersistent !== null && span > 0
        ? {
            keys: (now.keys - before.legacy) / span,
            persistent: (now.persistent - before.legacyPersistent) / span,
          }
        : null;
  }
  return {
    at,
    counts,
    rates,
    lagMs: opts.cdcLagMs,
    reading: legacyReadingOf(primary, at),
    after,
  };
}

export type { PrefixCount };
export { OTHER };

/** `p`, or null when `deadline` (Date.now() ms) passes first. */
async function within<T>(p: Promise<T>, deadline: number | undefined): Promise<T | null> {
  if (deadline === undefined) return p;
  try {
    return await beforeDeadline(p, deadline, 'the legacy change counter');
  } catch (error) {
    if (error instanceof BudgetExhaustedError) return null;
    throw error;
  }
}
