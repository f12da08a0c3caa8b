import { NO_MEMBERS } from '../aws/members.js';
import type { Config } from '../config/index.js';
import { createSecretResolver } from '../redis/secrets.js';
import { openStateStore } from '../store/connect.js';
import type { Log } from '../tick/types.js';
import type { OpenEventsRuntime } from './elasticacheEvents.js';
import type { MetricsSink } from './tick.js';

/** The alarm handler's runtime: only the state store (alarms are matched by name, no AWS read). */
export async function openAlarmEventsRuntime(
  config: Config,
  opts: { log: Log; metrics: MetricsSink },
): Promise<OpenEventsRuntime> {
  const stateStore = await openStateStore(config.stateStore, createSecretResolver());
  return {
    config,
    store: stateStore.store,
    members: NO_MEMBERS,
    ...opts,
    close() {
      stateStore.close();
      return Promise.resolve();
    },
  };
}
