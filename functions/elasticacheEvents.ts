import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SNSEvent } from 'aws-lambda';
import { logger, metrics } from '../src/observability/index.js';
import { readEnv } from '../src/runtime/env.js';
import { ingestEvents } from '../src/runtime/events.js';
import { lazily } from '../src/runtime/lazy.js';

const env = readEnv();
// The state store and an ElastiCache client (the groups' member clusters), kept while the container is warm.
// The state store's client, the configuration's parser and schema: imported and built at the first event
// (each a chunk of its own: module init compiles none of it).
const runtime = lazily(async () => {
  const [{ openElastiCacheEventsRuntime }, { loadConfigFromEnv }] = await Promise.all([
    import('../src/runtime/elasticacheEvents.js'),
    import('../src/runtime/config.js'),
  ]);
  return openElastiCacheEventsRuntime(loadConfigFromEnv(env), { log: logger, metrics });
});

/**
 * ElastiCache notifications through SNS (`{"ElastiCache:FailoverComplete": "acme-0001-001"}`), recorded as
 * tenant events. Malformed or unknown messages are logged, counted and acknowledged: throwing would only
 * make SNS/Lambda retry the same bad message.
 */
export const handler = middy(async (event: SNSEvent) =>
  ingestEvents(await runtime(), { kind: 'elasticache', event }),
)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
