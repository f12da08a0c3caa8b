import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import secretsManager from '@middy/secrets-manager';
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

const { fromEnv, secretId } = authorizeRuntime(readEnv());

type Result = APIGatewaySimpleAuthorizerWithContextResult<{ principal: string }>;
type Context = { apiTokens?: unknown };

function authorize(event: APIGatewayRequestAuthorizerEventV2, context: Context): Result {
  const tables = secretId ? [fromEnv, parseTokenSecret(context.apiTokens)] : [fromEnv];
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

if (secretId)
  base.use(
    secretsManager({
      fetchData: { apiTokens: secretId },
      setToContext: true,
      // Rotation or revocation in the secret is seen within five minutes.
      cacheExpiry: 5 * 60_000,
    }),
  );

export const handler = base.handler((event, context) => authorize(event, context as Context));
