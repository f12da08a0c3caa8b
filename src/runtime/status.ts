import type { Config } from '../config/index.js';
import { createSecretResolver } from '../redis/secrets.js';
import type { StatusDeps } from '../release/types.js';
import { openStateStore } from '../store/connect.js';

/** Only the state store: what reading statuses and history needs (the CLI's status and replay). */
export async function openStatusRuntime(
  config: Config,
): Promise<{ config: Config; deps: StatusDeps; close(): Promise<void> }> {
  const stateStore = await openStateStore(config.stateStore, createSecretResolver());
  return {
    config,
    deps: { config, store: stateStore.store },
    close() {
      stateStore.close();
      return Promise.resolve();
    },
  };
}
