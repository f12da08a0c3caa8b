import type { Metrics } from '@aws-lambda-powertools/metrics';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SNSClient } from '@aws-sdk/client-sns';
import { Redis } from 'ioredis';
import { createSnsPublisher } from '../alerts/index.js';
import { describeElastiCacheEvents, describeReplicationGroup, fetchCloudWatchMetrics } from '../aws/index.js';
import type { Config } from '../config/index.js';
import { planHooks, runHooks, updateCooldowns } from '../hooks/index.js';
import {
  type ConnectionPool,
  createConnectionPool,
  createSecretResolver,
  type SecretResolver,
} from '../redis/index.js';
import type { Sample } from '../sampling/index.js';
import { collectSample, emitSampleMetrics } from '../sampling/index.js';
import { createStateStore, type StateStore, StoreError, stateStoreRedisOptions } from '../store/index.js';
import type { Log, TickDeps } from '../tick/index.js';
import { redactUrl } from '../util/redact.js';
import { createMemberCache, MEMBER_REFRESH_MIN_MS, type MemberCache } from './members.js';

/** The long-lived clients of a process (a Lambda container or a CLI run). */
export interface Clients {
  storeClient: Redis;
  store: StateStore;
  pool: ConnectionPool;
  secrets: SecretResolver;
  sns: SNSClient;
  cloudwatch: CloudWatchClient;
  elasticache: ElastiCacheClient;
  lambda: LambdaClient;
}

/** Opens the state store and creates the clients; AWS clients make no call until used. */
export async function openClients(config: Config): Promise<Clients> {
  const secrets = createSecretResolver();
  const { stateStore, sampling } = config;
  const password = stateStore.password ? await secrets.resolve(stateStore.password) : undefined;
  const storeClient = new Redis(stateStore.url, {
    ...stateStoreRedisOptions,
    connectionName: 'soakwatch-store',
    ...(password ? { password } : {}),
    ...(stateStore.tls ? { tls: stateStore.tls === true ? {} : { ...stateStore.tls } } : {}),
  });
  // Without a listener ioredis reports connection errors as unhandled 'error' events.
  storeClient.on('error', () => undefined);
  try {
    await storeClient.connect();
  } catch (error) {
    // A client left reconnecting would keep a CLI (or a test) alive forever.
    storeClient.disconnect();
    throw new StoreError(
      `could not connect to the state store at ${redactUrl(stateStore.url)}`,
      { operation: 'connect' },
      { cause: error },
    );
  }
  return {
    storeClient,
    store: createStateStore(storeClient, { keyPrefix: stateStore.keyPrefix }),
    pool: createConnectionPool({
      commandTimeoutMs: sampling.commandTimeoutMs,
      connectTimeoutMs: sampling.connectTimeoutMs,
      secrets,
    }),
    secrets,
    sns: new SNSClient({}),
    cloudwatch: new CloudWatchClient({}),
    elasticache: new ElastiCacheClient({}),
    lambda: new LambdaClient({}),
  };
}

export async function closeClients(clients: Clients): Promise<void> {
  await clients.pool.closeAll();
  clients.storeClient.disconnect();
  for (const c of [clients.sns, clients.cloudwatch, clients.elasticache, clients.lambda]) c.destroy();
}

const HOOK_COOLDOWNS_DOC = 'hook-cooldowns';
const PREFIX_SCAN_DOC = 'prefix-scan';
const SPOT_CHECK_DOC = 'spot-check';

/** The member clusters of the tenants' replication groups, read through the process's ElastiCache client. */
export function memberCacheOf(clients: Pick<Clients, 'elasticache'>, log: Pick<Log, 'warn'>): MemberCache {
  return createMemberCache({
    describe: async (groupId) =>
      (await describeReplicationGroup(clients.elasticache, groupId)).memberClusters,
    log,
  });
}

/**
 * The tick's dependencies over real clients. `aws: false` leaves CloudWatch and ElastiCache out (local
 * runs); `members` shares the member-cluster cache with the process's event handlers.
 */
