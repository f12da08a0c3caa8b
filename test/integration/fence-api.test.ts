import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHandler } from '../../src/api/index.js';
import { type Config, parseConfig } from '../../src/config/index.js';
import { logger, metrics } from '../../src/observability/index.js';
import { openApiRuntime } from '../../src/runtime/api.js';
import { openTickRuntime, runTick } from '../../src/runtime/tick.js';
import { httpApiEvent, jsonBody } from '../support/apiEvent.js';
import { SnsRecorder } from '../support/scenario/sns.js';
import { useStandalone } from '../support/topologies.js';

// The fence of legacy through the API handler over the api runtime a deployment builds (its legacy
// connection pool), on real redis-servers: legacy with ACL users (soakwatch's own, an application's, the
// CDC tool's). Refused before the cutover; after it the application user's write is refused (NOPERM),
// the page shows it, and the real tick's sampler reads it from the ACL LOG so the judge's criterion
// breaches. Undone, the application writes again.

const PREFIX = 'soakwatch-fence-api:';
const state = useStandalone();
const target = useStandalone();
const legacy = useStandalone({
  aclUsers: [
    'user default off',
    'user soak on >soak-pw ~* &* +@all',
    'user app on >app-pw ~* &* +@all',
    'user cdc on >cdc-pw ~* &* +@all',
  ],
});
const context = { awsRequestId: 'r', getRemainingTimeInMillis: () => 20_000 } as unknown as Context;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const saved = { ...process.env };
let sns: SnsRecorder;
let config: Config;
let rt: Awaited<ReturnType<typeof openApiRuntime>>;
let call: (
  method: string,
  path: string,
  routeKey: string,
  body?: unknown,
) => Promise<APIGatewayProxyStructuredResultV2>;

beforeAll(async () => {
  sns = await SnsRecorder.start();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SNS: sns.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
  config = parseConfig({
    stateStore: { url: `${state().node.url}/0`, keyPrefix: PREFIX },
    notifications: {
      alertTopicArn: 'arn:aws:sns:us-east-1:000000000000:alerts',
      releaseTopicArn: 'arn:aws:sns:us-east-1:000000000000:release',
    },
    tenants: [
      {
        id: 'acme',
        legacy: {
          url: `redis://${legacy().node.host}:${legacy().node.port}`,
          username: 'soak',
          password: 'soak-pw',
          heartbeat: { enabled: false },
          fenceExclude: ['cdc'],
        },
        target: { url: target().node.url },
      },
    ],
  });
  rt = await openApiRuntime(config, { log: quiet });
  const handler = createApiHandler({ runtime: () => Promise.resolve(rt), logger, metrics });
  call = async (method, path, routeKey, body) =>
    (await handler(
      httpApiEvent(method, path, {
        routeKey,
        pathParameters: {
          id: 'acme',
          ...(routeKey.includes('{action}') ? { action: path.split('/')[4] ?? '' } : {}),
        },
        ...jsonBody(body),
      }),
      context,
    )) as APIGatewayProxyStructuredResultV2;
}, 60_000);

afterAll(async () => {
  await rt?.close();
  await sns?.close();
  process.env = saved;
});

const as = (user: string) =>
  new Redis({ host: legacy().node.host, port: legacy().node.port, username: user, password: `${user}-pw` });

