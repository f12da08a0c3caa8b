import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeEventsCommand } from '@aws-sdk/client-elasticache';
import { PublishCommand } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { NO_MEMBERS } from '../../../src/aws/index.js';
import type { Config } from '../../../src/config/index.js';
import {
  authorizeRuntime,
  loadConfigFromEnv,
  openAlarmEventsRuntime,
  openElastiCacheEventsRuntime,
  openReleaseRuntime,
  openTickRuntime,
  readEnv,
  runTick,
} from '../../../src/runtime/index.js';
import { memoryStore } from '../../support/memoryStore.js';
import { quietLog, T0, tenantInput, unitConfig } from '../../support/unitTick.js';

// Which clients each handler's runtime builds. Every AWS client class and the connection pool are
// wrapped to record their construction; the state store is the in-memory one (its connection is
// src/store/connect.ts, tested on real Redis through every integration test).

const built = vi.hoisted(() => [] as string[]);

vi.mock('../../../src/store/connect.js', () => ({
  // Imported when called, not while the module graph that imports this mock is still loading.
  openStateStore: async () => {
    const { memoryStore: store } = await import('../../support/memoryStore.js');
    built.push('store');
    return { store: store(), client: {}, close: () => built.push('store closed') };
  },
}));
vi.mock('../../../src/redis/pool.js', async (original) => {
  const real = await original<typeof import('../../../src/redis/pool.js')>();
  return {
    ...real,
    createConnectionPool: (...args: Parameters<typeof real.createConnectionPool>) => {
      built.push('pool');
      return real.createConnectionPool(...args);
    },
  };
});
// Each AWS client class records its construction.
vi.mock('@aws-sdk/client-sns', async (original) => {
  const real = await original<typeof import('@aws-sdk/client-sns')>();
  class SNSClient extends real.SNSClient {
    constructor(...args: ConstructorParameters<typeof real.SNSClient>) {
      super(...args);
      built.push('sns');
    }
  }
  return { ...real, SNSClient };
});
vi.mock('@aws-sdk/client-cloudwatch', async (original) => {
  const real = await original<typeof import('@aws-sdk/client-cloudwatch')>();
  class CloudWatchClient extends real.CloudWatchClient {
    constructor(...args: ConstructorParameters<typeof real.CloudWatchClient>) {
      super(...args);
      built.push('cloudwatch');
    }
  }
  return { ...real, CloudWatchClient };
});
vi.mock('@aws-sdk/client-elasticache', async (original) => {
  const real = await original<typeof import('@aws-sdk/client-elasticache')>();
  class ElastiCacheClient extends real.ElastiCacheClient {
    constructor(...args: ConstructorParameters<typeof real.ElastiCacheClient>) {
      super(...args);
      built.push('elasticache');
    }
  }
  return { ...real, ElastiCacheClient };
});
vi.mock('@aws-sdk/client-lambda', async (original) => {
  const real = await original<typeof import('@aws-sdk/client-lambda')>();
  class LambdaClient extends real.LambdaClient {
    constructor(...args: ConstructorParameters<typeof real.LambdaClient>) {
      super(...args);
      built.push('lambda');
    }
  }
  return { ...real, LambdaClient };
});

const config: Config = unitConfig([
  tenantInput('acme', {
    hooks: [{ id: 'page', on: ['PASSED'], dryRun: true, action: { type: 'lambda', functionName: 'pager' } }],
  }),
]);
const metricsSink = () => {
  const added: [string, number][] = [];
  return {
    added,
    addMetric: (name: string, _unit: unknown, value: number) => void added.push([name, value]),
  };
};

beforeEach(() => {
  built.length = 0;
});

