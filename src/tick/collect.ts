import type { Config } from '../config/index.js';
import type { ConnectionPool } from '../redis/index.js';
import { collectSample, type SamplingCache } from '../sampling/index.js';
import { readRefusedWrites, withRefusedWrites } from '../sampling/refusedWrites.js';
import type { StateStore } from '../store/index.js';
import { FENCE_DOC, type FenceRecord } from './fence.js';
import type { TickDeps } from './types.js';

const PREFIX_SCAN_DOC = 'prefix-scan';
const SPOT_CHECK_DOC = 'spot-check';

export interface CollectorDeps {
  pool: ConnectionPool;
  /** What the process learnt in earlier samples (see SamplingCache): one per process. */
  cache: SamplingCache;
  store: StateStore;
  sampling: Config['sampling'];
}

/**
 * The tick's sampler: collectSample over the process's connections and cache, with the state that must
 * survive between ticks (and cold starts) kept in the state store per tenant.
 */
export function createCollector(deps: CollectorDeps): TickDeps['collect'] {
  const { pool, cache, store, sampling } = deps;
  return async (tenant, ctx) => {
    // The sampler's clock starts at the tick's `now` (which may be given, for replay and tests) and
    // advances: heartbeat lag and budgets are measured on it.
    const started = Date.now();
    // In the soak, whether legacy is fenced: read from the store while the sample is taken.
    const fenced =
      ctx.phase === 'soak' ? store.getDoc<FenceRecord>(tenant.id, FENCE_DOC) : Promise.resolve(undefined);
    fenced.catch(() => undefined); // awaited below; a failure there is the tick's
    const sample = await collectSample(tenant, {
      pool,
      cache,
      now: () => ctx.now + Math.max(0, Date.now() - started),
      budgetMs: sampling.budgetMs,
      ...(ctx.previous ? { previous: ctx.previous } : {}),
      phase: ctx.phase,
      extras: {
        spotCheckKeys: sampling.spotCheckKeys,
        scanKeysPerTick: sampling.scanKeysPerTick,
        // The per-prefix SCAN cursor of a cluster target survives between ticks in the state store.
        prefixState: {
          load: () => store.getDoc(tenant.id, PREFIX_SCAN_DOC),
          save: (state) => store.setDoc(tenant.id, PREFIX_SCAN_DOC, state),
        },
        // The spot-check's suspects, judged at a later tick.
        spotCheckState: {
          load: () => store.getDoc(tenant.id, SPOT_CHECK_DOC),
          save: (state) => store.setDoc(tenant.id, SPOT_CHECK_DOC, state),
        },
      },
    });
    // Stamped with exactly the tick's `now`, its identity in the store: a re-delivered tick is then a
    // duplicate even when a millisecond passed before the sampler's first reading.
    const stamped = { ...sample, at: ctx.now };
    // A fenced legacy (after the cutover): the writes it refused, from its ACL LOG. Never read otherwise,
    // so the metric stays absent ("legacy not fenced") and holds nothing back.
    const fence = await fenced;
    if (!fence) return stamped;
    const reading = await readRefusedWrites(pool, tenant, stamped, fence);
    return withRefusedWrites(stamped, reading, ctx.previous);
  };
}
