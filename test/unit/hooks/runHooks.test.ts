import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DescribeReplicationGroupsCommand,
  ElastiCacheClient,
  IncreaseReplicaCountCommand,
  ModifyReplicationGroupShardConfigurationCommand,
} from '@aws-sdk/client-elasticache';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeReplicationGroup } from '../../../src/aws/index.js';
import { type Hook, hookSchema } from '../../../src/config/schema.js';
import {
  type HookAuditEntry,
  type HookDeps,
  type PlannedHook,
  runHooks,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyWebhookSignature,
} from '../../../src/hooks/index.js';

const T0 = Date.parse('2025-03-01T10:00:00Z');
const SECRET = 'hook-signing-secret-do-not-log';
const sns = mockClient(SNSClient);
const lambda = mockClient(LambdaClient);
const elasticache = mockClient(ElastiCacheClient);

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}
let server: Server;
let baseUrl: string;
const received: Received[] = [];
// Test routes: /ok answers 204, /fail 503, /redirect 302 to /ok, /hang never answers.
const hanging: ServerResponse[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      if (req.url === '/hang') hanging.push(res);
      else if (req.url?.startsWith('/fail')) res.writeHead(503).end('down for maintenance');
      else if (req.url === '/redirect') res.writeHead(302, { location: `${baseUrl}/ok` }).end();
      else res.writeHead(204).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of hanging) res.destroy();
  server.close();
  await once(server, 'close');
});

afterEach(() => {
  sns.reset();
  lambda.reset();
  elasticache.reset();
  received.length = 0;
});

function hook(raw: Record<string, unknown>): Hook {
  return hookSchema.parse({ id: 'h1', on: ['PASSED'], ...raw });
}

function plan(h: Hook, over: Partial<PlannedHook> = {}): PlannedHook {
  return {
    hook: h,
    trigger: {
      trigger: h.on[0] ?? 'PASSED',
      at: T0,
      key: `acme:${h.on[0]}:${T0}`,
      reason: 'soak duration elapsed',
    },
    claimKey: `hook:${h.id}:acme:${h.on[0]}:${T0}`,
    ...over,
  };
}

function deps(over: Partial<HookDeps> = {}) {
  const claimed = new Set<string>();
  const audit: HookAuditEntry[] = [];
  const ec = new ElastiCacheClient({});
  const d: HookDeps = {
    sns: new SNSClient({}),
    lambda: new LambdaClient({}),
    elasticache: ec,
    describeGroup: (groupId) => describeReplicationGroup(ec, groupId),
    fetch,
    claimOnce: (key) => {
      if (claimed.has(key)) return Promise.resolve(false);
      claimed.add(key);
      return Promise.resolve(true);
    },
    audit: (entry) => {
      audit.push(entry);
      return Promise.resolve();
    },
    secrets: () => Promise.resolve(SECRET),
    clock: () => T0,
    // The production default: a loopback receiver answers in milliseconds, but the first fetch of a
    // process (undici's start) on a loaded runner took more than the 300 ms this once was.
    webhookTimeoutMs: 5_000,
    ...over,
  };
  return { d, audit, claimed };
}

const ctx = { tenant: 'acme', replicationGroupId: 'acme', now: T0 };