describe('the tick runtime', () => {
  it('builds the state store and the connection pool; SNS, CloudWatch and ElastiCache at their first call; Lambda only for a hook', async () => {
    const rt = await openTickRuntime(config, { log: quietLog, aws: true });

    // Module init and the runtime load no SDK client package: each is imported and built at its first send.
    expect(built).toEqual(['store', 'pool']);
    const sdk = await Promise.all([
      import('@aws-sdk/client-sns'),
      import('@aws-sdk/client-cloudwatch'),
      import('@aws-sdk/client-elasticache'),
    ]);
    const sns = mockClient(sdk[0].SNSClient);
    const cloudwatch = mockClient(sdk[1].CloudWatchClient);
    const elasticache = mockClient(sdk[2].ElastiCacheClient);
    sns.onAnyCommand().resolves({});
    cloudwatch.onAnyCommand().resolves({});
    elasticache.onAnyCommand().resolves({});
    await rt.clients.sns.send(new PublishCommand({ TopicArn: 'arn:aws:sns:eu-west-1:1:t', Message: 'm' }));
    await rt.clients.aws?.cloudwatch.send(
      new GetMetricDataCommand({ MetricDataQueries: [], StartTime: new Date(0), EndTime: new Date(1) }),
    );
    await rt.clients.aws?.elasticache.send(new DescribeEventsCommand({}));
    await rt.clients.sns.send(
      new PublishCommand({ TopicArn: 'arn:aws:sns:eu-west-1:1:t', Message: 'again' }),
    );
    expect(built).toEqual(['store', 'pool', 'sns', 'cloudwatch', 'elasticache']);
    for (const m of [sns, cloudwatch, elasticache]) m.restore();
    await rt.deps.runHooks(
      config.tenants[0] as Config['tenants'][number],
      [{ trigger: 'PASSED', at: T0, key: 'k' }],
      T0,
    );
    expect(built).toContain('lambda');
    await rt.close();
  });

  it('reads no AWS without it: no CloudWatch or ElastiCache client, no-op readers, no member list', async () => {
    const rt = await openTickRuntime(config, { log: quietLog, aws: false });
    const tenant = config.tenants[0] as Config['tenants'][number];

    expect(built).toEqual(['store', 'pool']);
    expect(rt.clients.aws).toBeUndefined();
    expect(await rt.deps.cloudwatch(tenant, [], 0, T0)).toEqual({});
    expect(await rt.deps.elasticacheEvents(tenant, 0, T0)).toBeUndefined();
    expect(rt.cache.members).toBe(NO_MEMBERS);
    await rt.close();
    expect(built).toContain('store closed');
  });
});

describe('the API (release) runtime', () => {
  it('builds only the state store, and SNS at the first milestone: no pool, no CloudWatch, ElastiCache or Lambda', async () => {
    const rt = await openReleaseRuntime(config, { log: quietLog });

    expect(built).toEqual(['store']);
    const sns = mockClient((await import('@aws-sdk/client-sns')).SNSClient);
    sns.onAnyCommand().resolves({});
    await rt.clients.sns.send(new PublishCommand({ TopicArn: 'arn:aws:sns:eu-west-1:1:t', Message: 'm' }));
    expect(built).toEqual(['store', 'sns']);
    sns.restore();
    await rt.close();
  });

  it('builds the hook clients the first time a hook acts, once', async () => {
    const rt = await openReleaseRuntime(config, { log: quietLog });
    const tenant = config.tenants[0] as Config['tenants'][number];

    const [first] = await rt.deps.runHooks(tenant, [{ trigger: 'PASSED', at: T0, key: 'k1' }], T0);
    await rt.deps.runHooks(tenant, [{ trigger: 'PASSED', at: T0 + 1, key: 'k2' }], T0 + 3_600_000);

    expect(first).toMatchObject({ id: 'page', status: 'dry-run' });
    expect(built).toEqual(['store', 'elasticache', 'lambda']);
    await rt.close();
  });
});

describe('the event handlers’ runtimes', () => {
  it('ElastiCache notifications: the state store, and an ElastiCache client for the member clusters at its first call', async () => {
    const rt = await openElastiCacheEventsRuntime(config, { log: quietLog, metrics: metricsSink() });

    expect(built).toEqual(['store']);
    expect(rt.members).not.toBe(NO_MEMBERS);
    const elasticache = mockClient((await import('@aws-sdk/client-elasticache')).ElastiCacheClient);
    elasticache.onAnyCommand().resolves({ ReplicationGroups: [] });
    await rt.members.get('acme-rg');
    expect(built).toEqual(['store', 'elasticache']);
    elasticache.restore();
    await rt.close();
  });

  it('alarm changes: only the state store, and no member list (alarms match by name)', async () => {
    const rt = await openAlarmEventsRuntime(config, { log: quietLog, metrics: metricsSink() });

    expect(built).toEqual(['store']);
    expect(rt.members).toBe(NO_MEMBERS);
    await rt.close();
  });
});

