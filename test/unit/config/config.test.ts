import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, parseConfigText } from '../../../src/config/index.js';

const tenant = (over: Record<string, unknown> = {}) => ({
  id: 'acme',
  legacy: { url: 'redis://10.0.0.1:6379', dbs: [0, 3] },
  target: {
    url: 'rediss://clustercfg.acme.cache.amazonaws.com:6379',
    cluster: true,
    dbMap: { '0': '', '3': 'impact:' },
  },
  ...over,
});

function issuesOf(raw: unknown): { path: string; message: string }[] {
  try {
    parseConfig(raw);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('accepts a minimal tenant and fills the documented defaults', () => {
    const config = parseConfig({ tenants: [tenant()] });

    expect(config.stateStore.url).toBe('redis://127.0.0.1:6379/0');
    const t = config.tenants[0];
    expect(t?.soak.minCoverage).toBe(0.95);
    expect(t?.soak.soak.duration).toBe(72 * 3_600_000);
    expect(t?.soak.replication.readyAfter).toBe(3_600_000);
    expect(t?.soak.autoApprove).toBe(false);
    expect(t?.soak.soak.criteria.length).toBeGreaterThan(0);
    expect(t?.legacy.heartbeat).toEqual({ enabled: true, db: 0 });
  });

  it('ships the issue 7 defaults: sampler on the 2nd failing sample, a soak data-loss guard, a clock-skew limit', () => {
    const config = parseConfig({ tenants: [tenant()] });
    const policy = config.tenants[0]?.soak;

    for (const phase of ['replication', 'soak'] as const)
      expect(policy?.[phase].criteria.find((c) => c.id === 'sampler')).toMatchObject({
        metric: 'samplerFailures',
        aggregate: 'last',
        window: 60_000,
        threshold: 0,
        consecutive: 2,
        severity: 'warn',
      });
    expect(policy?.soak.criteria.find((c) => c.id === 'data-loss')).toEqual({
      id: 'data-loss',
      metric: 'targetKeyLossRatio',
      aggregate: 'sum',
      window: 15 * 60_000,
      op: '>',
      threshold: 0.01,
      consecutive: 1,
      severity: 'critical',
    });
    expect(config.sampling.maxClockSkewMs).toBe(30_000);
  });

  it('accepts the new key-loss metrics per watched db', () => {
    const config = parseConfig({
      tenants: [
        tenant({
          soak: {
            soak: {
              criteria: [
                {
                  id: 'loss-db3',
                  metric: 'targetKeysLost',
                  scope: 'db3',
                  aggregate: 'sum',
                  window: '15m',
                  threshold: 100,
                },
              ],
            },
          },
        }),
      ],
    });

    expect(config.tenants[0]?.soak.soak.criteria[0]).toMatchObject({
      metric: 'targetKeysLost',
      scope: 'db3',
    });
  });

  it('accepts a Sentinel legacy with host:port strings', () => {
    const config = parseConfig({
      tenants: [tenant({ legacy: { sentinel: { hosts: ['10.0.0.5:26379'], name: 'mymaster' }, dbs: [0] } })],
    });
    expect(config.tenants[0]?.legacy.sentinel?.hosts).toEqual([{ host: '10.0.0.5', port: 26379 }]);
  });

  it('names the tenant index and field of a bad target URL', () => {
    const issues = issuesOf({
      tenants: [tenant(), tenant({ id: 'b' }), tenant({ id: 'c', target: { url: 'http://x' } })],
    });
    expect(issues).toContainEqual({
      path: 'tenants[2].target.url',
      message: 'must be redis:// or rediss://',
    });
  });

  it('rejects unknown keys so typos are caught', () => {
    const issues = issuesOf({ tenants: [tenant({ legcy: {} })] });
    expect(issues.some((i) => i.path === 'tenants[0]' && /legcy/.test(i.message))).toBe(true);
  });

  it('lists every invalid path in one error', () => {
    const issues = issuesOf({
      tenants: [
        tenant({
          id: 'Bad Id',
          legacy: { url: 'ftp://x' },
          target: { url: 'redis://h:1', dbMap: { x: 'a' } },
        }),
      ],
    });
    const paths = issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining(['tenants[0].id', 'tenants[0].legacy.url', 'tenants[0].target.dbMap.x']),
    );
  });

  it('rejects duplicate tenant ids', () => {
    const issues = issuesOf({ tenants: [tenant(), tenant()] });
    expect(issues).toContainEqual({
      path: 'tenants[1].id',
      message: 'duplicate tenant id "acme" (also tenants[0])',
    });
  });

  it('rejects a dbMap that maps two dbs to overlapping prefixes', () => {
    const issues = issuesOf({
      tenants: [
        tenant({
          legacy: { url: 'redis://h:1', dbs: [1, 2] },
          target: { url: 'redis://t:1', cluster: true, dbMap: { '1': 'svc:', '2': 'svc:impact:' } },
        }),
      ],
    });
    expect(issues[0]?.path).toBe('tenants[0].target.dbMap.2');
    expect(issues[0]?.message).toMatch(/overlaps/);
  });

  it('rejects a watched legacy db with no dbMap entry', () => {
    const issues = issuesOf({
      tenants: [tenant({ legacy: { url: 'redis://h:1', dbs: [0, 5] } })],
    });
    expect(issues).toContainEqual({
      path: 'tenants[0].target.dbMap',
      message: 'legacy db 5 is watched but has no entry in dbMap',
    });
  });

  it('rejects a legacy with both url and sentinel, or neither', () => {
    expect(issuesOf({ tenants: [tenant({ legacy: { dbs: [0] } })] })[0]?.message).toBe(
      'give exactly one of url or sentinel',
    );
  });

  it('rejects a criterion on an unknown metric instead of passing silently', () => {
    const issues = issuesOf({
      tenants: [
        tenant({
          soak: { soak: { criteria: [{ id: 'x', metric: 'keyDrfit', threshold: 1 }] } },
        }),
      ],
    });
    expect(issues[0]?.path).toBe('tenants[0].soak.soak.criteria[0].metric');
    expect(issues[0]?.message).toMatch(/unknown metric "keyDrfit"/);
  });

  it('rejects criteria that could never be evaluated: an unwatched db scope, CloudWatch without a group', () => {
    const issues = issuesOf({
      tenants: [
        tenant({
          soak: {
            soak: {
              criteria: [
                { id: 'd', metric: 'keyDrift', scope: 'db7', threshold: 0 },
                { id: 'cpu', metric: 'cloudwatch:EngineCPUUtilization', threshold: 90 },
              ],
            },
          },
        }),
      ],
    });
    expect(issues).toEqual([
      {
        path: 'tenants[0].soak.soak.criteria[0].scope',
        message: 'db 7 is not among the watched legacy dbs (0, 3)',
      },
      {
        path: 'tenants[0].soak.soak.criteria[1].metric',
        message: 'cloudwatch:EngineCPUUtilization needs target.replicationGroupId (the CloudWatch dimension)',
      },
    ]);
  });

  it('reserves the criterion id full-compare for the offline full compare', () => {
    const issues = issuesOf({
      tenants: [
        tenant({ soak: { soak: { criteria: [{ id: 'full-compare', metric: 'keyDrift', threshold: 0 }] } } }),
      ],
    });
    expect(issues).toContainEqual({
      path: 'tenants[0].soak.soak.criteria[0].id',
      message: '"full-compare" is reserved for the full compare',
    });
  });

  it('rejects a bad duration naming the value', () => {
    const issues = issuesOf({ tenants: [tenant({ soak: { soak: { duration: '3 days' } } })] });
    expect(issues[0]).toEqual({
      path: 'tenants[0].soak.soak.duration',
      message: '"3 days" is not a duration (use e.g. 30s, 15m, 72h, 7d)',
    });
  });

  it('never echoes a password in its errors', () => {
    let message = '';
    try {
      parseConfig({ tenants: [tenant({ legacy: { url: 'redis://h:1', password: 's3cr3t-pw', dbs: 'x' } })] });
    } catch (error) {
      message = String(error);
    }
    expect(message).toMatch(/tenants\[0\]\.legacy\.dbs/);
    expect(message).not.toContain('s3cr3t-pw');
  });
});

describe('parseConfigText', () => {
  it('reads YAML', () => {
    const config = parseConfigText(
      'tenants:\n  - id: acme\n    legacy: { url: "redis://h:1" }\n    target: { url: "redis://t:2" }\n',
    );
    expect(config.tenants[0]?.target.dbMap).toEqual({ '0': '' });
  });

  it('turns a syntax error into a ConfigError, not a crash', () => {
    expect(() => parseConfigText('tenants: [', 'x.yml')).toThrow(ConfigError);
  });
});

describe('soakwatch.example.yml', () => {
  it('is a valid configuration, so the documented example never rots', async () => {
    const { loadConfig } = await import('../../../src/config/index.js');
    const config = loadConfig(new URL('../../../soakwatch.example.yml', import.meta.url).pathname);
    expect(config.tenants.map((t) => t.id)).toEqual(['acme']);
  });
});
