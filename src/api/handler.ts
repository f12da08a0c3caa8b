import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import httpRouterHandler from '@middy/http-router';
import httpSecurityHeaders from '@middy/http-security-headers';
import { createError } from '@middy/util';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import * as z from 'zod';
import { AuthError, allows, type Grant, principalOf, type Scope } from '../auth/index.js';
import { tenantIdSchema } from '../config/schema.js';
import type { ConnectionPool } from '../redis/index.js';
import { reasonSchema } from '../release/actions.js';
import type { ReleaseDeps } from '../release/types.js';
import { ACTIONS } from '../soak/index.js';
import { releaseErrorsToHttp } from './errors.js';
import { createFenceRoutes } from './fence.js';
import { getTenantStatus, listTenants, performAction } from './handlers.js';
import { json, parseOr400 } from './http.js';
import { createPageRoutes, type TokenVerifier } from './pages.js';
import { redactAddresses } from './redact.js';

type Event = APIGatewayProxyEventV2;
type Result = APIGatewayProxyResultV2;

const statusParams = z.object({ id: tenantIdSchema });
const actionParams = z.object({
  id: tenantIdSchema,
  action: z.enum(ACTIONS, { error: `must be one of ${ACTIONS.join(', ')}` }),
});
// No body is fine (`abort` needs nothing); a body is a JSON object with only these keys.
const actionBody = z
  .strictObject({
    reason: reasonSchema.optional(),
    force: z.boolean().optional(),
  })
  .nullish();

/**
 * The status pages' Content-Security-Policy: scripts, styles and images from the API itself (no inline
 * code, no CDN), no framing, forms only back to the API. Keys the middleware has by default and this policy
 * does not use are switched off (false), so the header is exactly this policy.
 */
export const CSP = {
  'default-src': "'none'",
  'script-src': "'self'",
  'style-src': "'self'",
  'img-src': "'self' data:",
  'connect-src': "'self'",
  'form-action': "'self'",
  'frame-ancestors': "'none'",
  'base-uri': "'none'",
  sandbox: false,
  'navigate-to': false,
  'report-to': false,
  'require-trusted-types-for': false,
  'trusted-types': false,
  'upgrade-insecure-requests': false,
} as const;

/** What the API handler uses: the release service's dependencies (src/runtime's api runtime). */
export interface ApiRuntime {
  deps: ReleaseDeps;
  /**
   * Connections to the tenants' legacy Redis, for the fence (src/release/fence.ts); its clients connect
   * at the first fence request. Absent: the fence routes answer 409 (no connection to legacy).
   */
  pool?: ConnectionPool;
}

export interface ApiHandlerOptions {
  /** The container's runtime, built on first use (and again after a failed build). */
  runtime: () => Promise<ApiRuntime>;
  logger: Logger;
  metrics: Metrics;
  /** The clock statuses are evaluated at (default Date.now). */
  now?: () => number;
  /** POST /login: the principal of a token, by the authorizer's own verification (none: sign-in refused). */
  verifyToken?: TokenVerifier;
}

/**
 * The release-manager API: tenants, per-tenant status, the HTML status page, and audited actions. Each
 * route parses its input (a 400 naming the field), calls the release service and renders its answer;
 * the service's refusals become HTTP errors in one place (releaseErrorsToHttp).
 */
