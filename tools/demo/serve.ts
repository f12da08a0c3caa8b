import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { createApiHandler } from '../../src/api/index.js';
import {
  authorizeRequest,
  grantContext,
  hashToken,
  principalForToken,
  type TokenTable,
} from '../../src/auth/index.js';
import { logger, metrics } from '../../src/observability/index.js';
import type { ReleaseDeps } from '../../src/release/index.js';

/** Routes that API Gateway serves without the authorizer (serverless.yml): no data behind them. */
const OPEN = [/^GET \/login$/, /^POST \/login$/, /^GET \/assets\/[^/]+$/, /^GET \/status$/];

export interface DemoServer {
  url: string;
  token: string;
  stop(): Promise<void>;
}

/**
 * The api function's handler behind a loopback HTTP server, for the demo: each request becomes the HTTP
 * API (payload 2.0) event API Gateway would send, the authorizer's check done here with a one-off token.
 */
export async function serveStatusPages(deps: ReleaseDeps): Promise<DemoServer> {
  const token = randomBytes(16).toString('hex');
  // The demo's release manager may read and act on every tenant.
  const table: TokenTable = new Map([
    ['demo-release-manager', { hash: hashToken(token), scopes: ['read', 'action'], tenants: '*' }],
  ]);
  const handler = createApiHandler({
    runtime: () => Promise.resolve({ deps }),
    logger,
    metrics,
    verifyToken: (t) => principalForToken(t, table),
  });
  const server: Server = createServer((req, res) => {
    void answer(req).then(
      (out) => {
        const headers: Record<string, string | string[]> = { ...(out.headers as Record<string, string>) };
        if (out.cookies?.length) headers['Set-Cookie'] = out.cookies;
        res.writeHead(out.statusCode ?? 200, headers).end(out.body ?? '');
      },
      (error: unknown) => res.writeHead(500).end(String(error)),
    );
  });

  async function answer(req: IncomingMessage): Promise<APIGatewayProxyStructuredResultV2> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
    );
    const method = req.method ?? 'GET';
    const outcome = authorizeRequest({ headers, requestContext: { http: { method } } }, [table]);
    if (!outcome.ok && !OPEN.some((r) => r.test(`${method} ${url.pathname}`)))
      return { statusCode: 403, body: 'Forbidden: sign in at /login' };
    const event = {
      version: '2.0',
      routeKey: '$default',
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers,
      ...(url.search ? { queryStringParameters: Object.fromEntries(url.searchParams) } : {}),
      ...(chunks.length ? { body: Buffer.concat(chunks).toString('utf8') } : {}),
      isBase64Encoded: false,
      requestContext: {
        http: { method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: '' },
        ...(outcome.ok ? { authorizer: { lambda: grantContext(outcome.grant) } } : {}),
      },
    } as unknown as APIGatewayProxyEventV2;
    const context = { awsRequestId: 'demo', getRemainingTimeInMillis: () => 29_000 } as unknown as Context;
    return (await handler(event, context)) as APIGatewayProxyStructuredResultV2;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
