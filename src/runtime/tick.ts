import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import type { SNSClient } from '@aws-sdk/client-sns';
import { createSnsPublisher } from '../alerts/publish.js';
import { type MemberCache, NO_MEMBERS } from '../aws/members.js';
import { memberCacheOf } from '../aws/replicationGroup.js';
import { createCloudWatchReader, createElastiCacheEventsReader } from '../aws/tenantReaders.js';
import type { Config } from '../config/index.js';
import { createHookRunner } from '../hooks/lifecycle.js';
import type { ConnectionPool } from '../redis/pool.js';
import { createSecretResolver, type SecretResolver } from '../redis/secrets.js';
import { emitSampleMetrics } from '../sampling/emitMetrics.js';
import { openStateStore } from '../store/connect.js';
import type { StateStore } from '../store/index.js';
import { createCollector } from '../tick/collect.js';
import type { TaskReads } from '../tick/fanout.js';
import { runTick as runTickWith } from '../tick/runTick.js';
import type { Log, TickDeps, TickReport } from '../tick/types.js';
import { importNamed } from '../util/importNamed.js';
import { type HookClientsOnDemand, hookClientsOnDemand } from './hookClients.js';
import { lazyClient } from './lazyClient.js';
import { tenantPool } from './pool.js';
import { createWarmCache, type WarmCache } from './warm.js';

/** The clients of a tick runtime. */
export interface TickClients {
  store: StateStore;
  /** Connections to the tenants' Redis nodes (legacy and target), reused across ticks. */
  pool: ConnectionPool;
  secrets: SecretResolver;
  sns: SNSClient;
  /** CloudWatch and ElastiCache, when the runtime reads AWS (the Lambda; the CLI with --aws). */
  aws?: { cloudwatch: CloudWatchClient; elasticache: ElastiCacheClient };
}

export interface TickRuntimeOptions {
  log: Log;
  /** Read ElastiCache's CloudWatch metrics and events (the Lambda; the CLI with --aws). */
  aws: boolean;
  /** Emit each judged sample as metrics (Powertools, in Lambda); none on the command line. */
  metrics?: Metrics;
  /** The member clusters' cache, when the caller has one (a test on its own clock). */
  members?: MemberCache;
}

/** Everything the tick of one process uses, built once (a Lambda container, a CLI run). */
export interface TickRuntime {
  config: Config;
  deps: TickDeps;
  clients: TickClients;
  cache: WarmCache;
  close(): Promise<void>;
}

/**
 * Opens the tick's clients — the state store (connected now, so an unreachable store fails here), the
 * pool of connections to the tenants' nodes, SNS, and with `aws` CloudWatch and ElastiCache — and wires
 * the tick's dependencies over them. Hook clients are built when a hook first acts.
 */
export async function openTickRuntime(config: Config, opts: TickRuntimeOptions): Promise<TickRuntime> {
  const secrets = createSecretResolver();
  const stateStore = await openStateStore(config.stateStore, secrets);
  const clients: TickClients = {
    store: stateStore.store,
    pool: tenantPool(config, secrets),
    secrets,
    sns: lazyClient(async () => new (importNamed(await import('@aws-sdk/client-sns'), 'SNSClient'))({})),
    ...(opts.aws
      ? {
          aws: {
            cloudwatch: lazyClient(
              async () =>
                new (importNamed(await import('@aws-sdk/client-cloudwatch'), 'CloudWatchClient'))({}),
            ),
            elasticache: lazyClient(
              async () =>
                new (importNamed(await import('@aws-sdk/client-elasticache'), 'ElastiCacheClient'))({}),
            ),
          },
        }
      : {}),
  };
  const hooks = hookClientsOnDemand({
    sns: clients.sns,
    secrets,
    ...(clients.aws ? { elasticache: clients.aws.elasticache } : {}),
  });
  const { deps, cache } = tickDeps(config, clients, { ...opts, hooks });
  return {
    config,
    deps,
    clients,
    cache,
    async close() {
      await clients.pool.closeAll();
      stateStore.close();
      hooks.destroy();
      clients.sns.destroy();
      clients.aws?.cloudwatch.destroy();
      clients.aws?.elasticache.destroy();
    },
  };
}

/**
 * The tick's dependencies over open clients. Without AWS clients the CloudWatch and DescribeEvents
 * readers are no-ops (metrics "no data", events not read); without metrics, samples are not emitted.
 */
