import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import httpRouterHandler from '@middy/http-router';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { z } from 'zod';
import { getTenantStatus, listTenants, performAction, renderStatusPage } from '../src/api/index.js';
import { logger, metrics } from '../src/observability/index.js';
import { getRuntime } from '../src/runtime/index.js';
import { html, json, parseOr400, principalOf } from './lib/http.js';

type Event = APIGatewayProxyEventV2;
type Result = APIGatewayProxyResultV2;

const tenantId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lowercase letters, digits, - and _; at most 63');
const statusParams = z.object({ id: tenantId });
const actionParams = z.object({
  id: tenantId,
  action: z.enum(['cutover', 'abort', 'approve', 'scaled-down', 'restart'], {
    error: 'must be one of cutover, abort, approve, scaled-down, restart',
  }),
});
// No body is fine (`abort` needs nothing); a body is a JSON object with only these keys.
const actionBody = z
  .strictObject({
    reason: z.string().trim().min(1).max(1_000).optional(),
    force: z.boolean().optional(),
  })
  .nullish();

const getTenants = async (): Promise<Result> => json(await listTenants(await getRuntime()));

const getStatus = async (event: Event): Promise<Result> => {
  const { id } = parseOr400(statusParams, event.pathParameters, 'path');
  return json(await getTenantStatus(await getRuntime(), id));
};

const getStatusPage = async (): Promise<Result> => html(await renderStatusPage(await getRuntime()));

const postAction = middy<Event, Result>()
  // Without a JSON content type the body stays a string (or absent) and is judged by the schema below.
  .use(httpJsonBodyParser({ disableContentTypeError: true }))
  .handler(async (event) => {
    const principal = principalOf(event.requestContext);
    const { id, action } = parseOr400(actionParams, event.pathParameters, 'path');
    const body = parseOr400(actionBody, event.body, 'body');
    const result = await performAction(await getRuntime(), id, action, { principal, ...body });
    return json(result);
  });

/** Release-manager API: tenants, per-tenant status, the HTML status page, and audited actions. */
export const handler = middy(
  httpRouterHandler<Event, Result>([
    { method: 'GET', path: '/tenants', handler: getTenants },
    { method: 'GET', path: '/tenants/{id}/status', handler: getStatus },
    { method: 'GET', path: '/status', handler: getStatusPage },
    { method: 'POST', path: '/tenants/{id}/actions/{action}', handler: postAction },
  ]),
)
  // Never log the event here, whatever POWERTOOLS_LOGGER_LOG_EVENT says: it carries the bearer token.
  .use(injectLambdaContext(logger, { logEvent: false }))
  .use(logMetrics(metrics))
  // Last registered, first on error: 4xx from createError pass through, anything else is a plain 500.
  .use(
    httpErrorHandler({
      fallbackMessage: 'internal error',
      // A refused request (4xx) is the API working: info, not an error that pages someone.
      logger: (error: unknown) => {
        const status = (error as { statusCode?: number } | undefined)?.statusCode ?? 500;
        if (status < 500) logger.info('request refused', { status, message: (error as Error).message });
        else logger.error('request failed', { error });
      },
    }),
  );