describe('the fence of legacy through the API', () => {
  it('is refused before the cutover, fences after it, shows the refused write, and the soak criterion breaches', async () => {
    const [app, cdc] = [as('app'), as('cdc')];
    try {
      await app.set('k', 'before');
      const early = await call('POST', '/tenants/acme/fence', 'POST /tenants/{id}/fence', { reason: 'x' });
      expect(early.statusCode, early.body).toBe(409);
      expect(early.body).toContain('the state is REPLICATING');
      const notOffered = JSON.parse(
        (await call('GET', '/tenants/acme/fence', 'GET /tenants/{id}/fence')).body ?? '',
      ) as { offer: { fence: boolean } };
      expect(notOffered.offer.fence).toBe(false);

      const cut = await call('POST', '/tenants/acme/actions/cutover', 'POST /tenants/{id}/actions/{action}', {
        reason: 'maintenance window',
        force: true,
      });
      expect(cut.statusCode, cut.body).toBe(200);
      const offered = JSON.parse(
        (await call('GET', '/tenants/acme/fence', 'GET /tenants/{id}/fence')).body ?? '',
      ) as { state: string; offer: { fence: boolean } };
      expect(offered).toMatchObject({ state: 'SOAKING', offer: { fence: true } });
      const page = await call('GET', '/tenants/acme', 'GET /tenants/{id}');
      expect(page.body).toMatch(
        /<button type="button" data-fence="fence" data-tenant="acme">fence<\/button>/,
      );

      const noReason = await call('POST', '/tenants/acme/fence', 'POST /tenants/{id}/fence', {});
      expect(noReason.statusCode).toBe(400);
      const fenced = await call('POST', '/tenants/acme/fence', 'POST /tenants/{id}/fence', {
        reason: 'cutover done',
      });
      expect(fenced.statusCode, fenced.body).toBe(200);
      expect(JSON.parse(fenced.body ?? '')).toMatchObject({ tenant: 'acme', fenced: true, users: ['app'] });

      // The forgotten writer fails loudly; soakwatch's user and the CDC tool's still write.
      await expect(app.set('k', 'forgotten writer')).rejects.toThrow(/NOPERM/);
      await cdc.set('k', 'replicated');
      expect(await cdc.get('k')).toBe('replicated');

      const status = JSON.parse(
        (await call('GET', '/tenants/acme/fence', 'GET /tenants/{id}/fence')).body ?? '',
      ) as {
        fenced: { actor: string } | null;
        offer: { unfence: boolean };
        rejected: { username: string }[];
      };
      expect(status.fenced?.actor).toBe('alice');
      expect(status.offer.unfence).toBe(true);
      expect(status.rejected).toEqual([
        expect.objectContaining({ username: 'app', command: 'set', count: 1 }),
      ]);
      const fencedPage = (await call('GET', '/tenants/acme', 'GET /tenants/{id}')).body ?? '';
      expect(fencedPage).toContain('data-fenced="true"');
      expect(fencedPage).toMatch(/<table id="refused">.*<td>app<\/td><td>set<\/td><td>1<\/td>/s);
      expect(fencedPage).toMatch(/data-fence="unfence" data-tenant="acme">unfence/);

      // The real tick: the sampler reads the fenced users' refusals, the judge's criterion breaches.
      const tick = await openTickRuntime(config, { log: quiet, aws: false });
      try {
        const report = await runTick(
          { deps: tick.deps, metrics: { addMetric: () => undefined } },
          { tenantId: 'acme', now: Date.now() },
        );
        const t = report.tenants[0];
        expect(t?.ok, t?.error).toBe(true);
        const c = t?.verdict?.criteria.find((x) => x.id === 'legacy-refused-writes');
        expect(c, JSON.stringify(t?.verdict?.criteria)).toMatchObject({
          status: 'breach',
          value: 1,
          firing: true,
        });
        expect(c?.detail).toContain('app set ×1');
        expect(t?.verdict?.resets.at(-1)?.criterion).toBe('legacy-refused-writes');
      } finally {
        await tick.close();
      }

      const undone = await call('POST', '/tenants/acme/unfence', 'POST /tenants/{id}/unfence', {
        reason: 'rollback drill',
      });
      expect(undone.statusCode, undone.body).toBe(200);
      await app.set('k', 'after');
      expect(await app.get('k')).toBe('after');
      const audit = (await rt.deps.store.auditTrail('acme', 10)).map((a) => [a.action, a.actor]);
      expect(audit).toEqual(
        expect.arrayContaining([
          ['fence', 'alice'],
          ['unfence', 'alice'],
        ]),
      );
    } finally {
      app.disconnect();
      cdc.disconnect();
    }
  });

  it('answers 409 naming why where soakwatch may not change ACLs, and offers no button', async () => {
    const admin = as('cdc');
    try {
      await admin.call('ACL', 'SETUSER', 'soak', '-@admin');
    } finally {
      admin.disconnect();
    }
    const r = await call('POST', '/tenants/acme/fence', 'POST /tenants/{id}/fence', { reason: 'again' });
    expect(r.statusCode, r.body).toBe(409);
    expect(r.body).toContain('may not read or change ACLs');
    const status = JSON.parse(
      (await call('GET', '/tenants/acme/fence', 'GET /tenants/{id}/fence')).body ?? '',
    ) as {
      offer: { fence: boolean; why: string };
    };
    expect(status.offer.fence).toBe(false);
    expect(status.offer.why).toContain('may not read or change ACLs');
    const page = (await call('GET', '/tenants/acme', 'GET /tenants/{id}')).body ?? '';
    expect(page).toMatch(/data-fence="fence" data-tenant="acme" hidden>/);
    expect(page).toContain('fencing is not offered');
  });
});
