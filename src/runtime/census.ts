import type { Config } from '../config/index.js';
import { createSecretResolver } from '../redis/secrets.js';
import { openStateStore, type StateStore } from '../store/index.js';

/**
 * The fan-out dispatcher's state store, for the connection census only (it ticks no tenant, so it builds
 * no tick runtime): opened at its first round, kept while the container is warm.
 */
export async function openCensusStore(config: Config): Promise<Pick<StateStore, 'connectionReports'>> {
  return (await openStateStore(config.stateStore, createSecretResolver())).store;
}