export function tickDeps(
  config: Config,
  clients: TickClients,
  opts: Omit<TickRuntimeOptions, 'aws'> & {
    /** Where the hook actions' clients come from (default: built over these clients on first use). */
    hooks?: HookClientsOnDemand;
  },
): { deps: TickDeps; cache: WarmCache } {
  const { log, metrics } = opts;
  const members = opts.members ?? (clients.aws ? memberCacheOf(clients.aws, log) : NO_MEMBERS);
  const cache = createWarmCache(members);
  const publisher = createSnsPublisher(clients.sns);
  const aws = clients.aws;
  const hooks =
    opts.hooks ??
    hookClientsOnDemand({
      sns: clients.sns,
      secrets: clients.secrets,
      ...(aws ? { elasticache: aws.elasticache } : {}),
    });
  const deps: TickDeps = {
    config,
    store: clients.store,
    log,
    collect: createCollector({
      pool: clients.pool,
      cache: cache.sampling,
      store: clients.store,
      sampling: config.sampling,
    }),
    cloudwatch: aws ? createCloudWatchReader({ cloudwatch: aws.cloudwatch, members }) : noMetrics,
    elasticacheEvents: aws
      ? createElastiCacheEventsReader({ elasticache: aws.elasticache, members })
      : noEvents,
    publish: async (message) => {
      await publisher.publish(message);
    },
    runHooks: createHookRunner({ store: clients.store, clients: () => hooks.clients(), log }),
    onSample: metrics ? (sample) => emitSampleMetrics(metrics, sample) : () => undefined,
  };
  return { deps, cache };
}

// Without AWS: `cloudwatch:` metrics are not seen (the tick leaves them "no data"), DescribeEvents is not read.
const noMetrics: TickDeps['cloudwatch'] = () => Promise.resolve({});
const noEvents: TickDeps['elasticacheEvents'] = () => Promise.resolve(undefined);

/** Where a handler's counts go (Powertools Metrics in Lambda, flushed by its middleware). */
export interface MetricsSink {
  addMetric(name: string, unit: 'Count', value: number): unknown;
}

/** One tick, as the scheduled Lambda runs it: the tick, and the metrics the watcher is watched by. */
export async function runTick(
  rt: { deps: TickDeps; metrics: MetricsSink },
  opts: { now?: number; tenantId?: string; reads?: TaskReads },
): Promise<TickReport> {
  let report: TickReport;
  try {
    report = await runTickWith(rt.deps, {
      now: opts.now ?? Date.now(),
      ...(opts.tenantId ? { tenantId: opts.tenantId } : {}),
      ...(opts.reads ? { reads: opts.reads } : {}),
    });
  } catch (error) {
    // Loud: the invocation fails (the tick-errors alarm) and the metric says why nothing was judged.
    rt.metrics.addMetric('TickFailures', 'Count', 1);
    rt.deps.log.error('tick failed: nothing was judged', {
      error: error instanceof Error ? error.message : String(error),
    });
    throw error;
  }
  for (const t of report.tenants) {
    rt.metrics.addMetric(t.ok ? 'TenantTicks' : 'TenantTickErrors', 'Count', 1);
  }
  // The watcher is itself watched: the no-samples alarm reads SamplesJudged (service dimension only), so
  // a tick that judges nothing — samples refused, duplicates, nothing collected — emits 0, and a tick
  // that never gets here emits nothing: both alarm. SamplesCollected stays for the dashboard.
  const count = (keep: (t: TickReport['tenants'][number]) => boolean) => report.tenants.filter(keep).length;
  rt.metrics.addMetric(
    'SamplesCollected',
    'Count',
    count((t) => t.sample !== undefined),
  );
  rt.metrics.addMetric(
    'SamplesJudged',
    'Count',
    count((t) => t.judged === true),
  );
  // Milestones and their hooks committed but not delivered yet (the outbox-stuck alarm reads it).
  rt.metrics.addMetric(
    'OutboxPending',
    'Count',
    report.tenants.reduce((n, t) => n + (t.outboxPending ?? 0), 0),
  );
  rt.metrics.addMetric(
    'FutureSamples',
    'Count',
    count((t) => t.futureSample !== undefined),
  );
  return report;
}
