import type { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { memberCacheOf } from '../aws/replicationGroup.js';
import type { Config } from '../config/index.js';
import { createSecretResolver } from '../redis/secrets.js';
import { openStateStore } from '../store/connect.js';
import type { Log } from '../tick/types.js';
import { importNamed } from '../util/importNamed.js';
import type { EventsRuntime } from './events.js';
import { lazyClient } from './lazyClient.js';
import type { MetricsSink } from './tick.js';

/** An event handler's runtime, with what closes its clients. */
export interface OpenEventsRuntime extends EventsRuntime {
  close(): Promise<void>;
}

/** The ElastiCache notifications handler's runtime: the state store and an ElastiCache client (members). */
export async function openElastiCacheEventsRuntime(
  config: Config,
  opts: { log: Log; metrics: MetricsSink },
): Promise<OpenEventsRuntime> {
  const stateStore = await openStateStore(config.stateStore, createSecretResolver());
  // Built at the first notification that needs the group's members.
  const elasticache = lazyClient<ElastiCacheClient>(
    async () => new (importNamed(await import('@aws-sdk/client-elasticache'), 'ElastiCacheClient'))({}),
  );
  return {
    config,
    store: stateStore.store,
    members: memberCacheOf({ elasticache }, opts.log),
    ...opts,
    close() {
      stateStore.close();
      elasticache.destroy();
      return Promise.resolve();
    },
  };
}
