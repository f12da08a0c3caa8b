import type { Config } from '../config/index.js';
import type { ConnectionPool } from '../redis/pool.js';
import { createSecretResolver } from '../redis/secrets.js';
import type { ReleaseDeps } from '../release/types.js';
import type { Log } from '../tick/types.js';
import { tenantPool } from './pool.js';
import { openReleaseRuntime } from './release.js';

/** The API's runtime: the release runtime, and connections to the tenants' legacy Redis for the fence. */
export interface ApiRuntimeParts {
  config: Config;
  deps: ReleaseDeps;
  /** Built here, connected at the first fence request (the compare runtime's pattern); no target reads. */
  pool: ConnectionPool;
  close(): Promise<void>;
}

/**
 * The state store and SNS (an action announces its milestone), and a connection pool for the fence of
 * legacy (`POST /tenants/{id}/fence`, the tenant page's fence section). One secret resolver for both:
 * the tenants' legacy passwords are read through the same cache as the store's. Hooks are deferred to
 * the tick (the api's role holds no hook permissions).
 */
export async function openApiRuntime(config: Config, opts: { log: Log }): Promise<ApiRuntimeParts> {
  const secrets = createSecretResolver();
  const release = await openReleaseRuntime(config, { log: opts.log, deferHooks: true, secrets });
  const pool = tenantPool(config, secrets);
  return {
    config,
    deps: release.deps,
    pool,
    async close() {
      await pool.closeAll();
      await release.close();
    },
  };
}
