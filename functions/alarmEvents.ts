import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { logger, metrics } from '../src/observability/index.js';
import { openAlarmEventsRuntime } from '../src/runtime/alarmEvents.js';
import { loadConfigFromEnv } from '../src/runtime/config.js';
import { readEnv } from '../src/runtime/env.js';
import { ingestEvents } from '../src/runtime/events.js';
import { lazily } from '../src/runtime/lazy.js';

type AlarmStateChange = EventBridgeEvent<'CloudWatch Alarm State Change', unknown>;

const env = readEnv();
// Only the state store: alarms are matched to tenants by name, nothing is read from AWS.
const runtime = lazily(() => openAlarmEventsRuntime(loadConfigFromEnv(env), { log: logger, metrics }));

/**
 * CloudWatch alarm state changes (EventBridge), mapped to tenants by alarm name prefix and recorded:
 * ALARM on a tenant's alarm is a critical breach, OK is recorded. Malformed events are acknowledged.
 */
export const handler = middy(async (event: AlarmStateChange) =>
  ingestEvents(await runtime(), { kind: 'alarm', event }),
)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
