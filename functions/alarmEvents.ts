import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { logger, metrics } from '../src/observability/index.js';
import { getRuntime, ingestEvents } from '../src/runtime/index.js';

type AlarmStateChange = EventBridgeEvent<'CloudWatch Alarm State Change', unknown>;

/**
 * CloudWatch alarm state changes (EventBridge), mapped to tenants by alarm name prefix and recorded:
 * ALARM on a tenant's alarm is a critical breach, OK is recorded. Malformed events are acknowledged.
 */
export const handler = middy(async (event: AlarmStateChange) =>
  ingestEvents(await getRuntime(), { kind: 'alarm', event }),
)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
