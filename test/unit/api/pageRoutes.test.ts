import { createHash } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createApiHandler } from '../../../src/api/index.js';
import { authorizeRequest, hashToken, type TokenTable } from '../../../src/auth/index.js';
import { logger, metrics } from '../../../src/observability/index.js';
import { canonicalJson } from '../../../src/release/index.js';
import { httpApiEvent } from '../../support/apiEvent.js';
import { memoryStore } from '../../support/memoryStore.js';
import { tenantInput, unitConfig, unitTickDeps } from '../../support/unitTick.js';

// The pages' routes and their data through the whole middy stack, over the in-memory state store.

const config = unitConfig([tenantInput('acme')]);
const NOW = Date.parse('2026-03-02T10:00:00Z');
const context = { awsRequestId: 'r', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

async function api() {
  const store = memoryStore({ now: NOW });
  for (let i = 0; i < 50; i++)
    await store.appendHistory(
      'acme',
      { at: NOW - 50_000 + i * 1000, derived: { cdcLagMs: i === 17 ? 9_000 : i }, complete: true },
      86_400_000,
    );
  for (let i = 0; i < 7; i++)
    await store.appendAudit('acme', {
      at: NOW - 10_000 + i,
      actor: 'alice',
      action: `note-${i}`,
      reason: i === 3 ? '<script>x</script>' : 'ok',
    });
  const { deps } = unitTickDeps(config, store);
  const handler = createApiHandler({
    runtime: () => Promise.resolve({ deps }),
    logger,
    metrics,
    now: () => NOW,
    verifyToken: (t) => (t === 'good-token' ? 'alice' : undefined),
  });
  return async (
    method: string,
    path: string,
    routeKey: string,
    opts: { params?: Record<string, string>; query?: Record<string, string>; body?: string } = {},
  ) =>
    (await handler(
      httpApiEvent(method, path, {
        routeKey,
        ...(opts.params ? { pathParameters: opts.params } : {}),
        ...(opts.query ? { queryStringParameters: opts.query } : {}),
        ...(opts.body !== undefined ? { body: opts.body } : {}),
      }),
      context,
    )) as APIGatewayProxyStructuredResultV2;
}

const SAMPLES = 'GET /tenants/{id}/samples';

describe('GET /tenants/{id}/samples', () => {
  it('returns the stored values, downsampled to the bound with the spike kept', async () => {
    const call = await api();
    const all = await call('GET', '/tenants/acme/samples', SAMPLES, {
      params: { id: 'acme' },
      query: { metric: 'cdcLagMs', from: String(NOW - 60_000), to: String(NOW) },
    });
    expect(all.statusCode, all.body).toBe(200);
    const body = JSON.parse(all.body ?? '') as { points: { at: number; v: number }[]; stored: number };
    expect(body.stored).toBe(50);
    expect(body.points).toHaveLength(50);
    const few = await call('GET', '/tenants/acme/samples', SAMPLES, {
      params: { id: 'acme' },
      query: { metric: 'cdcLagMs', from: String(NOW - 60_000), to: String(NOW), points: '10' },
    });
    const points = (JSON.parse(few.body ?? '') as { points: { v: number }[] }).points;
    expect(points.length).toBeLessThanOrEqual(10);
    expect(points.map((p) => p.v)).toContain(9_000);
  });

  it('answers 400 naming the problem and 404 for an unknown tenant', async () => {
    const call = await api();
    const bad = (query: Record<string, string>) =>
      call('GET', '/tenants/acme/samples', SAMPLES, { params: { id: 'acme' }, query });
    expect((await bad({})).body).toMatch(/^query\.metric: /);
    expect((await bad({ metric: 'nope' })).body).toBe('query.metric: is not a known metric');
    expect((await bad({ metric: 'cdcLagMs', points: '99999' })).body).toMatch(/^query\.points: /);
    expect((await bad({ metric: 'cdcLagMs', from: 'yesterday' })).body).toMatch(/^query\.from: .*not a time/);
    expect((await bad({ metric: 'cdcLagMs', from: '10', to: '5' })).body).toBe(
      'query.from: must not be after to',
    );
    expect((await bad({ metric: 'cdcLagMs', extra: '1' })).statusCode).toBe(400);
    const unknown = await call('GET', '/tenants/nobody/samples', SAMPLES, {
      params: { id: 'nobody' },
      query: { metric: 'cdcLagMs' },
    });
    expect([unknown.statusCode, unknown.body]).toEqual([404, 'unknown tenant "nobody"']);
  });
});

describe('GET /tenants/{id}/audit', () => {
  it('pages newest first with a `before` cursor', async () => {
    const call = await api();
    const route = 'GET /tenants/{id}/audit';
    const first = JSON.parse(
      (await call('GET', '/tenants/acme/audit', route, { params: { id: 'acme' }, query: { limit: '3' } }))
        .body ?? '',
    ) as { entries: { action: string }[]; next: { before: number } | null };
    expect(first.entries.map((e) => e.action)).toEqual(['note-6', 'note-5', 'note-4']);
    const second = JSON.parse(
      (
        await call('GET', '/tenants/acme/audit', route, {
          params: { id: 'acme' },
          query: { limit: '5', before: String(first.next?.before) },
        })
      ).body ?? '',
    ) as { entries: { action: string }[]; next: unknown };
    expect(second.entries.map((e) => e.action)).toEqual(['note-3', 'note-2', 'note-1', 'note-0']);
    expect(second.next).toBeNull();
    const bad = await call('GET', '/tenants/acme/audit', route, {
      params: { id: 'acme' },
      query: { limit: '0' },
    });
    expect(bad.body).toMatch(/^query\.limit: /);
  });
});

describe('GET /tenants/{id}/report', () => {
  it('gives the evidence pack as JSON (policy hash, checks, actions) and as HTML with every value escaped', async () => {
    const call = await api();
    const route = 'GET /tenants/{id}/report';
    const res = await call('GET', '/tenants/acme/report', route, {
      params: { id: 'acme' },
      query: { format: 'json' },
    });
    expect(res.statusCode, res.body).toBe(200);
    const r = JSON.parse(res.body ?? '') as {
      schema: string;
      policy: { sha256: string; policy: unknown };
      checks: { id: string }[];
      actions: { actor: string }[];
    };
    expect(r.schema).toBe('soakwatch.evidence/v1');
    expect(r.policy.sha256).toBe(createHash('sha256').update(canonicalJson(r.policy.policy)).digest('hex'));
    expect(r.checks.length).toBeGreaterThan(0);
    expect(r.actions).toHaveLength(7);
    const again = await call('GET', '/tenants/acme/report', route, {
      params: { id: 'acme' },
      query: { format: 'json' },
    });
    expect((JSON.parse(again.body ?? '') as typeof r).policy.sha256).toBe(r.policy.sha256);

    const html = await call('GET', '/tenants/acme/report', route, { params: { id: 'acme' } });
    expect(html.headers?.['Content-Type']).toMatch(/^text\/html/);
    expect(html.body).toContain(r.policy.sha256);
    expect(html.body).not.toMatch(/<style>/);
    expect(html.body).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(html.body).not.toContain('<script>x');
    const bad = await call('GET', '/tenants/acme/report', route, {
      params: { id: 'acme' },
      query: { format: 'pdf' },
    });
    expect(bad.body).toMatch(/^query\.format: /);
  });
});

describe('POST /tenants/{id}/mute and /unmute', () => {
  it('mutes a criterion until a time, audited and shown on the page; 400 naming the field', async () => {
    const call = await api();
    const route = 'POST /tenants/{id}/mute';
    const until = new Date(NOW + 3_600_000).toISOString();
    const ok = await call('POST', '/tenants/acme/mute', route, {
      params: { id: 'acme' },
      body: JSON.stringify({ criterion: 'evictions', until, reason: 'known: resharding tonight <b>' }),
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(JSON.parse(ok.body ?? '')).toMatchObject({ mutes: [{ criterion: 'evictions', actor: 'alice' }] });
    const page = await call('GET', '/tenants/acme', 'GET /tenants/{id}', { params: { id: 'acme' } });
    expect(page.body).toContain('evictions muted until');
    expect(page.body).toContain('resharding tonight &lt;b&gt;');
    const fleet = await call('GET', '/status', 'GET /status');
    expect(fleet.body).toContain('MUTED evictions');
    const audit = JSON.parse(
      (await call('GET', '/tenants/acme/audit', 'GET /tenants/{id}/audit', { params: { id: 'acme' } }))
        .body ?? '',
    ) as { entries: { action: string }[] };
    expect(audit.entries[0]?.action).toBe('mute');

    const bad = (body: unknown) =>
      call('POST', '/tenants/acme/mute', route, { params: { id: 'acme' }, body: JSON.stringify(body) });
    expect((await bad({ criterion: 'nope', until, reason: 'x' })).body).toMatch(
      /criterion: no criterion "nope"/,
    );
    expect((await bad({ until: NOW - 1, reason: 'x' })).body).toMatch(/until: must be in the future/);
    expect((await bad({ until: NOW + 30 * 86_400_000, reason: 'x' })).body).toMatch(
      /until: must be at most 7 days/,
    );
    expect((await bad({ until })).body).toMatch(/^body\.reason: /);
    const notJson = await call('POST', '/tenants/acme/mute', route, { params: { id: 'acme' }, body: '{' });
    expect([notJson.statusCode, notJson.body]).toEqual([400, 'body: is not JSON']);

    const lifted = await call('POST', '/tenants/acme/unmute', 'POST /tenants/{id}/unmute', {
      params: { id: 'acme' },
      body: JSON.stringify({ criterion: 'evictions' }),
    });
    expect(JSON.parse(lifted.body ?? '')).toMatchObject({ mutes: [] });
  });
});

describe('pages, assets and sign-in', () => {
  it('serves the tenant page, the assets, and 404 for another asset', async () => {
    const call = await api();
    const page = await call('GET', '/tenants/acme', 'GET /tenants/{id}', { params: { id: 'acme' } });
    expect(page.statusCode, page.body).toBe(200);
    expect(page.body).toContain('id="chart-cdc-lag"');
    const css = await call('GET', '/assets/app.css', 'GET /assets/{name}', { params: { name: 'app.css' } });
    expect(css.headers?.['Content-Type']).toMatch(/^text\/css/);
    const none = await call('GET', '/assets/x', 'GET /assets/{name}', { params: { name: '../secret' } });
    expect(none.statusCode).toBe(404);
  });

  it('sets an HttpOnly session cookie for a good token and refuses a wrong one without one', async () => {
    const call = await api();
    const ok = await call('POST', '/login', 'POST /login', {
      body: 'token=good-token&next=%2Ftenants%2Facme',
    });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers?.Location).toBe('/tenants/acme');
    expect(ok.cookies).toEqual(['soakwatch_session=good-token; HttpOnly; Secure; SameSite=Strict; Path=/']);
    const offsite = await call('POST', '/login', 'POST /login', {
      body: 'token=good-token&next=%2F%2Fevil.example',
    });
    expect(offsite.headers?.Location).toBe('/status');
    const wrong = await call('POST', '/login', 'POST /login', { body: 'token=bad-token' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.cookies).toBeUndefined();
    expect(wrong.body).toContain('not accepted');
  });

  it('lets the authorizer read the session cookie (header or payload-2.0 cookies)', () => {
    const table: TokenTable = new Map([
      ['alice', { hash: hashToken('good-token'), scopes: ['read'], tenants: '*' }],
    ]);
    const principal = (request: Parameters<typeof authorizeRequest>[0]) => {
      const outcome = authorizeRequest({ requestContext: { http: { method: 'GET' } }, ...request }, [table]);
      return outcome.ok ? outcome.grant.principal : undefined;
    };
    expect(principal({ headers: { Cookie: 'a=b; soakwatch_session=good-token' } })).toBe('alice');
    expect(principal({ cookies: ['soakwatch_session=good-token'] })).toBe('alice');
    expect(principal({ cookies: ['soakwatch_session=bad'] })).toBeUndefined();
    expect(principal({ headers: { authorization: 'Bearer good-token' } })).toBe('alice');
  });
});
