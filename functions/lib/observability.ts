import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

// One Logger and one Metrics per container, shared by every handler file bundled with them.
// Service name and namespace come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE (serverless.yml).

/** Structured JSON logger; `injectLambdaContext` adds the request id. Never give it a token or password. */
export const logger = new Logger();

/** Embedded Metric Format through stdout, flushed by the `logMetrics` middleware after each invocation. */
export const metrics = new Metrics();
