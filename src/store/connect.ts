import { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import type { SecretResolver } from '../redis/secrets.js';
import { redactUrl } from '../util/redact.js';
import { StoreError } from './errors.js';
import { stateStoreRedisOptions } from './options.js';
import { createStateStore } from './store.js';
import type { StateStore } from './types.js';

/** An open state store and the connection behind it. */
export interface OpenStateStore {
  store: StateStore;
  client: Redis;
  /** Drops the connection (a CLI must exit; a test must not leak it). */
  close(): void;
}

/**
 * Connects to the configured state store (its password resolved first). A store that cannot be reached
 * is a StoreError naming the URL without its password, and leaves no client reconnecting behind.
 */
export async function openStateStore(
  cfg: Config['stateStore'],
  secrets: Pick<SecretResolver, 'resolve'>,
): Promise<OpenStateStore> {
  const password = cfg.password ? await secrets.resolve(cfg.password) : undefined;
  const client = new Redis(cfg.url, {
    ...stateStoreRedisOptions,
    connectionName: 'soakwatch-store',
    ...(password ? { password } : {}),
    ...(cfg.tls ? { tls: cfg.tls === true ? {} : { ...cfg.tls } } : {}),
  });
  // Without a listener ioredis reports connection errors as unhandled 'error' events.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    // A client left reconnecting would keep a CLI (or a test) alive forever.
    client.disconnect();
    throw new StoreError(
      `could not connect to the state store at ${redactUrl(cfg.url)}`,
      { operation: 'connect' },
      { cause: error },
    );
  }
  return {
    store: createStateStore(client, { keyPrefix: cfg.keyPrefix }),
    client,
    close: () => client.disconnect(),
  };
}
