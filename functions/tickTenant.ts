import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger, metrics } from '../src/observability/index.js';
import { loadConfigFromEnv } from '../src/runtime/config.js';
import { readEnv } from '../src/runtime/env.js';
import { parseTenantTask, runTenantTask } from '../src/runtime/fanout.js';
import { lazily } from '../src/runtime/lazy.js';

const env = readEnv();
// Built at the first task and kept while the container is warm: the state store connection, and the
// pool of Redis connections (the recent `fleet.warmTenants` tenants' are kept, the others closed).
// The tick's clients (ioredis, the SNS, CloudWatch and ElastiCache SDKs) are imported at the first task,
// not at module init: the same code is evaluated either way (the first task pays it instead), but the
// init phase stays small and an environment Lambda initializes without using it costs nothing more.
const runtime = lazily(async () =>
  (await import('../src/runtime/tick.js')).openTickRuntime(loadConfigFromEnv(env), {
    log: logger,
    metrics,
    aws: true,
  }),
);

/**
 * One tenant's tick of a round, invoked asynchronously by the dispatcher (`tick`) with
 * `{ tenantId, now, roundEndsAt }`. Idempotent: the tenant's lock and the state's compare-and-set make
 * a duplicate delivery a no-op; a delivery after its round is over is dropped and counted.
 */
export const handler = middy(async (event: unknown, context: Context) => {
  const task = parseTenantTask(event);
  const rt = await runtime();
  return runTenantTask(
    { deps: rt.deps, metrics, pool: rt.clients.pool, warmTenants: rt.config.fleet.warmTenants },
    task,
    { clock: Date.now, remainingMs: context.getRemainingTimeInMillis?.() ?? 30_000 },
  );
})
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
