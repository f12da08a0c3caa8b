import type { TenantConfig } from '../config/schema.js';
import type { Sample } from '../sampling/types.js';
import { initialSoakState, type SoakState } from '../soak/index.js';
import { StoreLostError } from '../store/errors.js';
import type { StateStore } from '../store/types.js';
import { UnknownTenantError } from './errors.js';
import type { SampleSummary } from './types.js';

/** The configured tenant with this id; UnknownTenantError when the configuration names none. */
export function findTenant(tenants: readonly TenantConfig[], id: string): TenantConfig {
  const tenant = tenants.find((t) => t.id === id);
  if (!tenant) throw new UnknownTenantError(id);
  return tenant;
}

/** A tenant's soak state as the judge continues it: the stored one, else the initial state. */
export interface LoadedState {
  state: SoakState;
  /** The stored version the next compare-and-set expects (0: nothing stored yet). */
  version: number;
  /** False until a tick (or an action) stored a state: the state then is the initial one, nothing measured. */
  judged: boolean;
}

/**
 * Loads a tenant's soak state: the stored one, or the initial state at `now` when none is stored yet.
 * "None stored" is only believed from a store that still has its identity: an emptied store (flushed,
 * replaced) throws StoreLostError instead of handing out a fresh state — for the tick, the status and the
 * actions alike.
 */
export async function loadSoakState(
  store: StateStore,
  tenant: TenantConfig,
  now: number,
): Promise<LoadedState> {
  const epoch = await store.checkEpoch(now);
  if (epoch.status === 'lost')
    throw new StoreLostError({ reason: epoch.reason, detectedAt: epoch.detectedAt, tenant: tenant.id });
  const stored = await store.getState<SoakState>(tenant.id);
  return {
    state: stored?.state ?? initialSoakState(tenant.id, tenant.soak, now),
    version: stored?.version ?? 0,
    judged: stored !== undefined,
  };
}

/** The nodes of both clusters a sample could not read, with why. */
export function unreadNodes(
  sample: Pick<Sample, 'legacy' | 'target'>,
): { address: string; error?: string }[] {
  return [...sample.legacy.nodes, ...sample.target.nodes]
    .filter((n) => !n.ok)
    .map((n) => ({ address: n.address, ...(n.error ? { error: n.error } : {}) }));
}

/** What the tick report and the status show of a sample. */
export function summarizeSample(
  sample: Pick<Sample, 'at' | 'durationMs' | 'complete' | 'legacy' | 'target'>,
): SampleSummary {
  return {
    at: sample.at,
    durationMs: sample.durationMs,
    complete: sample.complete,
    failedNodes: unreadNodes(sample).map((n) => n.address),
  };
}
