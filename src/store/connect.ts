import { readFile } from 'node:fs/promises';
import type { ConnectionOptions } from 'node:tls';
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
  const tls = cfg.tls ? await stateStoreTls(cfg.tls) : undefined;
  const client = new Redis(cfg.url, {
    ...stateStoreRedisOptions,
    connectionName: 'soakwatch-store',
    ...(password ? { password } : {}),
    ...(tls ? { tls } : {}),
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

/**
 * The state store's TLS options: verification always on, a private CA given inline (`ca`) or read from
 * `caFile` (an unreadable file fails naming it, instead of connecting without the CA it names).
 */
async function stateStoreTls(tls: NonNullable<Config['stateStore']['tls']>): Promise<ConnectionOptions> {
  const out: ConnectionOptions = { rejectUnauthorized: true };
  if (tls === true) return out;
  if (tls.ca) out.ca = tls.ca;
  else if (tls.caFile) {
    try {
      out.ca = await readFile(tls.caFile, 'utf8');
    } catch (error) {
      throw new StoreError(
        `stateStore.tls.caFile: could not read the TLS CA file ${tls.caFile}`,
        { operation: 'connect' },
        { cause: error },
      );
    }
  }
  if (tls.servername) out.servername = tls.servername;
  return out;
}