export function createApiHandler(opts: ApiHandlerOptions) {
  const now = opts.now ?? Date.now;
  const deps = async () => (await opts.runtime()).deps;

  /** The request's grant, if it has `scope` (and the tenant, when given); else a 401 or 403. */
  const authorized = (event: Event, scope: Scope, tenant?: string): Grant => {
    let grant: Grant;
    try {
      grant = principalOf(event);
    } catch (error) {
      if (error instanceof AuthError) throw createError(error.status, error.message, { expose: true });
      throw error;
    }
    if (!allows(grant, scope))
      throw createError(403, `this route needs the ${scope} scope`, { expose: true });
    // A tenant the token may not see answers like one that does not exist: its name tells nothing.
    if (tenant !== undefined && !allows(grant, scope, tenant))
      throw createError(404, `unknown tenant "${tenant}"`, { expose: true });
    return grant;
  };
  /** The release service's dependencies with only the tenants the grant may see. */
  const depsFor = async (grant: Grant) => {
    const d = await deps();
    if (grant.tenants === '*') return d;
    const visible = grant.tenants;
    return { ...d, config: { ...d.config, tenants: d.config.tenants.filter((t) => visible.includes(t.id)) } };
  };

  const getTenants = async (event: Event): Promise<Result> =>
    json(await listTenants(await depsFor(authorized(event, 'read')), now()));

  const getStatus = async (event: Event): Promise<Result> => {
    const { id } = parseOr400(statusParams, event.pathParameters, 'path');
    return json(await getTenantStatus(await depsFor(authorized(event, 'read', id)), id, now()));
  };

  const access = async (event: Event, scope: Scope, tenant?: string) => {
    const grant = authorized(event, scope, tenant);
    return { principal: grant.principal, deps: await depsFor(grant) };
  };
  const pool = async () => (await opts.runtime()).pool;
  const pages = createPageRoutes({ access, pool, now, verifyToken: opts.verifyToken });
  const fence = createFenceRoutes({ access, pool, now });

  const postAction = middy<Event, Result>()
    // Without a JSON content type the body stays a string (or absent) and is judged by the schema below.
    .use(httpJsonBodyParser({ disableContentTypeError: true }))
    .handler(async (event) => {
      const { id, action } = parseOr400(actionParams, event.pathParameters, 'path');
      const { principal } = authorized(event, 'action', id);
      const body = parseOr400(actionBody, event.body, 'body');
      return json(await performAction(await deps(), id, action, { principal, ...body }, now()));
    });

  return (
    middy<Event, Result, Error, Context>(
      httpRouterHandler<Event, Result>([
        { method: 'GET', path: '/tenants', handler: getTenants },
        { method: 'GET', path: '/tenants/{id}/status', handler: getStatus },
        { method: 'POST', path: '/tenants/{id}/actions/{action}', handler: postAction },
        ...fence,
        ...pages,
      ]),
    )
      // Every answer (pages, JSON, the evidence pack, errors) leaves without internal host:port: a node
      // named in a status, a criterion's cause or a stored note becomes its pseudonym (src/api/redact.ts).
      .use({
        after: (request) => {
          const response = request.response as { body?: unknown } | undefined;
          if (response && typeof response.body === 'string') response.body = redactAddresses(response.body);
        },
        onError: (request) => {
          const response = request.response as { body?: unknown } | undefined;
          if (response && typeof response.body === 'string') response.body = redactAddresses(response.body);
        },
      })
      // Never log the event here, whatever POWERTOOLS_LOGGER_LOG_EVENT says: it carries the bearer token.
      .use(injectLambdaContext(opts.logger, { logEvent: false }))
      // Every response (errors too): nosniff, frame denial…; HTML also the CSP the pages are written for.
      .use(
        // Typed as strings only; the middleware skips a falsy directive (and `false` is not `''`, which
        // would add a bare `sandbox` / `upgrade-insecure-requests`).
        httpSecurityHeaders({ contentSecurityPolicy: CSP as unknown as Record<string, string> }),
      )
      .use(logMetrics(opts.metrics))
      // On error middy runs the last registered first: the service's errors become HTTP errors, then the
      // error handler renders them; 4xx from createError pass through, anything else is a plain 500.
      .use(
        httpErrorHandler({
          fallbackMessage: 'internal error',
          // A refused request (4xx) is the API working: info, not an error that pages someone.
          logger: (error: unknown) => {
            const status = (error as { statusCode?: number } | undefined)?.statusCode ?? 500;
            if (status < 500)
              opts.logger.info('request refused', { status, message: (error as Error).message });
            else opts.logger.error('request failed', { error });
          },
        }),
      )
      .use(releaseErrorsToHttp())
  );
}
