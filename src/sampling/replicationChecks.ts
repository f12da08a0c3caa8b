import type { TenantConfig } from '../config/schema.js';
import {
  beforeDeadline,
  describeFailure,
  type LegacyHandle,
  type OwnTraffic,
  type TargetHandle,
} from '../redis/index.js';
import {
  type CdcProgress,
  MISMATCH_CLASSES,
  parseSpotCheckState,
  type SpotCheckState,
  SpotCheckTick,
  type SpotCheckTickResult,
} from './consistency/index.js';
import type { DeriveInputs } from './derive.js';
import { type HeartbeatWrite, heartbeat } from './heartbeat.js';
import type { PrefixScanState } from './prefixCounts.js';
import { runPrefixPass } from './prefixPass.js';
import type { Sample } from './types.js';

export interface ReplicationChecksOptions {
  /** Where the per-prefix SCAN state lives between ticks (cluster targets with prefixes). */
  prefixState?: { load(): Promise<unknown>; save(state: PrefixScanState): Promise<void> };
  /** SCAN budget of the per-prefix counter per tick (default 10 000 keys). */
  scanKeysPerTick?: number;
  /** Random keys per legacy db for the spot-check (default 100; 0 turns it off). */
  spotCheckKeys?: number;
  /**
   * Where the spot-check's suspects live between ticks: each is judged at a later tick. Without it
   * they are kept in this process (a warm Lambda, an in-process caller), in `suspects`.
   */
  spotCheckState?: { load(): Promise<unknown>; save(state: SpotCheckState): Promise<void> };
  /**
   * The longest the heartbeat polls the target for its value (default 2 s), and never more than
   * HEARTBEAT_BUDGET_SHARE of what is left of the sample budget.
   */
  heartbeatBudgetMs?: number;
  /** Upper bound of the key-removal reading after a SCAN pass completes in the soak (default 1 s). */
  removalsBudgetMs?: number;
}

/** Share of the budget left after the node reads that the heartbeat poll may take at most. */
export const HEARTBEAT_BUDGET_SHARE = 0.4;
/** Share of the budget left after the node reads kept for the per-prefix SCAN, when it runs. */
export const PREFIX_BUDGET_SHARE = 0.25;
/** Share of the spot-check's time for new keys; the re-checks of earlier suspects get the rest. */
const LOOK_BUDGET_SHARE = 0.6;
/** The least TTL tolerance of the spot-check, raised to the measured CDC lag. */
const MIN_TTL_TOLERANCE_MS = 1_000;

/** soakwatch's heartbeat key of a tenant on legacy (the target key adds the db's prefix). */
export function heartbeatKey(tenantId: string): string {
  return `__soakwatch:hb:{${tenantId}}`;
}

/**
 * Replication-phase checks through the heartbeat, spot-check and prefix counter modules: the CDC
 * lag, confirmed mismatches, and per-prefix target counts. A failing check is recorded, never thrown.
 * Every check ends by `deadline` (Date.now() ms): the heartbeat is a short poll (a heartbeat not seen is
 * a censored lag), the spot-check judges its suspects at a later tick, and what the budget leaves
 * undone is reported as such and not counted.
 */
