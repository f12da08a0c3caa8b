import pLimit from 'p-limit';
import { StoreError } from '../store/index.js';
import { redactUrl } from '../util/redact.js';
import { TickError } from './errors.js';
import type { TaskReads } from './fanout.js';
import { findTenant } from './tenants.js';
import { tickTenant } from './tickTenant.js';
import type { TenantTickReport, TickDeps, TickReport } from './types.js';

/** Tenants sampled at once: each sample already fans out to every node of two clusters. */
const TENANT_CONCURRENCY = 4;

/**
 * One tick for every tenant (or one). A failing tenant is reported and the others go on; an unreachable
 * state store fails the whole tick loudly (after the other tenants had their chance), so nothing reports PASS.
 * `reads` (one tenant's tick only): what the round's dispatcher read for it (src/tick/roundReads.ts).
 */
export async function runTick(
  deps: TickDeps,
  opts: { now: number; tenantId?: string; reads?: TaskReads },
): Promise<TickReport> {
  const started = Date.now();
  const tenants = opts.tenantId ? [findTenant(deps.config.tenants, opts.tenantId)] : deps.config.tenants;
  // An unreachable store throws here: nothing can be judged without it. Its clock is the one every
  // tick agrees on: a `now` far ahead of it is a sample from the future.
  const storeNow = await deps.store.time();

  const limit = pLimit(TENANT_CONCURRENCY);
  const storeFailures: StoreError[] = [];
  const reports = await Promise.all(
    tenants.map((tenant) =>
      limit(async (): Promise<TenantTickReport> => {
        try {
          return await tickTenant(deps, tenant, opts.now, storeNow, opts.tenantId ? opts.reads : undefined);
        } catch (error) {
          if (error instanceof StoreError) storeFailures.push(error);
          const message = redactUrl(error instanceof Error ? error.message : String(error));
          deps.log.error('tick failed for tenant', { tenant: tenant.id, error: message });
          return { tenant: tenant.id, ok: false, error: message, transitions: [], messages: 0, hooks: [] };
        }
      }),
    ),
  );
  const report = { at: opts.now, durationMs: Date.now() - started, tenants: reports };
  const [firstStoreFailure] = storeFailures;
  if (firstStoreFailure)
    throw new TickError('the state store failed during the tick', report, { cause: firstStoreFailure });
  return report;
}
