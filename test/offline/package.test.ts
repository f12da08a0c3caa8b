import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// The packaged stack as `osls package` renders it: the CloudFormation a deployment would create, read for
// least privilege (one role per function, only its statements, the stack's own account), throttling,
// reserved concurrency, alarms, the dashboard and which role reaches which secret.
const REPO = resolve(import.meta.dirname, '../..');
const OSLS = resolve(REPO, 'node_modules/osls/bin/serverless.js');
const out = mkdtempSync(join(tmpdir(), 'soakwatch-package-'));
const buildDir = `.esbuild/package-${process.pid}`;
// A CloudFormation pseudo parameter (Fn::Sub), not a template placeholder.
const HOOK_TOPIC = `arn:aws:sns:us-east-1:\${AWS::AccountId}:ops-scale-down`;

type Json = Record<string, unknown>;
let resources: Record<string, { Type: string; Properties: Json }>;

/** Runs osls detached (its own process group), killed whole on timeout: a failing osls may hang. */
function oslsPackage(timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      [
        OSLS,
        'package',
        '--stage',
        'dev',
        '--package',
        out,
        '--param=apiTokensSecretId=soakwatch/api-tokens',
        // An sns hook to a topic of another team, listed as the deployment lists it.
        `--param=hookTopicArns=${HOOK_TOPIC}`,
      ],
      {
        cwd: REPO,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          SLS_TELEMETRY_DISABLED: '1',
          SLS_NOTIFICATIONS_MODE: 'off',
          SOAKWATCH_ESBUILD_DIR: buildDir,
          SOAKWATCH_WATCH: 'off',
        },
      },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const kill = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      kill();
      reject(new Error(`osls package did not finish within ${timeoutMs} ms\n${output}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      kill();
      resolvePromise({ code, output });
    });
  });
}

beforeAll(async () => {
  const run = await oslsPackage(150_000);
  expect(run.code, run.output).toBe(0);
  const template = JSON.parse(
    readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as {
    Resources: typeof resources;
  };
  resources = template.Resources;
}, 170_000);

afterAll(() => {
  rmSync(out, { recursive: true, force: true });
  rmSync(resolve(REPO, buildDir), { recursive: true, force: true });
});

const FUNCTIONS: Record<string, { fn: string; role: string; sids: string[] }> = {
  TickLambdaFunction: {
    fn: 'tick',
    role: 'TickRole',
    sids: [
      'OwnLogs',
      'PublishAlertsMilestonesAndHooks',
      'ReadElastiCacheMetrics',
      'ReadElastiCacheEvents',
      'AllowListedScaling',
      'ReadSoakwatchSecrets',
      'InvokeHookFunctions',
      'DispatchTenantTicks',
    ],
  },
  // One tenant's tick of a fanned-out round: the tick's statements (GetMetricData and DescribeEvents for
  // its fallback when its task carries no round values), and its on-failure queue.
  TickTenantLambdaFunction: {
    fn: 'tickTenant',
    role: 'TickTenantRole',
    sids: [
      'OwnLogs',
      'PublishAlertsMilestonesAndHooks',
      'ReadElastiCacheMetrics',
      'ReadElastiCacheEvents',
      'AllowListedScaling',
      'ReadSoakwatchSecrets',
      'InvokeHookFunctions',
      'TenantTickFailuresToQueue',
    ],
  },
  ApiLambdaFunction: {
    fn: 'api',
    role: 'ApiRole',
    sids: [
      'OwnLogs',
      'PublishMilestonesAndAlerts',
      'ReadStateStoreSecret',
      'ReadLegacySecrets',
      'ReadApiTokenSecret',
    ],
  },
  AuthorizeLambdaFunction: {
    fn: 'authorize',
    role: 'AuthorizeRole',
    sids: ['OwnLogs', 'ReadApiTokenSecret'],
  },
  ElasticacheEventsLambdaFunction: {
    fn: 'elasticacheEvents',
    role: 'ElastiCacheEventsRole',
    sids: ['OwnLogs', 'ReadReplicationGroupMembers', 'ReadStateStoreSecret'],
  },
  AlarmEventsLambdaFunction: {
    fn: 'alarmEvents',
    role: 'AlarmEventsRole',
    sids: ['OwnLogs', 'ReadStateStoreSecret'],
  },
};

interface Statement {
  Sid: string;
  Action: string | string[];
  Resource: unknown;
}
function statementsOf(role: string): Statement[] {
  const policies = resources[role]?.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[];
  return policies.flatMap((p) => p.PolicyDocument.Statement);
}
/** Every string inside a value (ARNs, Fn::Sub templates). */
function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringsOf);
  return [];
}
/** Whether a role may GetSecretValue the secret named `name` (its ARN ends with "-" and 6 characters). */
function reachesSecret(role: string, name: string): boolean {
  const arn = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbC123`;
  return statementsOf(role)
    .filter((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue'))
    .flatMap((s) => stringsOf(s.Resource))
    .some((pattern) => {
      const pseudo: Record<string, string> = {
        Partition: 'aws',
        Region: 'us-east-1',
        AccountId: '123456789012',
      };
      const concrete = pattern.replace(/\$\{AWS::(\w+)\}/g, (_, name: string) => pseudo[name] ?? name);
      const re = new RegExp(
        `^${concrete
          .replace(/[.+^$()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`,
      );
      return re.test(arn);
    });
}

describe('osls package: the CloudFormation a deployment creates', () => {
  it('gives every function a role of its own, holding only its statements', () => {
    expect(resources.IamRoleLambdaExecution).toBeUndefined();
    for (const [fnResource, want] of Object.entries(FUNCTIONS)) {
      expect(resources[fnResource]?.Properties.Role, fnResource).toEqual({
        'Fn::GetAtt': [want.role, 'Arn'],
      });
      expect(
        statementsOf(want.role).map((s) => s.Sid),
        want.role,
      ).toEqual(want.sids);
      // Its logs only.
      const logs = stringsOf(statementsOf(want.role).find((s) => s.Sid === 'OwnLogs')?.Resource);
      expect(logs.join(), want.role).toContain(`/aws/lambda/soakwatch-dev-${want.fn}:*`);
    }
    // The listed hook topic: the tick may publish to it, besides the stack's own topics; nobody else may.
    const tickSns = statementsOf('TickRole').find((s) => s.Sid === 'PublishAlertsMilestonesAndHooks');
    expect(stringsOf(tickSns?.Resource)).toContain(HOOK_TOPIC);
    expect(JSON.stringify(resources.ApiRole?.Properties.Policies)).not.toContain('ops-scale-down');
    // The round's reads: the dispatcher reads GetMetricData and DescribeEvents (with the groups' member
    // lists) once for the whole round; tickTenant keeps the same reads for its fallback (a task without
    // values or whose events do not reach back to its watermark), and nobody else reads them.
    for (const role of ['TickRole', 'TickTenantRole']) {
      const by = (sid: string) => statementsOf(role).find((s) => s.Sid === sid)?.Action;
      expect(by('ReadElastiCacheMetrics'), role).toBe('cloudwatch:GetMetricData');
      expect(by('ReadElastiCacheEvents'), role).toEqual([
        'elasticache:DescribeEvents',
        'elasticache:DescribeReplicationGroups',
      ]);
    }
    for (const role of ['ApiRole', 'AuthorizeRole', 'ElastiCacheEventsRole', 'AlarmEventsRole']) {
      const actions = statementsOf(role).flatMap((s) => [s.Action].flat());
      expect(
        actions.filter((a) => /cloudwatch:GetMetricData|elasticache:DescribeEvents/.test(a)),
        role,
      ).toEqual([]);
    }
    // Only the tick scales, invokes hook Lambdas or publishes to hook topics.
    for (const role of ['ApiRole', 'AuthorizeRole', 'ElastiCacheEventsRole', 'AlarmEventsRole']) {
      const actions = statementsOf(role).flatMap((s) => [s.Action].flat());
      expect(
        actions.filter((a) => /elasticache:(Modify|Increase)|lambda:Invoke/.test(a)),
        role,
      ).toEqual([]);
    }
  });

  it('names the stack account in every ARN, never "*"', () => {
    for (const { role } of Object.values(FUNCTIONS)) {
      for (const text of stringsOf(resources[role]?.Properties.Policies)) {
        // Pseudo parameters hold "::" themselves: name them before splitting the ARN on ":".
        const arn = text.replace(/\$\{AWS::(\w+)\}/g, '<$1>');
        if (!arn.startsWith('arn:')) continue;
        expect(arn.split(':')[4], `${role}: ${text}`).toBe('<AccountId>');
      }
    }
  });

  it('lets each secret be read by the roles that need it, and only those', () => {
    const example = parse(readFileSync(resolve(REPO, 'soakwatch.example.yml'), 'utf8')) as {
      tenants: { target: { password?: { secretId?: string } } }[];
    };
    const tenantSecrets = example.tenants.flatMap((t) => t.target.password?.secretId ?? []);
    expect(tenantSecrets.length).toBeGreaterThan(0);
    for (const id of tenantSecrets) {
      expect(reachesSecret('TickRole', id), id).toBe(true);
      expect(reachesSecret('TickTenantRole', id), id).toBe(true);
      for (const other of ['ApiRole', 'AuthorizeRole', 'ElastiCacheEventsRole', 'AlarmEventsRole'])
        expect(reachesSecret(other, id), `${other} ${id}`).toBe(false);
    }
    // The state store's secret (the example's `soakwatch/state`): every function that opens the store.
    for (const role of ['TickRole', 'ApiRole', 'ElastiCacheEventsRole', 'AlarmEventsRole'])
      expect(reachesSecret(role, 'soakwatch/state'), role).toBe(true);
    expect(reachesSecret('AuthorizeRole', 'soakwatch/state')).toBe(false);
    // The API token table: the authorizer, and the api's POST /login (the same table, one home).
    expect(reachesSecret('AuthorizeRole', 'soakwatch/api-tokens')).toBe(true);
    expect(reachesSecret('ApiRole', 'soakwatch/api-tokens')).toBe(true);
    for (const role of ['ElastiCacheEventsRole', 'AlarmEventsRole'])
      expect(reachesSecret(role, 'soakwatch/api-tokens'), role).toBe(false);
    // Legacy passwords (under legacySecretPrefix): the tick, and the api for the fence of legacy.
    for (const role of ['TickRole', 'TickTenantRole', 'ApiRole'])
      expect(reachesSecret(role, 'soakwatch/legacy/acme'), role).toBe(true);
    for (const role of ['AuthorizeRole', 'ElastiCacheEventsRole', 'AlarmEventsRole'])
      expect(reachesSecret(role, 'soakwatch/legacy/acme'), role).toBe(false);
  });

  it('throttles the HTTP API, reserves concurrency for the API, and puts every route but sign-in and the static assets behind the authorizer', () => {
    expect(resources.HttpApiStage?.Properties.DefaultRouteSettings).toEqual({
      ThrottlingRateLimit: 20,
      ThrottlingBurstLimit: 40,
    });
    expect(resources.ApiLambdaFunction?.Properties.ReservedConcurrentExecutions).toBe(5);
    expect(resources.AuthorizeLambdaFunction?.Properties.ReservedConcurrentExecutions).toBe(5);
    // The tick is not capped (a reserved share there would limit it, not protect it).
    expect(resources.TickLambdaFunction?.Properties.ReservedConcurrentExecutions).toBeUndefined();
    const routes = Object.values(resources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Route');
    expect(routes.length).toBeGreaterThanOrEqual(4);
    // The only routes without a principal serve no tenant data: the sign-in form and its POST (which is
    // how a browser gets a session), and the pages' static script and style.
    const open = routes
      .filter((r) => r.Properties.AuthorizationType !== 'CUSTOM')
      .map((r) => String(r.Properties.RouteKey))
      .sort();
    expect(open).toEqual(['GET /assets/{name}', 'GET /login', 'POST /login']);
    // Exactly the routes the api function serves (src/api/handler.ts, pages.ts, fence.ts).
    expect(routes.map((r) => String(r.Properties.RouteKey)).sort()).toEqual(
      [
        'GET /tenants',
        'GET /tenants/{id}/status',
        'GET /status',
        'POST /tenants/{id}/actions/{action}',
        'GET /tenants/{id}',
        'GET /tenants/{id}/samples',
        'GET /tenants/{id}/audit',
        'GET /tenants/{id}/report',
        'POST /tenants/{id}/mute',
        'POST /tenants/{id}/unmute',
        'GET /tenants/{id}/fence',
        'POST /tenants/{id}/fence',
        'POST /tenants/{id}/unfence',
        'GET /login',
        'POST /login',
        'GET /assets/{name}',
      ].sort(),
    );
  });

  it('has the alarms and the dashboard', () => {
    for (const alarm of ['NoSamplesAlarm', 'TickErrorsAlarm', 'EventHandlerErrorsAlarm', 'OutboxStuckAlarm'])
      expect(resources[alarm]?.Type, alarm).toBe('AWS::CloudWatch::Alarm');
    expect(resources.OutboxStuckAlarm?.Properties.MetricName).toBe('OutboxPending');
    expect(resources.Dashboard?.Type).toBe('AWS::CloudWatch::Dashboard');
  });
});
