import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createApiHandler } from '../../../src/api/index.js';
import { nodePseudonym } from '../../../src/api/redact.js';
import { logger, metrics } from '../../../src/observability/index.js';
import type { ReleaseDeps } from '../../../src/release/index.js';
import type { SoakState } from '../../../src/soak/index.js';
import { httpApiEvent } from '../../support/apiEvent.js';
import { type MemoryStore, memoryStore } from '../../support/memoryStore.js';
import { tenantInput, unitConfig, unitTickDeps } from '../../support/unitTick.js';

// The release-manager API as API Gateway (HTTP API, payload 2.0) invokes it: the whole middy stack
// (router, body parser, error mapping, error handler, Powertools) over the release service and the
// in-memory state store.

const config = unitConfig([tenantInput('acme'), tenantInput('beta')]);
const NOW = Date.parse('2026-03-02T10:00:00Z');

const context = {
  functionName: 'soakwatch-test-api',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:soakwatch-test-api',
  memoryLimitInMB: '512',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

function api(store: MemoryStore = memoryStore({ now: NOW }), over: Partial<ReleaseDeps> = {}) {
  const { deps, recorded } = unitTickDeps(config, store);
  const handler = createApiHandler({
    runtime: () => Promise.resolve({ deps: { ...deps, ...over } }),
    logger,
    metrics,
    now: () => NOW,
  });
  const call = async (event: APIGatewayProxyEventV2) =>
    (await handler(event, context)) as APIGatewayProxyStructuredResultV2;
  return { call, store, recorded };
}

/** An HTTP API (payload 2.0) event as API Gateway sends it, with the authorizer's principal if given. */
function event(
  method: 'GET' | 'POST',
  path: string,
  opts: {
    routeKey: string;
    pathParameters?: Record<string, string>;
    body?: string;
    contentType?: string;
    /** The authorizer's context; GETs default to a read-only principal, `null`: none at all. */
    principal?: string | null;
    scopes?: 'read' | 'read,action';
    tenants?: string;
  },
): APIGatewayProxyEventV2 {
  const principal = opts.principal === undefined && method === 'GET' ? 'reader' : opts.principal;
  const scopes = opts.scopes ?? (method === 'GET' ? 'read' : 'read,action');
  return httpApiEvent(method, path, { ...opts, principal: principal ?? null, scopes, now: NOW });
}

const status = (id: string) =>
  event('GET', `/tenants/${id}/status`, { routeKey: 'GET /tenants/{id}/status', pathParameters: { id } });
const action = (id: string, name: string, opts: { body?: unknown; principal?: string } = {}) =>
  event('POST', `/tenants/${id}/actions/${name}`, {
    routeKey: 'POST /tenants/{id}/actions/{action}',
    pathParameters: { id, action: name },
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body), contentType: 'application/json' } : {}),
    ...(opts.principal ? { principal: opts.principal } : {}),
  });

