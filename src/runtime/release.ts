import type { SNSClient } from '@aws-sdk/client-sns';
import { createSnsPublisher } from '../alerts/publish.js';
import type { Config } from '../config/index.js';
import { createHookRunner } from '../hooks/lifecycle.js';
import { createSecretResolver, type SecretResolver } from '../redis/secrets.js';
import type { ReleaseDeps } from '../release/types.js';
import { openStateStore } from '../store/connect.js';
import type { StateStore } from '../store/index.js';
import type { Log } from '../tick/types.js';
import { importNamed } from '../util/importNamed.js';
import { hookClientsOnDemand } from './hookClients.js';
import { lazyClient } from './lazyClient.js';

/** What the release operations of a process use: the API's runtime, and the CLI's for an action. */
export interface ReleaseRuntime {
  config: Config;
  deps: ReleaseDeps;
  clients: { store: StateStore; sns: SNSClient };
  close(): Promise<void>;
}

/**
 * The state store and SNS (an action announces its milestone on the release topic); the hook actions'
 * clients are built when a hook first acts. No connection to the tenants' Redis, no CloudWatch.
 */
export async function openReleaseRuntime(
  config: Config,
  opts: { log: Log; deferHooks?: boolean; secrets?: SecretResolver },
): Promise<ReleaseRuntime> {
  const secrets = opts.secrets ?? createSecretResolver();
  const stateStore = await openStateStore(config.stateStore, secrets);
  // Built at the first action that announces a milestone (a GET never loads the SNS client).
  const sns = lazyClient<SNSClient>(
    async () => new (importNamed(await import('@aws-sdk/client-sns'), 'SNSClient'))({}),
  );
  const publisher = createSnsPublisher(sns);
  const hooks = hookClientsOnDemand({ sns, secrets });
  return {
    config,
    clients: { store: stateStore.store, sns },
    deps: {
      config,
      store: stateStore.store,
      log: opts.log,
      ...(opts.deferHooks ? { deferHooks: true } : {}),
      publish: async (message) => {
        await publisher.publish(message);
      },
      runHooks: createHookRunner({ store: stateStore.store, clients: () => hooks.clients(), log: opts.log }),
    },
    close() {
      stateStore.close();
      hooks.destroy();
      sns.destroy();
      return Promise.resolve();
    },
  };
}
