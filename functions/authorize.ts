import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import { authorizeRequest, parseTokenSecret } from '../src/auth/index.js';
import { logger } from '../src/observability/index.js';
import { authorizeRuntime } from '../src/runtime/authorize.js';
import { readEnv } from '../src/runtime/env.js';

/*
 * API Gateway (HTTP API) Lambda REQUEST authorizer for the release-manager actions.
 * Why not `authorizer: { type: aws_iam }`: serverless-offline 14 does not emulate IAM auth; it logs a
 * warning and serves the route WITHOUT any authorization. This authorizer works the same in AWS and offline.
 *
 * Tokens are never stored: the environment (SOAKWATCH_API_TOKEN_HASHES = `alice=<sha256 hex>,…`) and/or a
 * Secrets Manager secret (SOAKWATCH_API_TOKENS_SECRET_ID, JSON `{"alice": "<sha256 hex>"}`) hold SHA-256
 * hashes; a request's token is hashed and compared in constant time (src/auth). Tokens never reach a log line.
 */

const { fromEnv, secretId, secrets } = authorizeRuntime(readEnv());

type Result = APIGatewaySimpleAuthorizerWithContextResult<{ principal: string }>;

async function authorize(event: APIGatewayRequestAuthorizerEventV2): Promise<Result> {
  // Read through the same resolver (and cache: a revocation is seen within five minutes) as every secret.
  const tables = secretId
    ? [fromEnv, parseTokenSecret(parseJsonSecret(await secrets.resolve({ secretId })))]
    : [fromEnv];
  const principal = authorizeRequest(event, tables);
  if (!principal) {
    logger.warn('action refused: no valid bearer token', { routeKey: event.routeKey });
    return { isAuthorized: false, context: { principal: '' } };
  }
  logger.info('action authorised', { principal, routeKey: event.routeKey });
  return { isAuthorized: true, context: { principal } };
}

const base = middy<APIGatewayRequestAuthorizerEventV2, Result>()
  // Never log the event here, whatever POWERTOOLS_LOGGER_LOG_EVENT says: it carries the bearer token.
  .use(injectLambdaContext(logger, { logEvent: false }))
  .use({
    // Fail closed: an unreadable secret or a bad table denies the request instead of erroring open.
    onError: (request) => {
      logger.error('authorizer failed; request denied', { error: request.error });
      request.response = { isAuthorized: false, context: { principal: '' } };
    },
  });

/** The token secret's JSON; its parse error is replaced (it would quote the secret's text). */
function parseJsonSecret(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error('API token secret: not JSON');
  }
}

export const handler = base.handler((event) => authorize(event));