export async function runReplicationChecks(
  tenant: TenantConfig,
  legacy: LegacyHandle,
  target: TargetHandle,
  opts: ReplicationChecksOptions & {
    /** The spot-check suspects of this process, per target handle (see SamplingCache.suspects). */
    suspects: WeakMap<TargetHandle, SpotCheckState>;
    phase?: string;
    previous?: Sample;
    now: () => number;
    /** Date.now() after which no check reads anything more (default: 5 s from now). */
    deadline?: number;
    /** The sample's INFO reads so far (legacy counts and counters seen over a SCAN pass). */
    sample?: Pick<Sample, 'at' | 'legacy' | 'target'>;
    /** What soakwatch has sent to a node so far (the pool's ledger). */
    ownTraffic?: (address: string) => OwnTraffic;
  },
): Promise<{ inputs: DeriveInputs; record: Record<string, unknown> }> {
  const inputs: DeriveInputs = {};
  const record: Record<string, unknown> = {};
  const replication = opts.phase === 'replication';
  const deadline = opts.deadline ?? Date.now() + 5_000;
  const left = () => Math.max(0, deadline - Date.now());
  const hb = tenant.legacy.heartbeat;
  const key = heartbeatKey(tenant.id);
  const targetKey = `${tenant.target.dbMap[String(hb.db)] ?? ''}${key}`;
  const exclude = (k: string) => k === key || k === targetKey;
  // The target's main client (a Cluster client in cluster mode), waited for no later than `until`.
  const main = (until = deadline) => beforeDeadline(target.main(), until, 'the target cluster client');

  // The heartbeat key exists from the first heartbeat on: it is taken out of the key counts.
  // Carried from sample to sample (the key stays after the replication phase), and taken at INFO time:
  // this sample's heartbeat only counts from the next sample on.
  const own = ownKeysOf(opts.previous);
  if (own) inputs.ownKeys = { [String(hb.db)]: own };
  record.heartbeatKey = own ?? { legacy: 0, target: 0 };

  // The budget left after the node reads, shared so that no check starves the others: the heartbeat
  // poll gets its share, the per-prefix SCAN (when it runs) a quarter, the spot-check the rest.
  const budget = left();
  const countsPrefixes =
    opts.prefixState !== undefined && !Object.values(tenant.target.dbMap).every((p) => p === '');
  const prefixShare = countsPrefixes ? budget * PREFIX_BUDGET_SHARE : 0;
  const pollMs = Math.floor(Math.min(opts.heartbeatBudgetMs ?? 2_000, budget * HEARTBEAT_BUDGET_SHARE));
  const checksEnd = deadline - prefixShare;
  const lookEnd = Date.now() + Math.max(0, budget - prefixShare - pollMs) * LOOK_BUDGET_SHARE;

  // Spot-check, part 1: new random keys, looked at before the heartbeat is written (so a heartbeat seen
  // at a later tick proves the CDC has applied whatever was in flight at these looks).
  const keysPerDb = opts.spotCheckKeys ?? 100;
  const store = opts.spotCheckState;
  let spot: SpotCheckTick | undefined;
  if (replication && keysPerDb > 0) {
    try {
      const state = parseSpotCheckState(
        store
          ? await beforeDeadline(store.load(), lookEnd, 'the spot-check state')
          : opts.suspects.get(target),
      );
      const legacyClients = new Map(
        await beforeDeadline(
          Promise.all(tenant.legacy.dbs.map(async (db) => [db, await legacy.legacyDb(db, 'read')] as const)),
          lookEnd,
          'the legacy connections',
        ),
      );
      spot = new SpotCheckTick({
        legacy: (db) => {
          const client = legacyClients.get(db);
          if (!client) throw new Error(`no legacy connection for db ${db}`);
          return client;
        },
        target: await main(lookEnd),
        dbMap: tenant.target.dbMap,
        dbs: tenant.legacy.dbs,
        keysPerDb,
        ttlToleranceMs: MIN_TTL_TOLERANCE_MS,
        state,
        exclude,
        now: opts.now,
      });
      // The TTL tolerance of a first look: the lag measured by the previous sample.
      await spot.lookAtNewKeys(lookEnd, finiteOrNull(opts.previous?.derived.cdcLagMs));
    } catch (error) {
      spot = undefined;
      record.spotCheck = { error: describeFailure(error) };
    }
  }

  // Heartbeat: a short poll; not seen by then, a censored lag from the oldest write not yet seen.
  let cdc: CdcProgress = { lagMs: null };
  if (replication && hb.enabled) {
    const unseen = unseenOf(opts.previous);
    try {
      const result = await beforeDeadline(
        (async () =>
          heartbeat({
            legacyDb: await legacy.legacyDb(hb.db, 'write'),
            target: await main(),
            key,
            targetKey,
            seq: opts.now(),
            now: opts.now,
            budgetMs: Math.max(0, Math.min(pollMs, checksEnd - Date.now())),
            unseen,
          }))(),
        Math.min(checksEnd, Date.now() + pollMs + budget * 0.1),
        'the heartbeat',
      );
      record.heartbeat = result;
      record.heartbeatKey = { legacy: 1, target: !result.censored || own?.target === 1 ? 1 : 0 };
      inputs.cdcLagMs = result.censored ? result.atLeastMs : result.cdcLagMs;
      cdc = { lagMs: inputs.cdcLagMs, appliedUpTo: result.appliedUpTo };
    } catch (error) {
      // The earlier unseen writes stay the origin of the next censored lag. Nothing is known of the
      // CDC's progress: no suspect is judged.
      record.heartbeat = { error: describeFailure(error), unseen };
      inputs.cdcLagMs = null;
      cdc = { lagMs: null, appliedUpTo: null };
    }
  }

  // Spot-check, part 2: the suspects of earlier ticks the CDC has caught up with are judged.
  if (spot) {
    try {
      await spot.recheckSuspects(checksEnd, cdc);
      const { result, state: next } = spot.finish();
      // Saved even when the budget has run out: the suspects found must reach the next tick.
      if (store) await store.save(next);
      else opts.suspects.set(target, next);
      record.spotCheck = withoutKeyNames(result);
      spotCheckInputs(inputs, result);
    } catch (error) {
      record.spotCheck = { error: describeFailure(error) };
    }
  }

  const prefixes = Object.values(tenant.target.dbMap);
  const identity = prefixes.length === 1 && prefixes[0] === '';
  if (opts.prefixState && !identity) {
    try {
      const pass = await runPrefixPass({
        tenant,
        legacy,
        target,
        main: () => main(),
        deadline,
        prefixState: opts.prefixState,
        keysPerTick: opts.scanKeysPerTick ?? 10_000,
        exclude,
        sample: opts.sample,
        previous: opts.previous,
        ownKeys: inputs.ownKeys,
        cdcLagMs: inputs.cdcLagMs ?? null,
        phase: opts.phase,
        now: opts.now,
        budgetMs: Math.min(opts.removalsBudgetMs ?? 1_000, left()),
        ...(opts.ownTraffic ? { ownTraffic: opts.ownTraffic } : {}),
      });
      record.prefixCounts = pass.record;
      inputs.prefixPasses = pass.inputs;
    } catch (error) {
      record.prefixCounts = { error: describeFailure(error) };
      inputs.prefixError = describeFailure(error);
    }
  }
  return { inputs, record };
}

