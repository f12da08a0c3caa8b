import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

// One Logger and one Metrics per process, shared by the handlers (their middlewares flush them) and src/.
// Service name and namespace come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE.

/** Structured JSON logger. Never give it a token or password (URLs go through redactUrl first). */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'soakwatch' });

/** Embedded Metric Format through stdout, flushed by the `logMetrics` middleware after each invocation. */
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Soakwatch',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'soakwatch',
});
