import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import { authorizeRequest, grantContext, parseTokenSecret } from '../src/auth/index.js';
import { logger } from '../src/observability/index.js';
import { authorizeRuntime } from '../src/runtime/authorize.js';
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

const { fromEnv, secretId, secrets } = authorizeRuntime(readEnv());

type Context = { principal: string; scopes: string; tenants: string };
type Result = APIGatewaySimpleAuthorizerWithContextResult<Context>;
const DENIED: Result = { isAuthorized: false, context: { principal: '', scopes: '', tenants: '' } };

async function authorize(event: APIGatewayRequestAuthorizerEventV2): Promise<Result> {
  // Read through the same resolver (and cache: a revocation is seen within five minutes) as every secret.
  const tables = secretId
    ? [fromEnv, parseTokenSecret(parseJsonSecret(await secrets.resolve({ secretId })))]
    : [fromEnv];
  const outcome = authorizeRequest(event, tables);
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

/** The token secret's JSON; its parse error is replaced (it would quote the secret's text). */
function parseJsonSecret(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error('API token secret: not JSON');
  }
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
