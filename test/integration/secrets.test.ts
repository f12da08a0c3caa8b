import { createServer, type Server } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/auth/index.js';
import { verifyWebhookSignature } from '../../src/hooks/index.js';
import { SnsRecorder } from '../support/scenario/sns.js';
import { useStandalone } from '../support/topologies.js';
import { buildCli, runCli, tempFiles } from './cliHarness.js';
import { SecretsManagerStandIn } from './secretsStandIn.js';

// Every secret given as `{ secretId, field }` — the state store's password, a tenant's (legacy and target
// on redis-server with requirepass), a webhook's signing secret and the API's token table — resolved by
// the handlers' own modules (functions/tick.ts, api.ts, authorize.ts: the runtime a deployment builds)
// and by the CLI, through the SDK's endpoint setting to a loopback Secrets Manager.
const STATE_PW = 'state-pw-5f1c9a';
const TENANT_PW = 'tenant-pw-83be21';
const WEBHOOK_SECRET = 'whsec-0d94e7c2';
const API_TOKEN = 'api-token-7aa3c1f0';

const state = useStandalone({ password: STATE_PW });
const legacy = useStandalone({ password: TENANT_PW });
const target = useStandalone({ password: TENANT_PW });

const files = tempFiles();
let sm: SecretsManagerStandIn;
let sns: SnsRecorder;
let webhook: { server: Server; url: string; posts: { verified: boolean; body: string }[] };
const saved = { ...process.env };
/** Everything the scenario showed the world: log lines, API answers, CLI output (SNS and audit read at the end). */
const seen: string[] = [];
const realWrite = {
  out: process.stdout.write.bind(process.stdout),
  err: process.stderr.write.bind(process.stderr),
};

const context = {
  functionName: 'soakwatch-test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:soakwatch-test',
  memoryLimitInMB: '512',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 20_000,
} as unknown as Context;

function config() {
  return {
    stateStore: { url: state().node.url, password: { secretId: 'soakwatch/state', field: 'password' } },
    notifications: {
      alertTopicArn: 'arn:aws:sns:us-east-1:000000000000:alerts',
      releaseTopicArn: 'arn:aws:sns:us-east-1:000000000000:release',
    },
    tenants: [
      {
        id: 'acme',
        legacy: {
          url: legacy().node.url,
          password: { secretId: 'soakwatch/acme', field: 'password' },
          heartbeat: { enabled: false },
        },
        target: { url: target().node.url, password: { secretId: 'soakwatch/acme', field: 'password' } },
        soak: {
          sampleInterval: '1s',
          minCoverage: 0.5,
          replication: {
            readyAfter: '1h',
            // Legacy holds keys the target lacks: the drift fires on the first sample (and the hook with it).
            criteria: [
              { id: 'key-drift', metric: 'keyDrift', aggregate: 'last', window: '1s', threshold: 0 },
            ],
          },
        },
        hooks: [
          {
            id: 'drift-webhook',
            on: ['criterion:key-drift'],
            action: {
              type: 'webhook',
              url: webhook.url,
              secret: { secretId: 'soakwatch/webhook', field: 'signing' },
            },
          },
        ],
      },
    ],
  };
}

