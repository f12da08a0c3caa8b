import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createApiHandler } from '../../../src/api/index.js';
import { logger, metrics } from '../../../src/observability/index.js';
import type { ConnectionPool } from '../../../src/redis/index.js';
import { FENCE_STATES, fenceRule } from '../../../src/release/index.js';
import { SOAK_STATES } from '../../../src/soak/index.js';
import { httpApiEvent, jsonBody } from '../../support/apiEvent.js';
import { memoryStore } from '../../support/memoryStore.js';
import { tenantInput, unitConfig, unitTickDeps } from '../../support/unitTick.js';

// The fence routes' decisions through the whole middy stack, over the in-memory state store. The routes
// that reach legacy Redis are proven on a real redis-server in test/integration/fence-api.test.ts; here
// every refusal comes before a connection (a pool that throws proves it is never asked).

const config = unitConfig([tenantInput('acme')]);
const NOW = Date.parse('2026-03-02T10:00:00Z');
const context = { awsRequestId: 'r', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;
const untouchable = new Proxy({} as ConnectionPool, {
  // `then` is asked by every await of it: it is not a promise.
  get: (_, key) => {
    if (key === 'then') return undefined;
    throw new Error('the pool must not be used');
  },
});

function api(opts: { pool?: ConnectionPool | null; scopes?: string; tenants?: string } = {}) {
  const store = memoryStore({ now: NOW });
  const { deps } = unitTickDeps(config, store);
  const pool = opts.pool === null ? undefined : (opts.pool ?? untouchable);
  const handler = createApiHandler({
    runtime: () => Promise.resolve({ deps, ...(pool ? { pool } : {}) }),
    logger,
    metrics,
    now: () => NOW,
  });
  const call = async (method: string, path: string, routeKey: string, body?: unknown) =>
    (await handler(
      httpApiEvent(method, path, {
        routeKey,
        pathParameters: {
          id: path.split('/')[2] ?? '',
          ...(routeKey.includes('{action}') ? { action: path.split('/')[4] ?? '' } : {}),
        },
        ...jsonBody(body),
        ...(opts.scopes ? { scopes: opts.scopes } : {}),
        ...(opts.tenants ? { tenants: opts.tenants } : {}),
      }),
      context,
    )) as APIGatewayProxyStructuredResultV2;
  return { call, store };
}

const FENCE = 'POST /tenants/{id}/fence';
const UNFENCE = 'POST /tenants/{id}/unfence';
const STATUS = 'GET /tenants/{id}/fence';
// Errors answer with their message as the body (@middy/http-error-handler).
const messageOf = (r: APIGatewayProxyStructuredResultV2) => r.body ?? '';

describe('fenceRule: where the fence is offered', () => {
  it('after the cutover and before the scale-down only; unfence wherever a fence is in force and legacy exists', () => {
    for (const state of SOAK_STATES) {
      expect(fenceRule(state, false).fence, state).toBe(FENCE_STATES.includes(state));
      expect(fenceRule(state, false).unfence, state).toBe(false);
      expect(fenceRule(state, true), state).toMatchObject({ fence: false, unfence: state !== 'SCALED_DOWN' });
    }
    expect(fenceRule('SCALED_DOWN', true).why).toContain('scaled down');
    expect(fenceRule('REPLICATING', false).why).toContain('the state is REPLICATING');
    expect(fenceRule('SOAKING', true).why).toContain('already fenced');
  });
});

describe('POST /tenants/{id}/fence', () => {
  it('400 without a reason (before anything is asked of legacy)', async () => {
    const { call } = api();
    const r = await call('POST', '/tenants/acme/fence', FENCE, {});
    expect(r.statusCode, r.body).toBe(400);
    expect(messageOf(r)).toMatch(/^body\.reason: /);
    const blank = await call('POST', '/tenants/acme/fence', FENCE, { reason: '  ' });
    expect(blank.statusCode).toBe(400);
    const extra = await call('POST', '/tenants/acme/fence', FENCE, { reason: 'x', actor: 'mallory' });
    expect(extra.statusCode, 'the actor is the principal, never the body').toBe(400);
  });

  it('404 for an unknown tenant and for one the token may not see', async () => {
    const { call } = api();
    expect((await call('POST', '/tenants/nope/fence', FENCE, { reason: 'r' })).statusCode).toBe(404);
    const limited = api({ tenants: 'beta' });
    const r = await limited.call('POST', '/tenants/acme/fence', FENCE, { reason: 'r' });
    expect(r.statusCode).toBe(404);
  });

  it('403 with a read-only token', async () => {
    const { call } = api({ scopes: 'read' });
    expect((await call('POST', '/tenants/acme/fence', FENCE, { reason: 'r' })).statusCode).toBe(403);
  });

  it('409 before the cutover, naming the state, and nothing is written', async () => {
    const { call, store } = api();
    const r = await call('POST', '/tenants/acme/fence', FENCE, { reason: 'cutover done' });
    expect(r.statusCode, r.body).toBe(409);
    expect(messageOf(r)).toContain('after the cutover and before the scale-down');
    expect(messageOf(r)).toContain('the state is REPLICATING');
    expect(await store.getDoc('acme', 'fence')).toBeUndefined();
    expect((await store.auditTrail('acme', 10)).map((a) => a.action)).not.toContain('fence');
  });

  it('409 when this API has no connection to legacy', async () => {
    const { call } = api({ pool: null });
    await call('POST', '/tenants/acme/actions/cutover', 'POST /tenants/{id}/actions/{action}', {
      reason: 'window',
      force: true,
    });
    const r = await call('POST', '/tenants/acme/fence', FENCE, { reason: 'r' });
    expect(r.statusCode, r.body).toBe(409);
    expect(messageOf(r)).toContain('no connection to legacy');
  });
});

describe('an unreachable legacy primary', () => {
  it('503 naming the tenant, nothing written, and the GET says neither is offered', async () => {
    const down = {
      legacy: () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.7:6379')),
    } as unknown as ConnectionPool;
    const { call, store } = api({ pool: down });
    await call('POST', '/tenants/acme/actions/cutover', 'POST /tenants/{id}/actions/{action}', {
      reason: 'window',
      force: true,
    });
    const r = await call('POST', '/tenants/acme/fence', FENCE, { reason: 'cutover done' });
    expect(r.statusCode, r.body).toBe(503);
    expect(messageOf(r)).toContain('the legacy primary of tenant acme could not be reached');
    expect(await store.getDoc('acme', 'fence')).toBeUndefined();
    const status = await call('GET', '/tenants/acme/fence', STATUS);
    expect(status.statusCode).toBe(200);
    expect(JSON.parse(status.body ?? '')).toMatchObject({ offer: { fence: false, unfence: false } });
  });
});

describe('POST /tenants/{id}/unfence and GET /tenants/{id}/fence', () => {
  it('409 when legacy is not fenced', async () => {
    const { call } = api();
    const r = await call('POST', '/tenants/acme/unfence', UNFENCE, {});
    expect(r.statusCode, r.body).toBe(409);
    expect(messageOf(r)).toContain('legacy is not fenced');
  });

  it('GET answers the offer without asking legacy where the state offers nothing', async () => {
    const { call } = api();
    const r = await call('GET', '/tenants/acme/fence', STATUS);
    expect(r.statusCode, r.body).toBe(200);
    const body = JSON.parse(r.body ?? '') as {
      state: string;
      fenced: unknown;
      offer: { fence: boolean; why: string };
    };
    expect(body).toMatchObject({
      state: 'REPLICATING',
      fenced: null,
      offer: { fence: false, unfence: false },
    });
    expect(body.offer.why).toContain('the state is REPLICATING');
    expect((await call('GET', '/tenants/nope/fence', STATUS)).statusCode).toBe(404);
  });
});
