import { userInfo } from 'node:os';
import type { Redis } from 'ioredis';
import { findTenant } from '../release/index.js';
import {
  type ByClass,
  type FullCompareCursor,
  type FullCompareResult,
  fullCompare,
  MISMATCH_CLASSES,
  renderProgress,
  spotCheck,
} from '../sampling/consistency/index.js';
import { heartbeatKey } from '../sampling/index.js';
import { fullCompareEvent, type SoakEvent } from '../soak/index.js';
import type { StateStore } from '../store/index.js';
import { type GlobalOptions, withDeps } from './context.js';
import { UsageError } from './errors.js';
import { table } from './render.js';

const CURSOR_DOC = 'full-compare-cursor';

export interface CompareOptions extends GlobalOptions {
  tenant: string;
  full?: boolean;
  keysPerSecond?: number;
  restart?: boolean;
  json?: boolean;
  /** Who ran the compare (audit trail); default the OS user, else `cli`. */
  actor?: string;
}

/** The OS user running the command, else `cli` (a container may have no passwd entry). */
export function defaultActor(): string {
  try {
    return userInfo().username || 'cli';
  } catch {
    return 'cli';
  }
}

/**
 * Records a finished full compare: a `FullCompare` event the judge reads at the next tick (offline
 * mode: the proof of readiness, or what keeps it back) and an audit entry. `at` is the completion time.
 */
export async function recordFullCompare(
  store: StateStore,
  tenantId: string,
  result: Pick<
    FullCompareResult,
    'checked' | 'mismatches' | 'unverified' | 'unstable' | 'byClass' | 'durationMs'
  >,
  actor: string,
  at: number,
): Promise<SoakEvent> {
  const event = fullCompareEvent(result, at, actor);
  try {
    await store.appendEvent(tenantId, event);
    await store.appendAudit(tenantId, {
      at,
      actor,
      action: 'full-compare',
      reason: event.detail ?? 'full compare',
      detail: {
        event: event.id,
        checked: result.checked,
        mismatches: result.mismatches,
        unverified: result.unverified,
        unstable: result.unstable,
        byClass: event.byClass,
        durationMs: result.durationMs,
      },
    });
  } catch (error) {
    throw new UsageError(
      `the full compare of ${tenantId} finished (${result.checked} keys, ${result.mismatches} mismatches) but could not be recorded; run it again`,
      { cause: error },
    );
  }
  return event;
}

function renderClasses(byClass: ByClass): string {
  return table(
    ['class', 'count', 'examples'],
    MISMATCH_CLASSES.map((c) => [c, byClass[c].count, byClass[c].examples.join(', ') || null]),
  );
}

/**
 * A consistency compare of one tenant on demand: a spot-check (random keys both ways), or with --full
 * every key of a legacy replica and of the target, rate-limited and resumable (Ctrl-C saves the cursor).
 */
export function compareCommand(opts: CompareOptions, print: (text: string) => void): Promise<number> {
  const actor = opts.actor ?? defaultActor();
  if (actor.trim() === '') return Promise.reject(new UsageError('--actor must not be empty'));
  return withDeps(opts, async (deps, config, clients) => {
    const tenant = findTenant(config.tenants, opts.tenant);
    const legacyHandle = await clients.pool.legacy(tenant);
    const targetHandle = await clients.pool.target(tenant);
    const conns = new Map<number, Redis>();
    for (const db of tenant.legacy.dbs) conns.set(db, await legacyHandle.legacyDb(db, 'read'));
    const legacy = (db: number) => {
      const c = conns.get(db);
      if (!c) throw new Error(`legacy db ${db} is not watched by tenant ${tenant.id}`);
      return c;
    };
    const target = await targetHandle.main();
    const hb = heartbeatKey(tenant.id);
    const exclude = (key: string) => key.endsWith(hb);

    if (!opts.full) {
      const result = await spotCheck({
        legacy,
        target,
        dbMap: tenant.target.dbMap,
        dbs: tenant.legacy.dbs,
        keysPerDb: Math.max(1, config.sampling.spotCheckKeys),
        ttlToleranceMs: 2_000,
        recheckDelayMs: 1_000,
        rounds: 3,
        exclude,
      });
      print(
        opts.json
          ? JSON.stringify(result, null, 2)
          : `spot-check of ${tenant.id}: ${result.checked} keys checked, ${result.mismatches} mismatches\n\n${renderClasses(result.byClass)}`,
      );
      return result.mismatches === 0 ? 0 : 1;
    }

    const saved = opts.restart
      ? undefined
      : await deps.store.getDoc<FullCompareCursor>(tenant.id, CURSOR_DOC);
    const abort = new AbortController();
    const onSignal = () => abort.abort();
    process.once('SIGINT', onSignal);
    const tty = process.stderr.isTTY;
    try {
      const result = await fullCompare({
        legacy,
        target,
        dbMap: tenant.target.dbMap,
        dbs: tenant.legacy.dbs,
        ...(opts.keysPerSecond ? { keysPerSecond: opts.keysPerSecond } : {}),
        ...(saved ? { cursor: saved } : {}),
        signal: abort.signal,
        exclude,
        onProgress: (p) => {
          const line = renderProgress(p, 30);
          process.stderr.write(tty ? `\r${line}` : `${line}\n`);
        },
      });
      if (tty) process.stderr.write('\n');
      // Only a finished compare is a result; an interrupted one records nothing but its cursor.
      const recorded = result.done
        ? await recordFullCompare(deps.store, tenant.id, result, actor, Date.now())
        : undefined;
      if (result.done) await deps.store.setDoc(tenant.id, CURSOR_DOC, null, 1);
      else await deps.store.setDoc(tenant.id, CURSOR_DOC, result.cursor);
      const head = result.done
        ? `full compare of ${tenant.id}: ${result.checked} keys compared in ${(result.durationMs / 1000).toFixed(1)} s, ${result.mismatches} mismatches${
            result.targetSkipped.length > 0
              ? ` (extra-key scan skipped on ${result.targetSkipped.length} target master(s): their key counts matched)`
              : ''
          }`
        : `full compare of ${tenant.id} interrupted after ${result.scanned} keys; run again to resume (--restart to start over)`;
      const note = recorded
        ? `recorded for tenant ${tenant.id} by ${actor} as event ${recorded.type} (${recorded.id}); ${
            tenant.soak.mode === 'offline'
              ? 'offline mode: the next tick judges it (clean → CUTOVER_READY)'
              : 'online mode: evidence only, readiness comes from the replication criteria'
          }`
        : '';
      print(
        opts.json
          ? JSON.stringify(recorded ? { ...result, recorded } : result, null, 2)
          : `${head}\n\n${renderClasses(result.byClass)}${note ? `\n\n${note}` : ''}`,
      );
      if (!result.done) return 2;
      return result.mismatches === 0 ? 0 : 1;
    } finally {
      process.off('SIGINT', onSignal);
    }
  });
}
