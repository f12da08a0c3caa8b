import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { logger, metrics } from '../src/observability/index.js';
import { readEnv } from '../src/runtime/env.js';
import { ingestEvents } from '../src/runtime/events.js';
import { lazily } from '../src/runtime/lazy.js';

type AlarmStateChange = EventBridgeEvent<'CloudWatch Alarm State Change', unknown>;

const env = readEnv();
// Only the state store: alarms are matched to tenants by name, nothing is read from AWS.
// The state store's client, the configuration's parser and schema: imported and built at the first event
// (each a chunk of its own: module init compiles none of it).
const runtime = lazily(async () => {
  const [{ openAlarmEventsRuntime }, { loadConfigFromEnv }] = await Promise.all([
    import('../src/runtime/alarmEvents.js'),
    import('../src/runtime/config.js'),
  ]);
  return openAlarmEventsRuntime(loadConfigFromEnv(env), { log: logger, metrics });
});

/**
 * CloudWatch alarm state changes (EventBridge), mapped to tenants by alarm name prefix and recorded:
 * ALARM on a tenant's alarm is a critical breach, OK is recorded. Malformed events are acknowledged.
 */
export const handler = middy(async (event: AlarmStateChange) =>
  ingestEvents(await runtime(), { kind: 'alarm', event }),
)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
