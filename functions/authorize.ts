import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import { authorizeRequest, grantContext } from '../src/auth/index.js';
import { logger } from '../src/observability/index.js';
import { authorizeRuntime, tokenTables } from '../src/runtime/authorize.js';
import { readEnv } from '../src/runtime/env.js';

/*
 * API Gateway (HTTP API) Lambda REQUEST authorizer for every API route but the login form and static assets.
 * Why not `authorizer: { type: aws_iam }`: serverless-offline 14 does not emulate IAM auth; it logs a
 * warning and serves the route WITHOUT any authorization. This authorizer works the same in AWS and offline.
 *
 * Credentials: `Authorization: Bearer <token>` or the `soakwatch_session` cookie. Tokens are never stored:
 * the environment (SOAKWATCH_API_TOKEN_HASHES = `alice=<sha256 hex>[:read|read+action[:acme+beta]],…`)
 * and/or a Secrets Manager secret (SOAKWATCH_API_TOKENS_SECRET_ID) hold SHA-256 hashes with scopes and
 * tenants; a request's token is hashed and compared in constant time (src/auth). GET needs `read`, POST
 * `action`, a `{id}` path its tenant. Tokens never reach a log line.
 */

const runtime = authorizeRuntime(readEnv());

type Context = { principal: string; scopes: string; tenants: string };
type Result = APIGatewaySimpleAuthorizerWithContextResult<Context>;
const DENIED: Result = { isAuthorized: false, context: { principal: '', scopes: '', tenants: '' } };

async function authorize(event: APIGatewayRequestAuthorizerEventV2): Promise<Result> {
  // The environment's table and the secret's (src/runtime/authorize.ts: also POST /login's source).
  const outcome = authorizeRequest(event, await tokenTables(runtime));
  if (!outcome.ok) {
    logger.warn('request refused', {
      reason: outcome.reason,
      routeKey: event.routeKey,
      ...(outcome.principal ? { principal: outcome.principal } : {}),
    });
    return DENIED;
  }
  logger.info('request authorised', { principal: outcome.grant.principal, routeKey: event.routeKey });
  return { isAuthorized: true, context: grantContext(outcome.grant) };
}

export const handler = middy<APIGatewayRequestAuthorizerEventV2, Result>()
  // Never log the event here, whatever POWERTOOLS_LOGGER_LOG_EVENT says: it carries the token.
  .use(injectLambdaContext(logger, { logEvent: false }))
  .use({
    // Fail closed: an unreadable secret or a bad table denies the request instead of erroring open.
    onError: (request) => {
      logger.error('authorizer failed; request denied', { error: (request.error as Error | null)?.name });
      request.response = DENIED;
    },
  })
  .handler((event) => authorize(event));
