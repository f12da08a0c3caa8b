import type { TenantConfig } from '../config/schema.js';
import {
  describeFailure,
  type LegacyHandle,
  type OwnTraffic,
  type TargetHandle,
  withTimeout,
} from '../redis/index.js';
import { spotCheck } from './consistency/index.js';
import type { DeriveInputs } from './derive.js';
import { heartbeat } from './heartbeat.js';
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
  /** How long the heartbeat waits for its value on the target (default 2 s). */
  heartbeatBudgetMs?: number;
  /** Upper bound of the spot-check, re-checks included (default 20 s). */
  spotCheckBudgetMs?: number;
  /** Upper bound of the key-removal reading after a SCAN pass completes in the soak (default 1 s). */
  removalsBudgetMs?: number;
}

/** soakwatch's heartbeat key of a tenant on legacy (the target key adds the db's prefix). */
export function heartbeatKey(tenantId: string): string {
  return `__soakwatch:hb:{${tenantId}}`;
}

/**
 * Replication-phase checks through the heartbeat, spot-check and prefix counter modules: the CDC
 * lag, confirmed mismatches, and per-prefix target counts. A failing check is recorded, never thrown.
 */
export async function runReplicationChecks(
  tenant: TenantConfig,
  legacy: LegacyHandle,
  target: TargetHandle,
  opts: ReplicationChecksOptions & {
    phase?: string;
    previous?: Sample;
    /** The sample's INFO reads so far (legacy counts and counters seen over a SCAN pass). */
    sample?: Pick<Sample, 'at' | 'legacy' | 'target'>;
    /** What soakwatch has sent to a node so far (the pool's ledger). */
    ownTraffic?: (address: string) => OwnTraffic;
    now: () => number;
  },
): Promise<{ inputs: DeriveInputs; record: Record<string, unknown> }> {
  const inputs: DeriveInputs = {};
  const record: Record<string, unknown> = {};
  const replication = opts.phase === 'replication';
  const hb = tenant.legacy.heartbeat;
  const key = heartbeatKey(tenant.id);
  const targetKey = `${tenant.target.dbMap[String(hb.db)] ?? ''}${key}`;
  const exclude = (k: string) => k === key || k === targetKey;

  // The heartbeat key exists from the first heartbeat on: it is taken out of the key counts.
  // Carried from sample to sample (the key stays after the replication phase), and taken at INFO time:
  // this sample's heartbeat only counts from the next sample on.
  const own = ownKeysOf(opts.previous);
  if (own) inputs.ownKeys = { [String(hb.db)]: own };
  record.heartbeatKey = own ?? { legacy: 0, target: 0 };

  let lagMs = 1_000;
  if (replication && hb.enabled) {
    try {
      const result = await heartbeat({
        legacyDb: await legacy.legacyDb(hb.db, 'write'),
        target: await target.main(),
        key,
        targetKey,
        seq: opts.now(),
        now: opts.now,
        budgetMs: opts.heartbeatBudgetMs ?? 2_000,
      });
      record.heartbeat = result;
      record.heartbeatKey = { legacy: 1, target: !result.censored || own?.target === 1 ? 1 : 0 };
      inputs.cdcLagMs = result.censored ? result.atLeastMs : result.cdcLagMs;
      lagMs = Math.max(lagMs, inputs.cdcLagMs);
    } catch (error) {
      record.heartbeat = { error: describeFailure(error) };
      inputs.cdcLagMs = null;
    }
  }

  const keysPerDb = opts.spotCheckKeys ?? 100;
  if (replication && keysPerDb > 0) {
    try {
      const legacyClients = new Map(
        await Promise.all(
          tenant.legacy.dbs.map(async (db) => [db, await legacy.legacyDb(db, 'read')] as const),
        ),
      );
      const budget = opts.spotCheckBudgetMs ?? 20_000;
      const result = await withTimeout(
        spotCheck({
          legacy: (db) => {
            const client = legacyClients.get(db);
            if (!client) throw new Error(`no legacy connection for db ${db}`);
            return client;
          },
          target: await target.main(),
          dbMap: tenant.target.dbMap,
          dbs: tenant.legacy.dbs,
          keysPerDb,
          ttlToleranceMs: lagMs,
          recheckDelayMs: lagMs,
          rounds: 3,
          exclude,
          now: opts.now,
        }),
        budget,
        () => new Error(`spot-check did not finish within ${budget} ms`),
      );
      record.spotCheck = result;
      inputs.spotCheckMismatches = result.mismatches;
      // The judge turns the running totals into spotCheckMismatchRateUpper.
      inputs.spotCheckChecked = result.checked;
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
        prefixState: opts.prefixState,
        keysPerTick: opts.scanKeysPerTick ?? 10_000,
        exclude,
        sample: opts.sample,
        previous: opts.previous,
        ownKeys: inputs.ownKeys,
        cdcLagMs: inputs.cdcLagMs ?? null,
        phase: opts.phase,
        now: opts.now,
        budgetMs: opts.removalsBudgetMs ?? 1_000,
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
