import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SNSEvent } from 'aws-lambda';
import { logger, metrics } from '../src/observability/index.js';
import { getRuntime, ingestEvents } from '../src/runtime/index.js';

/**
 * ElastiCache notifications through SNS (`{"ElastiCache:FailoverComplete": "acme-0001-001"}`), recorded as
 * tenant events. Malformed or unknown messages are logged, counted and acknowledged: throwing would only
 * make SNS/Lambda retry the same bad message.
 */
export const handler = middy(async (event: SNSEvent) =>
  ingestEvents(await getRuntime(), { kind: 'elasticache', event }),
)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
