import type { TenantConfig } from '../config/schema.js';
import { planHooks, updateCooldowns } from './plan.js';
import { runHooks } from './run.js';
import type { HookAuditEntry, HookDeps, HookResult, HookTrigger } from './types.js';

/** The state-store operations the hook lifecycle needs (the state store's own interface has them). */
export interface HookStateStore {
  getDoc<T>(tenant: string, name: string): Promise<T | undefined>;
  setDoc<T>(tenant: string, name: string, value: T): Promise<void>;
  appendAudit(tenant: string, entry: HookAuditEntry): Promise<void>;
  claimOnce(key: string, ttlMs: number): Promise<boolean>;
}

/** The clients hook actions use: everything of HookDeps but what the state store provides. */
export type HookClients = Omit<HookDeps, 'claimOnce' | 'audit'>;

export interface HookRunnerDeps {
  store: HookStateStore;
  /**
   * The hook actions' clients, asked for the first time a hook is planned: a process whose hooks
   * never fire (most API calls, most ticks) builds none of them.
   */
  clients: () => Promise<HookClients>;
  log: { warn(message: string, ...extra: Record<string, unknown>[]): void };
}

/** Fires a tenant's hooks for a judged result's triggers; never throws. */
export type HookRunner = (
  tenant: TenantConfig,
  triggers: readonly HookTrigger[],
  now: number,
) => Promise<HookResult[]>;

const COOLDOWNS_DOC = 'hook-cooldowns';

/**
 * The hook lifecycle of one judged result (a tick or a release manager's action): plan the hooks
 * against the tenant's cooldowns, run them (claimed once, audited each, never throwing), then remember
 * the cooldowns of those that fired.
 */
export function createHookRunner(deps: HookRunnerDeps): HookRunner {
  let clients: Promise<HookClients> | undefined;
  return async (tenant, triggers, now) => {
    if (tenant.hooks.length === 0) return [];
    const cooldowns = (await deps.store.getDoc<Record<string, number>>(tenant.id, COOLDOWNS_DOC)) ?? {};
    const planned = planHooks(tenant.hooks, triggers, cooldowns, now);
    if (planned.length === 0) return [];
    clients ??= deps.clients();
    const results = await runHooks(
      planned,
      {
        ...(await clients),
        claimOnce: (key, ttlMs) => deps.store.claimOnce(key, ttlMs),
        audit: (entry) => deps.store.appendAudit(tenant.id, entry),
      },
      {
        tenant: tenant.id,
        now,
        ...(tenant.target.replicationGroupId ? { replicationGroupId: tenant.target.replicationGroupId } : {}),
      },
    );
    await deps.store.setDoc(tenant.id, COOLDOWNS_DOC, updateCooldowns(cooldowns, results, now));
    for (const r of results)
      if (r.status === 'failed')
        deps.log.warn('hook failed', { tenant: tenant.id, hook: r.id, error: r.error });
    return results;
  };
}
