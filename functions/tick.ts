import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import * as z from 'zod';
import { logger, metrics } from '../src/observability/index.js';
import { loadConfigFromEnv } from '../src/runtime/config.js';
import { readEnv } from '../src/runtime/env.js';
import { lazily } from '../src/runtime/lazy.js';
import { openTickRuntime, runTick } from '../src/runtime/tick.js';

const env = readEnv();
// The state store, the pool of connections to the tenants' nodes, SNS, CloudWatch and ElastiCache, and
// the warm cache: built at the first tick and kept while the container is warm.
const runtime = lazily(() => openTickRuntime(loadConfigFromEnv(env), { log: logger, metrics, aws: true }));

// The schedule's event carries nothing soakwatch needs (its keys are dropped); a direct invocation
// (the offline test, an operator replaying a minute) may pass `{ "now": <epoch ms>, "tenantId": "acme" }`.
const inputSchema = z.object({
  now: z.number().int().positive().optional(),
  tenantId: z.string().min(1).optional(),
});

/** Scheduled every minute: sample → store → judge → alert, for every tenant (or the one asked for). */
export const handler = middy(async (event: unknown) => {
  const input = inputSchema.safeParse(event ?? {});
  if (!input.success) {
    const issue = input.error.issues[0];
    throw new Error(`tick input: ${issue?.path.join('.') || 'event'}: ${issue?.message ?? 'is invalid'}`);
  }
  // Throws only when the state store is unreachable: the invocation then counts as a Lambda error,
  // which the tick-errors alarm watches. One tenant's failure is inside the report instead.
  // SamplesJudged (the no-samples alarm), SamplesCollected and FutureSamples are emitted by runTick.
  return runTick({ deps: (await runtime()).deps, metrics }, input.data);
})
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
