import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { logger, metrics } from '../src/observability/index.js';
import { loadConfigFromEnv } from '../src/runtime/config.js';
import { readEnv } from '../src/runtime/env.js';
import { lambdaTaskSender, runRound } from '../src/runtime/fanout.js';
import { lazily } from '../src/runtime/lazy.js';

const env = readEnv();
const config = lazily(async () => loadConfigFromEnv(env));
// The state store, the pool of connections to the tenants' nodes, SNS, CloudWatch and ElastiCache, and
// the warm cache: built only when this process ticks tenants itself (a small fleet, or one tenant asked
// for); the dispatcher of a large fleet never connects to Redis.
// Imported on first use too: a dispatcher's module init evaluates none of the tick's clients.
const tickModule = lazily(() => import('../src/runtime/tick.js'));
const runtime = lazily(async () =>
  (await tickModule()).openTickRuntime(await config(), { log: logger, metrics, aws: true }),
);
const functionName = env.SOAKWATCH_TICK_TENANT_FUNCTION?.trim();
// Built at the first round, once the config is read: its sockets are fleet.dispatchConcurrency.
const sender = functionName
  ? lazily(async () =>
      lambdaTaskSender(functionName, { maxSockets: (await config()).fleet.dispatchConcurrency }),
    )
  : undefined;

// GetMetricData and DescribeEvents read once for the whole round, each tenant's part in its task: its
// module and the SDKs imported at the first round, not at init.
const reads = lazily(async () => (await import('../src/runtime/roundReads.js')).roundReader({ log: logger }));
// The connection census of a fan-out round: a state store connection of its own, opened at the first round.
const censusStore = lazily(async () =>
  (await import('../src/runtime/census.js')).openCensusStore(await config()),
);

// The schedule's event carries its scheduled `time` (the round's time; its other keys are dropped); a
// direct invocation (the offline test, an operator replaying a minute) may pass `{ "now": <epoch ms>,
// "tenantId": "acme" }`.
const inputSchema = z.object({
  now: z.number().int().positive().optional(),
  time: z.iso.datetime({ offset: true }).optional(),
  tenantId: z.string().min(1).optional(),
});

/**
 * Scheduled every minute: the round's dispatcher. From `fleet.fanOutFrom` tenants on, one asynchronous
 * invocation of tickTenant per tenant; below it (or with one tenant asked for), the tenants are ticked
 * here with the same per-tenant code.
 */
export const handler = middy(async (event: unknown, context: Context) => {
  const input = inputSchema.safeParse(event ?? {});
  if (!input.success) {
    const issue = input.error.issues[0];
    throw new Error(`tick input: ${issue?.path.join('.') || 'event'}: ${issue?.message ?? 'is invalid'}`);
  }
  const now = input.data.now ?? (input.data.time ? Date.parse(input.data.time) : Date.now());
  // One tenant asked for: ticked here, as before (an operator's replay of a minute).
  if (input.data.tenantId)
    return (await tickModule()).runTick(
      { deps: (await runtime()).deps, metrics },
      { now, tenantId: input.data.tenantId },
    );
  // Throws when the state store is unreachable (in-process) or no tenant could be dispatched: the
  // invocation then counts as a Lambda error, which the tick-errors alarm watches.
  return runRound(
    await config(),
    { now },
    {
      ...(sender ? { send: await sender() } : {}),
      reads: async (cfg, tasks) => (await reads())(cfg, tasks),
      census: censusStore,
      log: logger,
      local: async () => {
        const rt = await runtime();
        return { deps: rt.deps, metrics, pool: rt.clients.pool };
      },
      metrics,
      clock: Date.now,
      remainingMs: () => context.getRemainingTimeInMillis?.() ?? 55_000,
    },
  );
})
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