describe('GET routes', () => {
  it('lists every tenant with its status, as JSON', async () => {
    const { call } = api();

    const res = await call(event('GET', '/tenants', { routeKey: 'GET /tenants' }));

    expect(res.statusCode).toBe(200);
    expect(res.headers?.['Content-Type']).toBe('application/json; charset=utf-8');
    const body = JSON.parse(res.body ?? '') as { tenants: { tenant: string; state: string }[] };
    expect(body.tenants.map((t) => [t.tenant, t.state])).toEqual([
      ['acme', 'REPLICATING'],
      ['beta', 'REPLICATING'],
    ]);
  });

  it("serves one tenant's status, 404 naming a tenant not configured, 400 naming an invalid id", async () => {
    const { call } = api();

    const ok = await call(status('acme'));
    const unknown = await call(status('nobody'));
    const invalid = await call(status('NOT_VALID!'));

    expect(ok.statusCode).toBe(200);
    expect(JSON.parse(ok.body ?? '')).toMatchObject({ tenant: 'acme', state: 'REPLICATING', judged: false });
    expect([unknown.statusCode, unknown.body]).toEqual([404, 'unknown tenant "nobody"']);
    expect(invalid.statusCode).toBe(400);
    expect(invalid.body).toMatch(/^path\.id: /);
  });

  it('renders the HTML status page', async () => {
    const { call } = api();

    const res = await call(event('GET', '/status', { routeKey: 'GET /status' }));

    expect(res.statusCode).toBe(200);
    expect(res.headers?.['Content-Type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('<h1>Fleet: 2 tenant(s)</h1>');
    expect(res.body).toContain('acme');
  });

  it('answers a store failure with a plain 500 that tells nothing of the store', async () => {
    const store = memoryStore({ now: NOW });
    store.fail('*');
    const { call } = api(store);

    const res = await call(status('acme'));

    expect([res.statusCode, res.body]).toEqual([500, 'internal error']);
  });
});

describe('POST /tenants/{id}/actions/{action}', () => {
  it('performs an allowed action as the authorised principal, recorded as the actor', async () => {
    const { call, store, recorded } = api();

    const res = await call(
      action('acme', 'abort', { principal: 'alice', body: { reason: 'wrong cluster' } }),
    );

    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body ?? '')).toMatchObject({ tenant: 'acme', state: 'ABORTED' });
    expect((await store.getState<SoakState>('acme'))?.state.state).toBe('ABORTED');
    expect(await store.auditTrail('acme')).toEqual([
      expect.objectContaining({ actor: 'alice', action: 'aborted', reason: 'wrong cluster' }),
    ]);
    expect(recorded.published.map((m) => m.attributes.kind)).toEqual(['aborted']);
  });

  it('answers without internal host:port: an address in any answer becomes its pseudonym', async () => {
    const { call, store } = api();

    const res = await call(
      action('acme', 'abort', {
        principal: 'alice',
        body: { reason: 'legacy 10.0.7.21:6379 is the wrong one' },
      }),
    );
    const page = await call(event('GET', '/status', { routeKey: 'GET /status' }));

    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('10.0.7.21:6379');
    expect(res.body).toContain(nodePseudonym('10.0.7.21:6379'));
    expect(page.body).not.toContain('10.0.7.21:6379');
    // The audit trail itself keeps what the principal wrote; only what leaves the API is reduced.
    expect((await store.auditTrail('acme'))[0]).toMatchObject({
      reason: 'legacy 10.0.7.21:6379 is the wrong one',
    });
  });

  it('needs no body for an action without a reason', async () => {
    const { call } = api();

    const res = await call(action('beta', 'abort', { principal: 'alice' }));

    expect(res.statusCode).toBe(200);
  });

  it("refuses what the state does not allow with 409 and the judge's reason", async () => {
    const { call, store } = api();

    const res = await call(action('acme', 'approve', { principal: 'alice', body: { reason: 'looks fine' } }));

    expect(res.statusCode).toBe(409);
    expect(res.body).toBe(
      'approve refused for tenant acme: approve is possible from PASSED only; the state is REPLICATING',
    );
    expect(await store.auditTrail('acme')).toEqual([]);
  });

  it('refuses a request without an authorised principal (401)', async () => {
    const { call } = api();

    const res = await call(action('acme', 'abort', { body: { reason: 'test' } }));

    expect(res.statusCode).toBe(401);
  });

  it('names the invalid part of a request: an unknown action, an unknown key, a reason too long (400)', async () => {
    const { call } = api();

    const unknownAction = await call(action('acme', 'explode', { principal: 'alice' }));
    const extraKey = await call(
      action('acme', 'abort', { principal: 'alice', body: { force: true, why: 1 } }),
    );
    const longReason = await call(
      action('acme', 'abort', { principal: 'alice', body: { reason: 'x'.repeat(1001) } }),
    );

    expect(unknownAction.statusCode).toBe(400);
    expect(unknownAction.body).toBe(
      'path.action: must be one of cutover, abort, approve, scaled-down, restart',
    );
    expect(extraKey.statusCode).toBe(400);
    expect(extraKey.body).toMatch(/^body: /);
    expect(longReason.statusCode).toBe(400);
    expect(longReason.body).toMatch(/^body\.reason: /);
  });

  it('answers 404 for an action on a tenant not configured', async () => {
    const { call } = api();

    const res = await call(action('nobody', 'abort', { principal: 'alice' }));

    expect([res.statusCode, res.body]).toEqual([404, 'unknown tenant "nobody"']);
  });
});

describe("authentication, scopes and tenants (the authorizer's context, read by principalOf)", () => {
  it('refuses a GET without an authenticated principal (401)', async () => {
    const { call } = api();

    const list = await call(event('GET', '/tenants', { routeKey: 'GET /tenants', principal: null }));
    const page = await call(event('GET', '/status', { routeKey: 'GET /status', principal: null }));

    expect([list.statusCode, page.statusCode]).toEqual([401, 401]);
  });

  it('refuses an action to a read-only token (403), and writes nothing', async () => {
    const { call, store } = api();

    const res = await call(
      event('POST', '/tenants/acme/actions/abort', {
        routeKey: 'POST /tenants/{id}/actions/{action}',
        pathParameters: { id: 'acme', action: 'abort' },
        principal: 'reader',
        scopes: 'read',
      }),
    );

    expect([res.statusCode, res.body]).toEqual([403, 'this route needs the action scope']);
    expect(await store.auditTrail('acme')).toEqual([]);
  });

  it('shows a tenant-limited token only its tenants; another answers as unknown (404)', async () => {
    const { call } = api();
    const limited = { principal: 'acme-rm', tenants: 'acme' };

    const list = await call(event('GET', '/tenants', { routeKey: 'GET /tenants', ...limited }));
    const other = await call(
      event('GET', '/tenants/beta/status', {
        routeKey: 'GET /tenants/{id}/status',
        pathParameters: { id: 'beta' },
        ...limited,
      }),
    );
    const page = await call(event('GET', '/status', { routeKey: 'GET /status', ...limited }));

    const body = JSON.parse(list.body ?? '') as { tenants: { tenant: string }[] };
    expect(body.tenants.map((t) => t.tenant)).toEqual(['acme']);
    expect([other.statusCode, other.body]).toEqual([404, 'unknown tenant "beta"']);
    expect(page.body).not.toContain('beta');
  });

  it('sends security headers, and the CSP on HTML', async () => {
    const { call } = api();

    const page = await call(event('GET', '/status', { routeKey: 'GET /status' }));
    const json = await call(event('GET', '/tenants', { routeKey: 'GET /tenants' }));
    const refused = await call(event('GET', '/tenants', { routeKey: 'GET /tenants', principal: null }));

    const csp = page.headers?.['Content-Security-Policy'];
    expect(String(csp).split('; ').sort()).toEqual(
      [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
      ].sort(),
    );
    for (const res of [page, json, refused]) {
      expect(res.headers?.['X-Content-Type-Options']).toBe('nosniff');
    }
    expect(page.headers?.['X-Frame-Options']).toBe('DENY');
  });
});