describe('runHooks', () => {
  it('publishes an SNS hook with the trigger payload and audits it as the hook', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'mid-9' });
    const h = hook({ action: { type: 'sns', topicArn: 'arn:aws:sns:eu-west-1:1:remediation' } });
    const { d, audit } = deps();

    const results = await runHooks([plan(h)], d, ctx);

    expect(results).toEqual([
      {
        id: 'h1',
        trigger: 'PASSED',
        key: `hook:h1:acme:PASSED:${T0}`,
        status: 'fired',
        detail: 'SNS MessageId mid-9',
      },
    ]);
    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.TopicArn).toBe('arn:aws:sns:eu-west-1:1:remediation');
    expect(JSON.parse(input?.Message ?? '{}')).toEqual({
      source: 'soakwatch',
      hook: 'h1',
      tenant: 'acme',
      trigger: 'PASSED',
      triggeredAt: '2025-03-01T10:00:00.000Z',
      key: `hook:h1:acme:PASSED:${T0}`,
      reason: 'soak duration elapsed',
    });
    expect(audit).toEqual([
      {
        at: T0,
        actor: 'hook:h1',
        action: 'hook.fired',
        reason: 'PASSED: soak duration elapsed',
        detail: {
          trigger: 'PASSED',
          key: `hook:h1:acme:PASSED:${T0}`,
          action: 'sns',
          result: 'SNS MessageId mid-9',
        },
      },
    ]);
  });

  it('invokes a Lambda asynchronously (InvocationType Event)', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    const h = hook({
      on: ['SCALE_DOWN_APPROVED'],
      action: { type: 'lambda', functionName: 'scale-down-legacy' },
    });

    const [result] = await runHooks([plan(h)], deps().d, ctx);

    expect(result?.status).toBe('fired');
    const input = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(input?.FunctionName).toBe('scale-down-legacy');
    expect(input?.InvocationType).toBe('Event');
    expect(JSON.parse(new TextDecoder().decode(input?.Payload as Uint8Array)).trigger).toBe(
      'SCALE_DOWN_APPROVED',
    );
  });

  it('POSTs a webhook whose HMAC signature the receiver can verify', async () => {
    const h = hook({ action: { type: 'webhook', url: `${baseUrl}/ok`, secret: { env: 'HOOK_SECRET' } } });

    const [result] = await runHooks([plan(h)], deps().d, ctx);

    expect(result).toMatchObject({ status: 'fired', detail: 'HTTP 204' });
    const [req] = received;
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers[TIMESTAMP_HEADER]).toBe(String(T0 / 1_000));
    expect(req?.headers[SIGNATURE_HEADER]).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(req?.headers['idempotency-key']).toBe(`hook:h1:acme:PASSED:${T0}`);
    const verify = (secret: string, body = req?.body ?? '') =>
      verifyWebhookSignature({
        secret,
        body,
        timestamp: req?.headers[TIMESTAMP_HEADER] as string,
        signature: req?.headers[SIGNATURE_HEADER] as string,
        now: T0 + 1_000,
      });
    expect(verify(SECRET)).toBe(true);
    expect(verify('wrong-secret')).toBe(false);
    expect(verify(SECRET, `${req?.body} `)).toBe(false);
    expect(JSON.parse(req?.body ?? '{}').tenant).toBe('acme');
  });

  it('rejects a stale webhook timestamp when verifying', () => {
    const body = '{}';
    const timestamp = String(T0 / 1_000);
    const signature = `sha256=${'0'.repeat(64)}`;

    expect(
      verifyWebhookSignature({ secret: SECRET, body, timestamp, signature, now: T0 + 10 * 60_000 }),
    ).toBe(false);
  });

  it('reports a webhook answering 5xx as failed, without the secret or the URL path', async () => {
    const h = hook({ action: { type: 'webhook', url: `${baseUrl}/fail/T0KEN123`, secret: 'inline' } });
    const { d, audit } = deps();

    const [result] = await runHooks([plan(h)], d, ctx);

    expect(result?.status).toBe('failed');
    expect(result?.error).toBe(`webhook POST to ${baseUrl}/… answered HTTP 503`);
    expect(audit[0]?.action).toBe('hook.failed');
    expect(JSON.stringify([result, audit])).not.toMatch(/T0KEN123|hook-signing-secret/);
  });

  it('does not follow a redirect with the signed payload', async () => {
    const h = hook({ action: { type: 'webhook', url: `${baseUrl}/redirect`, secret: 'inline' } });

    const [result] = await runHooks([plan(h)], deps().d, ctx);

    expect(result?.error).toBe(`webhook POST to ${baseUrl}/… answered HTTP 302`);
    expect(received).toHaveLength(1);
  });

  it('gives up on a webhook that does not answer within the timeout', async () => {
    const h = hook({ action: { type: 'webhook', url: `${baseUrl}/hang`, secret: 'inline' } });

    const started = performance.now();
    const [result] = await runHooks([plan(h)], deps({ webhookTimeoutMs: 300 }).d, ctx);

    expect(result?.status).toBe('failed');
    expect(result?.error).toMatch(/webhook POST to .* failed: .*timeout/i);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('adds shards: current shard count plus count, after describing the group', async () => {
    elasticache.on(DescribeReplicationGroupsCommand).resolves({
      ReplicationGroups: [
        {
          Status: 'available',
          ClusterEnabled: true,
          NodeGroups: [{ NodeGroupId: '0001' }, { NodeGroupId: '0002' }, { NodeGroupId: '0003' }],
        },
      ],
    });
    elasticache.on(ModifyReplicationGroupShardConfigurationCommand).resolves({});
    const h = hook({
      on: ['criterion:memory-critical'],
      action: { type: 'elasticache', operation: 'addShards', count: 2 },
    });

    const [result] = await runHooks([plan(h)], deps().d, ctx);

    expect(result).toMatchObject({ status: 'fired', detail: 'shards 3 -> 5' });
    expect(
      elasticache.commandCalls(ModifyReplicationGroupShardConfigurationCommand)[0]?.args[0].input,
    ).toEqual({
      ReplicationGroupId: 'acme',
      NodeGroupCount: 5,
      ApplyImmediately: true,
    });
  });

  it('adds replicas to the smallest shard’s count and refuses to pass the ElastiCache maximum', async () => {
    elasticache.on(DescribeReplicationGroupsCommand).resolves({
      ReplicationGroups: [
        {
          Status: 'available',
          ClusterEnabled: true,
          NodeGroups: [{ NodeGroupMembers: [{}, {}] }, { NodeGroupMembers: [{}, {}, {}] }],
        },
      ],
    });
    elasticache.on(IncreaseReplicaCountCommand).resolves({});
    const one = hook({ id: 'one', action: { type: 'elasticache', operation: 'addReplicas' } });
    const tooMany = hook({ id: 'many', action: { type: 'elasticache', operation: 'addReplicas', count: 5 } });

    const [ok, refused] = await runHooks([plan(one), plan(tooMany)], deps().d, ctx);

    expect(ok).toMatchObject({ status: 'fired', detail: 'replicas per shard 1 -> 2' });
    expect(elasticache.commandCalls(IncreaseReplicaCountCommand)[0]?.args[0].input).toEqual({
      ReplicationGroupId: 'acme',
      NewReplicaCount: 2,
      ApplyImmediately: true,
    });
    expect(refused?.status).toBe('failed');
    expect(refused?.error).toMatch(/to 6 replicas per shard; ElastiCache allows 5/);
  });

  it('does not modify a replication group that is not available', async () => {
    elasticache.on(DescribeReplicationGroupsCommand).resolves({
      ReplicationGroups: [{ Status: 'modifying', ClusterEnabled: true, NodeGroups: [{}] }],
    });
    const h = hook({ action: { type: 'elasticache', operation: 'addShards' } });

    const [result] = await runHooks([plan(h)], deps().d, ctx);

    expect(result?.error).toBe('replication group acme is modifying, not available');
    expect(elasticache.commandCalls(ModifyReplicationGroupShardConfigurationCommand)).toHaveLength(0);
  });

  it('fails an ElastiCache hook clearly when the tenant has no replication group configured', async () => {
    const h = hook({ action: { type: 'elasticache', operation: 'addShards' } });

    const [result] = await runHooks([plan(h)], deps().d, { tenant: 'acme', now: T0 });

    expect(result?.error).toMatch(/needs the tenant's target.replicationGroupId/);
  });

  it('audits a dry-run as "would have" and calls nothing', async () => {
    const h = hook({ dryRun: true, action: { type: 'elasticache', operation: 'addShards' } });
    const { d, audit } = deps();

    const [result] = await runHooks([plan(h)], d, ctx);

    expect(result).toMatchObject({
      status: 'dry-run',
      detail: 'would have run ElastiCache addShards +1 on replication group acme',
    });
    expect(audit[0]).toMatchObject({ action: 'hook.dry-run', actor: 'hook:h1' });
    expect(elasticache.calls()).toHaveLength(0);
  });

  it('runs a hook once per trigger even when the tick is delivered twice', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    const h = hook({ action: { type: 'sns', topicArn: 'arn:aws:sns:eu-west-1:1:t' } });
    const { d } = deps();

    const first = await runHooks([plan(h)], d, ctx);
    const again = await runHooks([plan(h)], d, ctx);

    expect(first[0]?.status).toBe('fired');
    expect(again[0]?.status).toBe('skipped-duplicate');
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
  });

  it('reports a cooldown skip without claiming or calling anything', async () => {
    const h = hook({ action: { type: 'sns', topicArn: 'arn:aws:sns:eu-west-1:1:t' } });
    const { d, claimed } = deps();

    const [result] = await runHooks([plan(h, { skip: 'cooldown' })], d, ctx);

    expect(result?.status).toBe('skipped-cooldown');
    expect(claimed.size).toBe(0);
    expect(sns.calls()).toHaveLength(0);
  });

  it('never throws: a failing hook, claim or audit becomes a result and the next hook still runs', async () => {
    // As the SDK throws it: the code is the name, the message names the account's role.
    sns.on(PublishCommand).rejects(
      Object.assign(new Error('User: arn:aws:iam::123456789012:role/x is not authorized'), {
        name: 'AuthorizationError',
      }),
    );
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    const broken = hook({ id: 'broken', action: { type: 'sns', topicArn: 'arn:aws:sns:eu-west-1:1:t' } });
    const fine = hook({ id: 'fine', action: { type: 'lambda', functionName: 'f' } });
    const { d } = deps({
      audit: () => Promise.reject(new Error('store down')),
    });

    const results = await runHooks([plan(broken), plan(fine)], d, ctx);

    expect(results.map((r) => [r.id, r.status, r.auditError])).toEqual([
      ['broken', 'failed', 'store down'],
      ['fine', 'fired', 'store down'],
    ]);
    expect(results[0]?.error).not.toContain('123456789012');
    expect(results[0]?.error).toBe(
      'could not publish to SNS topic arn:aws:sns:eu-west-1:1:t: AuthorizationError',
    );
  });

  it('does not act when the idempotency key cannot be claimed', async () => {
    const h = hook({ action: { type: 'sns', topicArn: 'arn:aws:sns:eu-west-1:1:t' } });
    const { d } = deps({
      claimOnce: () => Promise.reject(new Error('ECONNREFUSED')),
    });

    const [result] = await runHooks([plan(h)], d, ctx);

    expect(result?.status).toBe('failed');
    expect(result?.error).toMatch(/could not claim the idempotency key, not run/);
    expect(sns.calls()).toHaveLength(0);
  });
});
