import * as z from 'zod';
import { actorSchema, parseInput, reasonSchema } from './actions.js';
import { StoreRestartRefusedError } from './errors.js';
import type { StatusDeps } from './types.js';

/** The audit trail's name of an operator's fresh start after a lost state store. */
export const STORE_RESTART_ACTION = 'store-restart';

const restartInputSchema = z.strictObject({ actor: actorSchema, reason: reasonSchema });

export interface StoreRestartOutcome {
  /** The loss that was on record: when it was detected and why. */
  lost: { detectedAt: number; reason: string; previousId?: string };
  /** The store's new identity. */
  id: string;
  /** The configured tenants, each with the restart in its audit trail; their next tick starts at REPLICATING. */
  tenants: string[];
}

/**
 * An operator's deliberate fresh start after the state store was found lost (flushed, replaced by an
 * empty one): the store gets a new identity and every configured tenant's audit trail records who
 * restarted it and why; the next tick starts each soak over from REPLICATING. Refused when no loss is on
 * record: a store that still has its identity holds soaks that a restart would silently throw away.
 */
export async function restartStoreAfterLoss(
  deps: StatusDeps,
  input: { actor: string; reason: string },
  now: number,
): Promise<StoreRestartOutcome> {
  const { actor, reason } = parseInput(restartInputSchema, input);
  const epoch = await deps.store.checkEpoch(now);
  if (epoch.status !== 'lost')
    throw new StoreRestartRefusedError(
      epoch.created
        ? 'the state store had no identity: it is new (or was emptied while no process watched it), and its tenants start at their next tick without a restart'
        : `the state store is not lost (its identity ${epoch.id} since ${new Date(epoch.createdAt).toISOString()}): a restart would throw its soaks away`,
    );
  const fresh = await deps.store.restartAfterLoss(now);
  if (fresh.status !== 'ok') throw new StoreRestartRefusedError('the state store refused a new identity');
  const lost = {
    detectedAt: epoch.detectedAt,
    reason: epoch.reason,
    ...(epoch.previousId ? { previousId: epoch.previousId } : {}),
  };
  const tenants = deps.config.tenants.map((t) => t.id);
  for (const tenant of tenants)
    await deps.store.appendAudit(tenant, {
      at: now,
      actor,
      action: STORE_RESTART_ACTION,
      reason,
      detail: { lostAt: lost.detectedAt, lostBecause: lost.reason, storeId: fresh.id },
    });
  return { lost, id: fresh.id, tenants };
}
