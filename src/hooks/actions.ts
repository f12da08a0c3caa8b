import { safeSubject } from '../alerts/format.js';
import type { Hook } from '../config/schema.js';
import { errorCode } from '../util/errors.js';
import { importNamed } from '../util/importNamed.js';
import { describeUrl } from './describe.js';
import { HookError } from './errors.js';
import { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from './signature.js';
import type { HookContext, HookDeps, HookPayload } from './types.js';

const DEFAULT_WEBHOOK_TIMEOUT_MS = 5_000;
// ElastiCache allows at most 5 replicas per shard.
const MAX_REPLICAS = 5;

/** Runs the hook's action; returns a short detail of what happened. Throws HookError. */
export async function executeAction(
  hook: Hook,
  payload: HookPayload,
  claimKey: string,
  deps: HookDeps,
  ctx: HookContext,
): Promise<string> {
  const a = hook.action;
  const body = JSON.stringify(payload);
  switch (a.type) {
    case 'sns': {
      // The commands are imported at use, as the clients are built: module init loads no SDK package.
      const PublishCommand = importNamed(await import('@aws-sdk/client-sns'), 'PublishCommand');
      const out = await wrap(hook, `could not publish to SNS topic ${a.topicArn}`, () =>
        deps.sns.send(
          new PublishCommand({
            TopicArn: a.topicArn,
            Subject: safeSubject(`soakwatch hook ${hook.id}: ${payload.trigger} (${payload.tenant})`),
            Message: body,
            MessageAttributes: {
              tenant: { DataType: 'String', StringValue: payload.tenant },
              trigger: { DataType: 'String', StringValue: payload.trigger },
              hook: { DataType: 'String', StringValue: hook.id },
            },
          }),
        ),
      );
      return `SNS MessageId ${out.MessageId ?? '(none)'}`;
    }
    case 'lambda': {
      const InvokeCommand = importNamed(await import('@aws-sdk/client-lambda'), 'InvokeCommand');
      const out = await wrap(hook, `could not invoke Lambda ${a.functionName}`, () =>
        deps.lambda.send(
          new InvokeCommand({
            FunctionName: a.functionName,
            InvocationType: 'Event',
            Payload: new TextEncoder().encode(body),
          }),
        ),
      );
      if (out.FunctionError)
        throw new HookError(`Lambda ${a.functionName} returned ${out.FunctionError}`, hook.id);
      return `Lambda StatusCode ${out.StatusCode ?? '(none)'}`;
    }
    case 'webhook':
      return postWebhook(hook, a.url, a.secret, body, claimKey, deps);
    case 'elasticache':
      return elastiCacheAction(hook, a.operation, a.count, deps, ctx);
  }
}

async function postWebhook(
  hook: Hook,
  url: string,
  secretRef: Parameters<HookDeps['secrets']>[0],
  body: string,
  claimKey: string,
  deps: HookDeps,
): Promise<string> {
  const where = describeUrl(url);
  const secret = await wrap(
    hook,
    `could not resolve the signing secret of webhook hook ${hook.id}`,
    () => deps.secrets(secretRef),
    true,
  );
  const timestamp = String(Math.floor((deps.clock ?? Date.now)() / 1_000));
  const response = await wrap(hook, `webhook POST to ${where} failed`, () =>
    deps.fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'soakwatch',
        [TIMESTAMP_HEADER]: timestamp,
        [SIGNATURE_HEADER]: signWebhook(secret, timestamp, body),
        'x-soakwatch-hook': hook.id,
        'idempotency-key': claimKey,
      },
      body,
      // A redirect would carry the signed payload to another URL: treat it as a failure instead.
      redirect: 'manual',
      signal: AbortSignal.timeout(deps.webhookTimeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS),
    }),
  );
  // The receiver's body is not read into errors: it is not ours to log.
  await response.body?.cancel().catch(() => undefined);
  if (!response.ok) throw new HookError(`webhook POST to ${where} answered HTTP ${response.status}`, hook.id);
  return `HTTP ${response.status}`;
}

async function elastiCacheAction(
  hook: Hook,
  operation: 'addShards' | 'addReplicas',
  count: number,
  deps: HookDeps,
  ctx: HookContext,
): Promise<string> {
  const group = ctx.replicationGroupId;
  if (!group)
    throw new HookError(
      `${operation} needs the tenant's target.replicationGroupId, which is not configured`,
      hook.id,
    );
  const info = await wrap(hook, `could not describe replication group ${group}`, () =>
    deps.describeGroup(group),
  );
  // A group that is already modifying rejects the call; say so instead of relaying the API fault.
  if (info.status !== 'available')
    throw new HookError(
      `replication group ${group} is ${info.status ?? 'in an unknown state'}, not available`,
      hook.id,
    );
  if (operation === 'addShards') {
    if (!info.clusterEnabled)
      throw new HookError(
        `addShards needs cluster mode enabled; replication group ${group} has it disabled`,
        hook.id,
      );
    const current = info.nodeGroups.length;
    const target = current + count;
    const ModifyReplicationGroupShardConfigurationCommand = importNamed(
      await import('@aws-sdk/client-elasticache'),
      'ModifyReplicationGroupShardConfigurationCommand',
    );
    await wrap(hook, `could not add shards to replication group ${group}`, () =>
      deps.elasticache.send(
        new ModifyReplicationGroupShardConfigurationCommand({
          ReplicationGroupId: group,
          NodeGroupCount: target,
          ApplyImmediately: true,
        }),
      ),
    );
    return `shards ${current} -> ${target}`;
  }
  if (info.nodeGroups.length === 0)
    throw new HookError(`replication group ${group} reports no shards`, hook.id);
  const current = Math.min(...info.nodeGroups.map((g) => g.nodes - 1));
  const target = current + count;
  if (target > MAX_REPLICAS)
    throw new HookError(
      `addReplicas would take replication group ${group} to ${target} replicas per shard; ElastiCache allows ${MAX_REPLICAS}`,
      hook.id,
    );
  const IncreaseReplicaCountCommand = importNamed(
    await import('@aws-sdk/client-elasticache'),
    'IncreaseReplicaCountCommand',
  );
  await wrap(hook, `could not add replicas to replication group ${group}`, () =>
    deps.elasticache.send(
      new IncreaseReplicaCountCommand({
        ReplicationGroupId: group,
        NewReplicaCount: target,
        ApplyImmediately: true,
      }),
    ),
  );
  return `replicas per shard ${current} -> ${target}`;
}

/**
 * Runs one step of an action, turning any failure into a HookError with the cause kept. The reason
 * shown (and audited) is the error's code only — an AWS error's name (`AccessDeniedException`), a network
 * code (`ECONNREFUSED`) — never its text: AWS messages carry account ids and role ARNs, fetch errors the
 * URL. `quiet` is kept for steps whose errors could echo a secret (the code is all they show anyway).
 */
async function wrap<T>(hook: Hook, message: string, fn: () => Promise<T>, _quiet = false): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof HookError) throw error;
    throw new HookError(`${message}: ${reasonOf(error)}`, hook.id, { cause: error });
  }
}

function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  // fetch reports "fetch failed" and hides ECONNREFUSED and friends in its cause.
  const cause = error.cause;
  const causeCode =
    cause instanceof Error || (typeof cause === 'object' && cause !== null) ? errorCode(cause) : 'Error';
  return causeCode !== 'Error' ? causeCode : errorCode(error);
}
