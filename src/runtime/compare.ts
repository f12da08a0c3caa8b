import type { Config } from '../config/index.js';
import { createSecretResolver } from '../redis/secrets.js';
import type { CompareDeps } from '../release/compare.js';
import { openStateStore } from '../store/connect.js';
import { tenantPool } from './pool.js';

/** The state store and connections to the tenants' clusters: what a compare on demand needs (the CLI). */
export async function openCompareRuntime(
  config: Config,
): Promise<{ config: Config; deps: CompareDeps; close(): Promise<void> }> {
  const secrets = createSecretResolver();
  const stateStore = await openStateStore(config.stateStore, secrets);
  const pool = tenantPool(config, secrets);
  return {
    config,
    deps: { config, store: stateStore.store, pool },
    async close() {
      await pool.closeAll();
      stateStore.close();
    },
  };
}
