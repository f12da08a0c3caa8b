import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TickReport } from '../../src/tick/index.js';
import {
  type ClusterTopology,
  type Replicated,
  type Standalone,
  startCluster,
  startReplicated,
  startStandalone,
} from '../../tools/local/index.js';
import {
  type Offline,
  portOpen,
  type SnsSubscriber,
  startOffline,
  startSnsSubscriber,
  waitUntil,
} from '../support/offline.js';

/*
 * Issue 2's end-to-end proof, through the same doors AWS would use: real Redis topologies (a Sentinel-fronted
 * legacy, a 3-shard cluster target, a standalone state store), `serverless offline` with local SNS on free
 * ports, the tick invoked through the Lambda Invoke API, the alert received by an http subscriber of the
 * alerts topic, and the release-manager API over HTTP behind the Lambda authorizer.
 */

const TENANT = 'acme';
const TOKEN = 'offline-test-token-4f9c2a';
const tokenHash = createHash('sha256').update(TOKEN).digest('hex');

let legacy: Replicated | undefined;
let target: ClusterTopology | undefined;
let state: Standalone | undefined;
let offline: Offline | undefined;
let alerts: SnsSubscriber | undefined;
let dir: string | undefined;

/** Legacy db 0: 40 keys, db 3: 20 keys. Target: db 0's keys, but only 10 of db 3's under `impact:`. */
async function seed(): Promise<void> {
  if (!legacy || !target) throw new Error('topologies not started');
  const primary = new Redis(legacy.primary.url, { lazyConnect: true });
  await primary.connect();
  const legacyWrites = primary.pipeline();
  for (let i = 0; i < 40; i++) legacyWrites.set(`user:${i}`, `u${i}`);
  legacyWrites.select(3);
  for (let i = 0; i < 20; i++) legacyWrites.set(`impact:${i}`, `i${i}`);
  await legacyWrites.exec();
  primary.disconnect();

  const [first] = target.masters;
  if (!first) throw new Error('target cluster has no master');
  const cluster = new Cluster([{ host: first.host, port: first.port }]);
  for (let i = 0; i < 40; i++) await cluster.set(`user:${i}`, `u${i}`);
  for (let i = 0; i < 10; i++) await cluster.set(`impact:${i}`, `i${i}`);
  cluster.disconnect();
}