beforeAll(async () => {
  sm = await SecretsManagerStandIn.start({
    'soakwatch/state': { password: STATE_PW },
    'soakwatch/acme': { password: TENANT_PW, user: 'default' },
    'soakwatch/webhook': { signing: WEBHOOK_SECRET },
    'soakwatch/api-tokens': { alice: hashToken(API_TOKEN).toString('hex') },
  });
  sns = await SnsRecorder.start();
  const posts: { verified: boolean; body: string }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = (n: string) => {
        const v = req.headers[n];
        return Array.isArray(v) ? v[0] : v;
      };
      posts.push({
        body,
        verified: verifyWebhookSignature({
          secret: WEBHOOK_SECRET,
          body,
          timestamp: header('x-soakwatch-timestamp'),
          signature: header('x-soakwatch-signature'),
          now: Date.now(),
        }),
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  webhook = {
    server,
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`,
    posts,
  };

  // The handlers' log lines (Powertools writes to process.stdout/stderr) are captured, not shown.
  const capture = (chunk: unknown) => {
    seen.push(String(chunk));
    return true;
  };
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;

  const db = new Redis(legacy().node.url, { password: TENANT_PW });
  await db.mset('k1', '1', 'k2', '2', 'k3', '3');
  db.disconnect();

  Object.assign(process.env, {
    SOAKWATCH_CONFIG: files.write('soakwatch.yml', config()),
    SOAKWATCH_API_TOKEN_HASHES: '',
    SOAKWATCH_API_TOKENS_SECRET_ID: 'soakwatch/api-tokens',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.endpoint,
    AWS_ENDPOINT_URL_SNS: sns.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    // Every line the handlers can write is written, and kept for the grep at the end.
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
});

afterAll(async () => {
  process.stdout.write = realWrite.out;
  process.stderr.write = realWrite.err;
  process.env = saved;
  await sm?.close();
  await sns?.close();
  if (webhook) {
    webhook.server.closeAllConnections();
    await new Promise((r) => webhook.server.close(r));
  }
  files.cleanup();
});

function apiEvent(
  method: 'GET' | 'POST',
  path: string,
  routeKey: string,
  more: Partial<APIGatewayProxyEventV2>,
) {
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    requestContext: {
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      routeKey,
      stage: '$default',
      requestId: 'r-1',
      timeEpoch: Date.now(),
    },
    ...more,
  } as unknown as APIGatewayProxyEventV2;
}

describe('secrets from Secrets Manager, through the handlers a deployment runs', () => {
  it('the tick samples a password-protected tenant, stores on a password-protected state store and signs its webhook', async () => {
    const { handler } = await import('../../functions/tick.js');
    type Report = { tenants: { tenant: string; ok: boolean }[] };
    // Sample times passed in (a direct invocation may), a second apart, instead of waiting for the clock.
    const t0 = Date.now();
    const first = (await handler({ now: t0 }, context)) as unknown as Report;
    expect(first.tenants).toEqual([expect.objectContaining({ tenant: 'acme', ok: true })]);
    // The drift is a rate: judged from the second sample on, when it fires and the hook with it.
    const second = (await handler({ now: t0 + 1_500 }, context)) as unknown as Report;
    expect(second.tenants).toEqual([expect.objectContaining({ tenant: 'acme', ok: true })]);
    expect(webhook.posts).toHaveLength(1);
    expect(webhook.posts[0]?.verified).toBe(true);
    // One read per secret: the tenant's, shared by legacy and target, is read once.
    expect(Object.fromEntries(sm.reads)).toEqual({
      'soakwatch/state': 1,
      'soakwatch/acme': 1,
      'soakwatch/webhook': 1,
    });

    // A warm container: the next ticks are served from the cache (new connections would need the passwords).
    const third = (await handler({ now: t0 + 3_000 }, context)) as unknown as Report;
    expect(third.tenants[0]?.ok).toBe(true);
    expect(Object.fromEntries(sm.reads)).toEqual({
      'soakwatch/state': 1,
      'soakwatch/acme': 1,
      'soakwatch/webhook': 1,
    });
  });

  it('counts cache hits of the tick runtime the handler builds', async () => {
    const { openTickRuntime } = await import('../../src/runtime/tick.js');
    const { loadConfigFromEnv } = await import('../../src/runtime/config.js');
    const { readEnv } = await import('../../src/runtime/env.js');
    const before = sm.total();
    const rt = await openTickRuntime(loadConfigFromEnv(readEnv()), {
      log: { debug() {}, info() {}, warn() {}, error() {} },
      aws: false,
    });
    try {
      const { runTick } = await import('../../src/runtime/tick.js');
      await runTick({ deps: rt.deps, metrics: { addMetric: () => undefined } }, { now: Date.now() + 4_500 });
      const stats = rt.clients.secrets.stats();
      // A fresh runtime reads each secret once (state store, tenant), then hits its cache.
      expect(stats.fetches).toBe(sm.total() - before);
      expect(stats.lookups).toBeGreaterThan(stats.fetches);
    } finally {
      await rt.close();
    }
  });

  it('the authorizer reads its token table and the api reads the status off the protected state store', async () => {
    const { handler: authorize } = await import('../../functions/authorize.js');
    const { handler: api } = await import('../../functions/api.js');
    const denied = await authorize(
      apiEvent('GET', '/tenants/acme/status', 'GET /tenants/{id}/status', {
        headers: { authorization: 'Bearer wrong' },
      }) as never,
      context,
    );
    expect(denied).toMatchObject({ isAuthorized: false });
    const allowed = await authorize(
      apiEvent('GET', '/tenants/acme/status', 'GET /tenants/{id}/status', {
        headers: { authorization: `Bearer ${API_TOKEN}` },
      }) as never,
      context,
    );
    expect(allowed).toMatchObject({ isAuthorized: true, context: { principal: 'alice' } });
    expect(sm.reads.get('soakwatch/api-tokens')).toBe(1);

    const res = (await api(
      apiEvent('GET', '/tenants/acme/status', 'GET /tenants/{id}/status', {
        pathParameters: { id: 'acme' },
        requestContext: {
          ...apiEvent('GET', '/tenants/acme/status', 'GET /tenants/{id}/status', {}).requestContext,
          authorizer: { lambda: (allowed as { context: Record<string, string> }).context },
        } as never,
      }),
      context,
    )) as APIGatewayProxyStructuredResultV2;
    seen.push(JSON.stringify(res), JSON.stringify(allowed), JSON.stringify(denied));
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(String(res.body))).toMatchObject({ tenant: 'acme' });

    // An audited action through the api, with the principal the authorizer named.
    const action = (await api(
      apiEvent('POST', '/tenants/acme/actions/abort', 'POST /tenants/{id}/actions/{action}', {
        pathParameters: { id: 'acme', action: 'abort' },
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'secrets scenario' }),
        requestContext: {
          ...apiEvent('POST', '/tenants/acme/actions/abort', 'POST /tenants/{id}/actions/{action}', {})
            .requestContext,
          authorizer: { lambda: (allowed as { context: Record<string, string> }).context },
        } as never,
      }),
      context,
    )) as APIGatewayProxyStructuredResultV2;
    seen.push(JSON.stringify(action));
    expect(action.statusCode, action.body).toBe(200);
    for (const secret of [STATE_PW, TENANT_PW, WEBHOOK_SECRET, API_TOKEN])
      expect(res.body).not.toContain(secret);
  });

  it("POST /login signs in with a token kept only in the Secrets Manager table (the authorizer's own source)", async () => {
    const { handler: api } = await import('../../functions/api.js');
    const form = (token: string) =>
      apiEvent('POST', '/login', 'POST /login', {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, next: '/status' }).toString(),
      });
    const ok = (await api(form(API_TOKEN), context)) as APIGatewayProxyStructuredResultV2;
    expect(ok.statusCode, ok.body).toBe(303);
    expect(ok.headers?.Location).toBe('/status');
    expect(ok.cookies?.[0]).toMatch(/^soakwatch_session=/);
    const wrong = (await api(form('not-a-token'), context)) as APIGatewayProxyStructuredResultV2;
    expect(wrong.statusCode).toBe(401);
    expect(sm.reads.get('soakwatch/api-tokens')).toBeGreaterThanOrEqual(1);
  });

  it('the CLI resolves the same references the same way (tick, status)', async () => {
    const { cli, cleanup } = await buildCli();
    try {
      const before = sm.total();
      const env = {
        AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.endpoint,
        AWS_ENDPOINT_URL_SNS: sns.endpoint,
      };
      const tick = await runCli(cli, ['tick', '--json'], { env, timeoutMs: 20_000 });
      expect(tick.stderr).toBe('');
      expect(tick.code).toBe(0);
      expect(JSON.parse(tick.stdout)).toMatchObject({ tenants: [{ tenant: 'acme', ok: true }] });
      const status = await runCli(cli, ['status', '--tenant', 'acme', '--json'], { env, timeoutMs: 20_000 });
      expect(status.code).toBe(0);
      expect(status.stdout).toContain('acme');
      // Each process has its own cache: the tick read the state store's and the tenant's secrets (its
      // webhook did not fire again: same breach), status only the state store's.
      expect(sm.total() - before).toBeGreaterThanOrEqual(3);
      seen.push(tick.stdout, tick.stderr, status.stdout, status.stderr);
      for (const out of [tick.stdout, tick.stderr, status.stdout, status.stderr])
        for (const secret of [STATE_PW, TENANT_PW, WEBHOOK_SECRET]) expect(out).not.toContain(secret);
    } finally {
      cleanup();
    }
  });

  it('no password, token or webhook secret of the scenario reached a log line, SNS, the audit trail or an answer', async () => {
    const redis = new Redis(state().node.url, { password: STATE_PW });
    let audit: string[];
    try {
      audit = await redis.lrange('soakwatch:t:{acme}:audit', 0, -1);
    } finally {
      redis.disconnect();
    }
    // The scenario did write each of them: the grep below reads something.
    expect(audit.length).toBeGreaterThan(0);
    expect(sns.messages.length).toBeGreaterThan(0);
    expect(seen.join('').length).toBeGreaterThan(1_000);
    const everything = [...seen, ...audit, ...sns.messages.map((m) => JSON.stringify(m))].join('\n');
    for (const secret of [STATE_PW, TENANT_PW, WEBHOOK_SECRET, API_TOKEN])
      expect(everything.includes(secret), `${secret.slice(0, 6)}… leaked`).toBe(false);
  });
});
