import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/**
 * An HTTP API (payload 2.0) event as API Gateway sends it to the api function, with the authorizer's
 * context when a principal is given (null: no authorizer context, as on the open routes).
 */
export function httpApiEvent(
  method: string,
  path: string,
  opts: {
    routeKey: string;
    pathParameters?: Record<string, string>;
    queryStringParameters?: Record<string, string>;
    body?: string;
    contentType?: string;
    principal?: string | null;
    scopes?: string;
    tenants?: string;
    now?: number;
  },
): APIGatewayProxyEventV2 {
  const principal = opts.principal === undefined ? 'alice' : opts.principal;
  const now = opts.now ?? Date.now();
  return {
    version: '2.0',
    routeKey: opts.routeKey,
    rawPath: path,
    rawQueryString: '',
    headers: opts.contentType ? { 'content-type': opts.contentType } : {},
    ...(opts.pathParameters ? { pathParameters: opts.pathParameters } : {}),
    ...(opts.queryStringParameters ? { queryStringParameters: opts.queryStringParameters } : {}),
    ...(opts.body !== undefined ? { body: opts.body } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'api',
      domainName: 'api.example',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'r-1',
      routeKey: opts.routeKey,
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
      ...(principal
        ? {
            authorizer: {
              lambda: { principal, scopes: opts.scopes ?? 'read,action', tenants: opts.tenants ?? '*' },
            },
          }
        : {}),
    },
  } as APIGatewayProxyEventV2;
}

/** A JSON body and its content type, for `httpApiEvent`'s options (nothing when the body is undefined). */
export function jsonBody(body: unknown): { body?: string; contentType?: string } {
  return body === undefined ? {} : { body: JSON.stringify(body), contentType: 'application/json' };
}