export function tickDeps(
  config: Config,
  clients: Clients,
  log: Log,
  opts: { aws: boolean; metrics?: Metrics; members?: MemberCache },
): TickDeps {
  const metrics = opts.metrics;
  const publisher = createSnsPublisher(clients.sns);
  const members = opts.members ?? memberCacheOf(clients, log);

  const hookDeps = {
    sns: clients.sns,
    lambda: clients.lambda,
    elasticache: clients.elasticache,
    fetch: globalThis.fetch,
    claimOnce: (key: string, ttlMs: number) => clients.store.claimOnce(key, ttlMs),
    secrets: (ref: Parameters<SecretResolver['resolve']>[0]) => clients.secrets.resolve(ref),
  };

  return {
    config,
    store: clients.store,
    log,
    // Hooks: plan against the tenant's cooldowns, run (never throws), audit each, remember the cooldowns.
    runHooks: async (tenant, triggers, now) => {
      const cooldowns =
        (await clients.store.getDoc<Record<string, number>>(tenant.id, HOOK_COOLDOWNS_DOC)) ?? {};
      const planned = planHooks(tenant.hooks, triggers, cooldowns, now);
      if (planned.length === 0) return [];
      const results = await runHooks(
        planned,
        { ...hookDeps, audit: (entry) => clients.store.appendAudit(tenant.id, entry) },
        {
          tenant: tenant.id,
          now,
          ...(tenant.target.replicationGroupId
            ? { replicationGroupId: tenant.target.replicationGroupId }
            : {}),
        },
      );
      await clients.store.setDoc(tenant.id, HOOK_COOLDOWNS_DOC, updateCooldowns(cooldowns, results, now));
      for (const r of results)
        if (r.status === 'failed') log.warn('hook failed', { tenant: tenant.id, hook: r.id, error: r.error });
      return results;
    },
    collect: async (tenant, ctx) => {
      // The sampler's clock starts at the tick's `now` (which may be given, for replay and tests) and
      // advances: heartbeat lag and budgets are measured on it.
      const started = Date.now();
      const sample = await collectSample(tenant, {
        pool: clients.pool,
        now: () => ctx.now + Math.max(0, Date.now() - started),
        budgetMs: config.sampling.budgetMs,
        ...(ctx.previous ? { previous: ctx.previous } : {}),
        phase: ctx.phase,
        extras: {
          spotCheckKeys: config.sampling.spotCheckKeys,
          scanKeysPerTick: config.sampling.scanKeysPerTick,
          // The per-prefix SCAN cursor of a cluster target survives between ticks in the state store.
          prefixState: {
            load: () => clients.store.getDoc(tenant.id, PREFIX_SCAN_DOC),
            save: (state) => clients.store.setDoc(tenant.id, PREFIX_SCAN_DOC, state),
          },
          // The spot-check's suspects, judged at a later tick.
          spotCheckState: {
            load: () => clients.store.getDoc(tenant.id, SPOT_CHECK_DOC),
            save: (state) => clients.store.setDoc(tenant.id, SPOT_CHECK_DOC, state),
          },
        },
      });
      // Stamped with exactly the tick's `now`, its identity in the store: a re-delivered tick is then a
      // duplicate even when a millisecond passed before the sampler's first reading.
      return { ...sample, at: ctx.now };
    },
    ...(metrics ? { onSample: (sample: Sample) => emitSampleMetrics(metrics, sample) } : {}),
    publish: async (message) => {
      await publisher.publish(message);
    },
    ...(opts.aws
      ? {
          cloudwatch: async (tenant, criteria, from, to) => {
            const groupId = tenant.target.replicationGroupId ?? '';
            // Unknown members: the ReplicationGroupId dimension (group-level metrics only).
            const cacheClusterIds = await members.get(groupId);
            return fetchCloudWatchMetrics(clients.cloudwatch, {
              replicationGroupId: groupId,
              ...(cacheClusterIds ? { cacheClusterIds } : {}),
              criteria: criteria.map((c) => ({
                id: c.id,
                metric: c.metric,
                stat: c.cloudwatch?.stat ?? 'Maximum',
                periodSeconds: c.cloudwatch?.periodSeconds ?? 60,
                namespace: c.cloudwatch?.namespace ?? 'AWS/ElastiCache',
              })),
              from,
              to,
            });
          },
          elasticacheEvents: async (tenant, since, until) => {
            const groupId = tenant.target.replicationGroupId ?? '';
            const memberClusters = await members.get(groupId);
            return describeElastiCacheEvents(clients.elasticache, {
              replicationGroupId: groupId,
              ...(memberClusters ? { memberClusters } : {}),
              refreshMembers: () => members.get(groupId, MEMBER_REFRESH_MIN_MS),
              since,
              until,
            });
          },
        }
      : {}),
  };
}