describe('the authorizer runtime', () => {
  it('builds no client: the token hashes of the environment, and the secret id when one is named', () => {
    const hash = createHash('sha256').update('t0ken').digest('hex');

    const withSecret = authorizeRuntime(
      readEnv({
        SOAKWATCH_API_TOKEN_HASHES: `alice=${hash}`,
        SOAKWATCH_API_TOKENS_SECRET_ID: ' soakwatch/api ',
      }),
    );
    const blank = authorizeRuntime(readEnv({ SOAKWATCH_API_TOKENS_SECRET_ID: '' }));

    expect(built).toEqual([]);
    expect([...withSecret.fromEnv.keys()]).toEqual(['alice']);
    expect(withSecret.secretId).toBe('soakwatch/api');
    expect(blank.secretId).toBeUndefined();
    expect(blank.fromEnv.size).toBe(0);
  });
});

describe('runTick (the scheduled handler’s tick)', () => {
  it('counts tenant ticks and judged samples, and counts a failed tick before rethrowing it', async () => {
    const store = memoryStore({ now: T0 });
    const { unitTickDeps } = await import('../../support/unitTick.js');
    const { deps } = unitTickDeps(config, store);
    const metrics = metricsSink();

    await runTick({ deps, metrics }, { now: T0 });
    store.fail('time');
    await expect(runTick({ deps, metrics }, { now: T0 + 1_000 })).rejects.toThrow(/unreachable/);

    expect(metrics.added).toEqual([
      ['TenantTicks', 1],
      ['SamplesCollected', 1],
      ['SamplesJudged', 1],
      ['OutboxPending', 0],
      ['FutureSamples', 0],
      ['TickFailures', 1],
    ]);
  });
});

describe('loadConfigFromEnv (every Lambda and the CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'soakwatch-runtime-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, url: string) => {
    const path = join(dir, name);
    writeFileSync(
      path,
      `stateStore: { url: "${url}" }\ntenants:\n  - id: acme\n    legacy: { url: "redis://127.0.0.1:1" }\n    target: { url: "redis://127.0.0.1:2" }\n`,
    );
    return path;
  };

  it('reads SOAKWATCH_CONFIG and lays the environment’s state store URL and topics over it', () => {
    const path = file('lambda.yml', 'redis://file:6379/0');

    const loaded = loadConfigFromEnv(
      readEnv({
        SOAKWATCH_CONFIG: path,
        SOAKWATCH_STATE_URL: 'redis://env:6379/1',
        SOAKWATCH_ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:1:alerts',
        SOAKWATCH_RELEASE_TOPIC_ARN: 'arn:aws:sns:us-east-1:1:release',
      }),
    );

    expect(loaded.stateStore.url).toBe('redis://env:6379/1');
    expect(loaded.notifications).toMatchObject({
      alertTopicArn: 'arn:aws:sns:us-east-1:1:alerts',
      releaseTopicArn: 'arn:aws:sns:us-east-1:1:release',
    });
  });

  it('takes the path it is given (the CLI’s --config) over SOAKWATCH_CONFIG, with the same overrides', () => {
    const fromEnv = file('env.yml', 'redis://env-file:6379/0');
    const given = file('given.yml', 'redis://given-file:6379/0');

    const plain = loadConfigFromEnv(readEnv({ SOAKWATCH_CONFIG: fromEnv }), given);
    const overridden = loadConfigFromEnv(
      readEnv({ SOAKWATCH_CONFIG: fromEnv, SOAKWATCH_STATE_URL: 'redis://env:6379/1' }),
      given,
    );

    expect(plain.stateStore.url).toBe('redis://given-file:6379/0');
    expect(overridden.stateStore.url).toBe('redis://env:6379/1');
  });

  it('names the variable of a bad environment', () => {
    expect(() => readEnv({ SOAKWATCH_STATE_URL: '' })).toThrow(/^invalid environment: SOAKWATCH_STATE_URL: /);
  });
});