function writeConfig(configDir: string, alertTopicArn: string, releaseTopicArn: string): string {
  if (!legacy || !target || !state) throw new Error('topologies not started');
  const sentinel = legacy.sentinels[0];
  if (!sentinel) throw new Error('no sentinel');
  const path = join(configDir, 'soakwatch.config.yml');
  writeFileSync(
    path,
    `
stateStore:
  url: ${state.node.url}/0
  keyPrefix: "soakwatch-offline:"
notifications:
  alertTopicArn: ${alertTopicArn}
  releaseTopicArn: ${releaseTopicArn}
tenants:
  - id: ${TENANT}
    legacy:
      sentinel:
        hosts: ["${sentinel.host}:${sentinel.port}"]
        name: ${legacy.masterName}
      dbs: [0, 3]
      # No heartbeat key: nothing replicates legacy → target here, so it would only add drift.
      heartbeat: { enabled: false }
    target:
      url: ${target.url}
      cluster: true
      dbMap: { "0": "", "3": "impact:" }
    soak:
      replication:
        readyAfter: 1h
        criteria:
          - id: key-drift
            metric: keyDriftRatio
            aggregate: last
            window: 1m
            threshold: 0.01
            consecutive: 1
            severity: critical
`,
  );
  return path;
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function failureContext(): string {
  return `\n--- serverless offline output (tail) ---\n${offline?.logs().slice(-6_000) ?? '(not started)'}`;
}

async function getJson(
  path: string,
  headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}` },
): Promise<{ status: number; body: unknown; text: string }> {
  if (!offline) throw new Error('offline not started');
  const response = await fetch(`${offline.httpUrl}${path}`, { headers });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, body, text };
}

async function post(
  path: string,
  opts: { token?: string; body?: unknown } = {},
): Promise<{ status: number; text: string }> {
  if (!offline) throw new Error('offline not started');
  const headers: Record<string, string> = {};
  if (opts.token !== undefined) headers.Authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${offline.httpUrl}${path}`, {
    method: 'POST',
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  return { status: response.status, text: await response.text() };
}

describe('serverless offline (tick, SNS, API, events)', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'soakwatch-offline-'));
    [legacy, target, state] = await Promise.all([
      startReplicated({ replicas: 1, sentinels: 1 }),
      startCluster({ masters: 3, replicasPerMaster: 1 }),
      startStandalone(),
    ]);
    await seed();
    // Topic ARNs are known before offline starts: `arn:aws:sns:<region>:123456789012:soakwatch-dev-<name>`.
    const region = process.env.AWS_REGION ?? 'us-east-1';
    const arn = (name: string) => `arn:aws:sns:${region}:123456789012:soakwatch-dev-${name}`;
    const configPath = writeConfig(dir, arn('alerts'), arn('release'));
    offline = await startOffline({
      env: { SOAKWATCH_CONFIG: configPath, SOAKWATCH_API_TOKEN_HASHES: `release-manager=${tokenHash}` },
    });
    expect(offline.topicArn('alerts')).toBe(arn('alerts'));
    alerts = await startSnsSubscriber({
      snsEndpoint: offline.snsEndpoint,
      topicArn: offline.topicArn('alerts'),
    });
  }, 180_000);

  afterAll(async () => {
    // Each step on its own: one failing teardown must not leave the others running.
    await alerts?.stop().catch(() => undefined);
    await offline?.stop().catch(() => undefined);
    await Promise.allSettled([legacy?.stop(), target?.stop(), state?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('runs the tick through the Lambda Invoke API and sends the drift alert to the alerts topic', {
    timeout: 90_000,
  }, async () => {
    if (!offline || !alerts) throw new Error('not started');

    const result = await offline.invoke<TickReport>('tick', { now: Date.now(), tenantId: TENANT });

    expect(
      result.functionError,
      `tick failed: ${JSON.stringify(result.payload)}${failureContext()}`,
    ).toBeUndefined();
    expect(result.statusCode).toBe(200);
    const [report] = result.payload.tenants;
    expect(report, failureContext()).toMatchObject({ tenant: TENANT, ok: true });
    expect(report?.sample?.complete, 'every node of both clusters sampled').toBe(true);
    const alert = await alerts
      .waitForMessage((m) => m.Message.includes(TENANT), 20_000)
      .catch((error: Error) => {
        throw new Error(
          `${error.message}\ntick report: ${JSON.stringify(result.payload)}${failureContext()}`,
        );
      });
    expect(alert.TopicArn).toBe(offline.topicArn('alerts'));
    expect(alert.Message).toMatch(/key-drift/);
  });

  it('serves the stored status over HTTP, and 404 for an unknown tenant', async () => {
    const status = await getJson(`/tenants/${TENANT}/status`);
    expect(status.status, status.text + failureContext()).toBe(200);
    expect(status.body).toMatchObject({ tenant: TENANT, state: 'REPLICATING' });
    expect(status.text).toContain('key-drift');

    const unknown = await getJson('/tenants/nobody/status');
    expect(unknown.status).toBe(404);
    expect(unknown.text).toContain('nobody');

    const invalid = await getJson('/tenants/NOT_VALID!/status');
    expect(invalid.status).toBe(400);
    expect(invalid.text).toMatch(/^path\.id: /);
  });

  it('lists tenants and renders the HTML status page', async () => {
    const tenants = await getJson('/tenants');
    expect(tenants.status, tenants.text).toBe(200);
    expect(tenants.text).toContain(TENANT);

    if (!offline) throw new Error('not started');
    // The browser's way in: the session cookie instead of the header.
    const page = await fetch(`${offline.httpUrl}/status`, {
      headers: { Cookie: `soakwatch_session=${TOKEN}` },
    });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await page.text()).toContain(TENANT);
  });

  it('refuses every GET without a valid token (403: the authorizer runs, and denies)', async () => {
    for (const path of ['/tenants', `/tenants/${TENANT}/status`, '/status']) {
      expect((await getJson(path, {})).status, path).toBe(403);
      expect((await getJson(path, { Authorization: 'Bearer not-a-token' })).status, path).toBe(403);
    }
  });

  it('refuses an action without a token or with an unknown token (403)', async () => {
    // 403, not 401: the authorizer has no identity source (the token may be a header or a cookie), so
    // API Gateway calls it for an anonymous request too, and it denies.
    const anonymous = await post(`/tenants/${TENANT}/actions/abort`, { body: { reason: 'test' } });
    expect(anonymous.status).toBe(403);

    const wrong = await post(`/tenants/${TENANT}/actions/abort`, {
      token: 'not-a-token',
      body: { reason: 'test' },
    });
    expect(wrong.status).toBe(403);

    // Neither the token nor its hash may reach a log line.
    expect(offline?.logs()).not.toContain(TOKEN);
  });

  it('refuses an action the state does not allow with a clear 409, and performs an allowed one', async () => {
    const approve = await post(`/tenants/${TENANT}/actions/approve`, {
      token: TOKEN,
      body: { reason: 'looks fine' },
    });
    expect(approve.status, approve.text).toBe(409);
    expect(approve.text).toMatch(/REPLICATING/);

    const unknownAction = await post(`/tenants/${TENANT}/actions/explode`, { token: TOKEN });
    expect(unknownAction.status).toBe(400);
    expect(unknownAction.text).toMatch(/^path\.action: /);

    const abort = await post(`/tenants/${TENANT}/actions/abort`, {
      token: TOKEN,
      body: { reason: 'offline test aborts the migration' },
    });
    expect(abort.status, abort.text + failureContext()).toBe(200);
    const status = await getJson(`/tenants/${TENANT}/status`);
    expect(status.body).toMatchObject({ state: 'ABORTED' });

    expect(offline?.logs()).not.toContain(TOKEN);
  });

  it('acknowledges a malformed ElastiCache notification without crashing', async () => {
    if (!offline) throw new Error('not started');
    const malformed = {
      Records: [
        {
          EventSource: 'aws:sns',
          Sns: { MessageId: 'm-1', Timestamp: new Date().toISOString(), Message: 'this is not JSON {' },
        },
      ],
    };

    const direct = await offline.invoke('elasticacheEvents', malformed);
    const notAnEvent = await offline.invoke('elasticacheEvents', { hello: 'world' });
    const badAlarm = await offline.invoke('alarmEvents', { 'detail-type': 'CloudWatch Alarm State Change' });

    expect(direct.functionError, JSON.stringify(direct.payload) + failureContext()).toBeUndefined();
    expect(direct.payload).toEqual({ accepted: 0, rejected: 1 });
    expect(notAnEvent.functionError, JSON.stringify(notAnEvent.payload)).toBeUndefined();
    expect(badAlarm.functionError, JSON.stringify(badAlarm.payload)).toBeUndefined();
  });

  it('keeps serving after a malformed message arrives through the local SNS topic', async () => {
    if (!offline) throw new Error('not started');
    const sns = new SNSClient({
      region: offline.region,
      endpoint: offline.snsEndpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    await sns.send(
      new PublishCommand({ TopicArn: offline.topicArn('elasticache-events'), Message: '{"nope": 1' }),
    );
    sns.destroy();

    // The SNS plugin calls the handler in the osls process: a crash there would take the API down too.
    // The handler logs what it rejected (the raw message, truncated), so its arrival is visible.
    await waitUntil(
      async () => offline?.logs().includes('nope') ?? false,
      15_000,
      'the rejection to be logged',
    );
    const tenants = await getJson('/tenants');
    expect(tenants.status, failureContext()).toBe(200);
  });

  it('stops the whole process group and frees every port', async () => {
    if (!offline || !alerts) throw new Error('not started');
    const { pid, ports } = offline;

    await alerts.stop();
    await offline.stop();

    // Reaping the group's last member may take a moment after SIGKILL.
    await waitUntil(async () => !groupAlive(pid), 5_000, `process group ${pid} to be gone`);
    for (const port of ports) expect(await portOpen(port), `port ${port} still open`).toBe(false);
  });
});