/**
 * The judge's Wilson-bound inputs of one sample: `spotCheckChecked` = keys whose verdict this sample
 * settled (equal at their first look, cleared or confirmed at their re-check), `spotCheckMismatches` =
 * suspects confirmed this sample (a subset of them). Suspects still pending, dropped as unstable, or
 * not read are in neither.
 */
function spotCheckInputs(inputs: DeriveInputs, result: SpotCheckTickResult): void {
  inputs.spotCheckMismatches = result.mismatches;
  inputs.spotCheckChecked = result.checked;
}

/**
 * The tick's result as the sample stores it: the example keys of each class are dropped (key names may
 * hold customer data and never leave the sampler); `summary` names the mismatches by key pattern.
 */
function withoutKeyNames(result: SpotCheckTickResult): SpotCheckTickResult {
  const byClass = { ...result.byClass };
  for (const cls of MISMATCH_CLASSES) byClass[cls] = { count: result.byClass[cls].count, examples: [] };
  return { ...result, byClass };
}

function finiteOrNull(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Heartbeat writes the previous sample left unseen on the target (oldest first). */
function unseenOf(previous: Sample | undefined): HeartbeatWrite[] {
  const hb = previous?.checks?.heartbeat as { unseen?: unknown } | undefined;
  if (!Array.isArray(hb?.unseen)) return [];
  return hb.unseen.flatMap((w: unknown) => {
    const { seq, at } = (w ?? {}) as { seq?: unknown; at?: unknown };
    return typeof seq === 'number' && typeof at === 'number' && Number.isFinite(seq) && Number.isFinite(at)
      ? [{ seq, at }]
      : [];
  });
}

/** Whether soakwatch's heartbeat key exists on legacy / target, as the previous sample left it. */
function ownKeysOf(previous: Sample | undefined): { legacy: number; target: number } | undefined {
  const carried = previous?.checks?.heartbeatKey as { legacy?: unknown; target?: unknown } | undefined;
  if (carried && typeof carried.legacy === 'number' && typeof carried.target === 'number')
    return carried.legacy > 0 || carried.target > 0
      ? { legacy: carried.legacy, target: carried.target }
      : undefined;
  // A sample from before heartbeatKey was recorded.
  const hb = previous?.checks?.heartbeat as { value?: string; censored?: boolean } | undefined;
  return hb?.value ? { legacy: 1, target: hb.censored === false ? 1 : 0 } : undefined;
}
