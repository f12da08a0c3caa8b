import type { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { HookClients, ReplicationGroupShape } from '../hooks/index.js';
import type { SecretResolver } from '../redis/index.js';

/** The hook actions' clients of a runtime, built when a hook first acts and destroyed with the runtime. */
export interface HookClientsOnDemand {
  clients(): Promise<HookClients>;
  destroy(): void;
}

/**
 * Hook clients over the runtime's own SNS client (and ElastiCache client, when it has one). The Lambda
 * client (and an ElastiCache client where the runtime has none) is imported and built the first time a
 * hook acts: most invocations fire no hook, and need neither the client nor its module.
 */
export function hookClientsOnDemand(base: {
  sns: SNSClient;
  elasticache?: ElastiCacheClient;
  secrets: SecretResolver;
}): HookClientsOnDemand {
  interface Made {
    lambda: LambdaClient;
    elasticache: ElastiCacheClient;
    /** The runtime built this ElastiCache client (and destroys it). */
    own: boolean;
    describeGroup(groupId: string): Promise<ReplicationGroupShape>;
  }
  let built: Promise<Made> | undefined;
  let made: Made | undefined;
  const build = async (): Promise<Made> => {
    const { LambdaClient } = cjsNamed(await import('@aws-sdk/client-lambda'));
    const { describeReplicationGroup } = await import('../aws/replicationGroup.js');
    let elasticache = base.elasticache;
    if (!elasticache) {
      const { ElastiCacheClient } = cjsNamed(await import('@aws-sdk/client-elasticache'));
      elasticache = new ElastiCacheClient({});
    }
    const ec = elasticache;
    made = {
      lambda: new LambdaClient({}),
      elasticache,
      own: base.elasticache === undefined,
      describeGroup: (groupId) => describeReplicationGroup(ec, groupId),
    };
    return made;
  };
  return {
    async clients() {
      built ??= build();
      const { lambda, elasticache, describeGroup } = await built;
      return {
        sns: base.sns,
        lambda,
        elasticache,
        describeGroup,
        fetch: globalThis.fetch,
        secrets: (ref) => base.secrets.resolve(ref),
      };
    },
    destroy() {
      made?.lambda.destroy();
      if (made?.own) made.elasticache.destroy();
    },
  };
}

/**
 * The named exports of a dynamically imported CommonJS package (the AWS SDK clients resolve to their
 * CommonJS build). Bundled by esbuild into an ESM file, `await import()` of one yields only `default`
 * (module.exports), so `{ LambdaClient }` was undefined and every `lambda` hook of the CLI failed with
 * "is not a constructor"; unbundled (tsx, vitest) the names are there.
 */
export function cjsNamed<M extends object>(mod: M): M {
  const fallback = (mod as { default?: unknown }).default;
  return Object.keys(mod).length === 1 && typeof fallback === 'object' && fallback !== null
    ? (fallback as M)
    : mod;
}
