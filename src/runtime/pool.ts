import type { Config } from '../config/index.js';
import { type ConnectionPool, createConnectionPool } from '../redis/pool.js';
import type { SecretResolver } from '../redis/secrets.js';

/** The tenants' connection pool of a runtime: the configured timeouts, the runtime's one secret resolver. */
export function tenantPool(config: Config, secrets: SecretResolver): ConnectionPool {
  return createConnectionPool({
    commandTimeoutMs: config.sampling.commandTimeoutMs,
    connectTimeoutMs: config.sampling.connectTimeoutMs,
    secrets,
  });
}
