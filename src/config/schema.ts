import * as z from 'zod';
import {
  CLOUDWATCH_PREFIX,
  DB_SCOPE_PATTERN,
  dbOfScope,
  isKnownMetric,
  METRIC_CATALOGUE,
  measuredOnlyIn,
  RESERVED_CRITERION_IDS,
} from '../metrics/index.js';
import { parseDuration } from '../util/duration.js';

/** Tenant ids: they name keys in the state store, API paths and CLI arguments. */
export const tenantIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lowercase letters, digits, - and _; at most 63');

// Criterion and hook ids; no `:`, so the verdict's own entries (`alarm:<name>`) cannot collide.
const ID_CHARS = '[A-Za-z0-9_.-]+';
const ID_PATTERN = new RegExp(`^${ID_CHARS}$`);

/** The longest duration soakwatch takes (a year): anything longer is a typo, and overflows nothing. */
export const MAX_DURATION_MS = 366 * 86_400_000;

/**
 * A duration such as `30s`, `15m`, `72h`, parsed to milliseconds: more than 0 (`sampleInterval: 0`
 * would leave every criterion without data forever) and at most a year.
 */
export const durationSchema = z
  .union([z.string().max(64, 'is not a duration (too long)'), z.number().int()])
  .transform((value, ctx) => {
    const ms = typeof value === 'number' ? value : parseDuration(value);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration (use e.g. 30s, 15m, 72h, 7d)` });
      return z.NEVER;
    }
    if (ms <= 0 || ms > MAX_DURATION_MS) {
      ctx.addIssue({
        code: 'custom',
        message: `${typeof value === 'number' ? `${value} ms` : `"${value}"`} is out of range: more than 0 and at most 366d`,
      });
      return z.NEVER;
    }
    return ms;
  });

const redisUrl = z
  .string()
  .refine((u) => /^rediss?:\/\/[^\s]+$/.test(u), { message: 'must be redis:// or rediss://' })
  .refine(
    (u) => {
      try {
        new URL(u);
        return true;
      } catch {
        return false;
      }
    },
    { message: 'is not a valid URL' },
  );

/**
 * A webhook's URL: https (the signed payload and its idempotency key travel in clear otherwise), without
 * credentials (they would be logged and audited with the URL); plain http only to the loopback host, for
 * a receiver on the same machine (local runs, tests).
 */
const webhookUrl = z.string().superRefine((text, ctx) => {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'is not a valid URL' });
    return;
  }
  if (u.username || u.password)
    ctx.addIssue({ code: 'custom', message: 'must not hold credentials (sign with `secret` instead)' });
  const loopback = u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]';
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback))
    ctx.addIssue({ code: 'custom', message: 'must be https:// (http:// only to 127.0.0.1 or localhost)' });
});

/** A secret: inline (local use), from an environment variable, or from AWS Secrets Manager. */
export const secretRefSchema = z.union([
  z.string().min(1),
  z.strictObject({
    env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'),
  }),
  z.strictObject({
    secretId: z.string().min(1),
    /** JSON field of the secret holding the value; the whole secret string when absent. */
    field: z.string().min(1).optional(),
  }),
]);
export type SecretRef = z.infer<typeof secretRefSchema>;

/** TLS options. Verification is never turned off: a private CA is given instead. */
const tlsSchema = z.strictObject({
  /** PEM of a private CA, or a path to one (`caFile`). */
  ca: z.string().min(1).optional(),
  caFile: z.string().min(1).optional(),
  servername: z.string().min(1).optional(),
});
export type TlsOptions = z.infer<typeof tlsSchema>;

const hostPort = z.union([
  z
    .string()
    .regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port')
    .transform((s) => {
      const i = s.lastIndexOf(':');
      return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
    }),
  z.strictObject({ host: z.string().min(1), port: z.number().int().min(1).max(65535) }),
]);

const credentials = {
  username: z.string().min(1).optional(),
  password: secretRefSchema.optional(),
  tls: z.union([z.literal(true), tlsSchema]).optional(),
};

const dbIndex = z.number().int().min(0).max(15);

const legacySchema = z
  .strictObject({
    url: redisUrl.optional(),
    sentinel: z
      .strictObject({
        hosts: z.array(hostPort).min(1),
        name: z.string().min(1),
        username: z.string().min(1).optional(),
        password: secretRefSchema.optional(),
      })
      .optional(),
    dbs: z.array(dbIndex).min(1).default([0]),
    ...credentials,
    /** Addresses (`host:port` as the legacy primary sees them) of a CDC tool connected as a replica. */
    cdcReplicas: z.array(z.string().min(1)).default([]),
    /**
     * ACL users a fence of legacy leaves writing (the CDC tool's): besides soakwatch's own user, every
     * enabled user loses its write commands (`soakwatch fence`).
     */
    fenceExclude: z.array(z.string().min(1)).default([]),
    heartbeat: z
      .strictObject({
        enabled: z.boolean().default(true),
        db: dbIndex.default(0),
      })
      .default({ enabled: true, db: 0 }),
  })
  .refine((l) => Boolean(l.url) !== Boolean(l.sentinel), {
    message: 'give exactly one of url or sentinel',
  });

const dbMapSchema = z
  .record(z.string().regex(/^\d+$/, 'dbMap keys are legacy db numbers'), z.string())
  .default({ '0': '' });

const targetSchema = z.strictObject({
  url: redisUrl,
  cluster: z.boolean().default(false),
  ...credentials,
  replicationGroupId: z.string().min(1).optional(),
  dbMap: dbMapSchema,
});

const comparator = z.enum(['>', '>=', '<', '<=']);

export const criterionSchema = z
  .strictObject({
    id: z.string().regex(ID_PATTERN, 'use letters, digits, _ . -'),
    metric: z.string().min(1),
    /** `db<N>` for per-db metrics. */
    scope: z.string().regex(DB_SCOPE_PATTERN, 'scope is db<N>').optional(),
    aggregate: z.enum(['last', 'max', 'min', 'mean', 'p95', 'sum']).default('last'),
    window: durationSchema.default(60_000),
    op: comparator.default('>'),
    threshold: z.number(),
    /** Breaches tolerated in a row before the criterion fires (1 = fire on the first). */
    consecutive: z.number().int().min(1).default(1),
    severity: z.enum(['warn', 'critical', 'fatal']).default('critical'),
    /** For `cloudwatch:<Metric>` criteria: the statistic and period of the GetMetricData query. */
    cloudwatch: z
      .strictObject({
        stat: z.enum(['Average', 'Maximum', 'Minimum', 'Sum', 'p95', 'p99']).default('Maximum'),
        periodSeconds: z.number().int().min(60).default(60),
        namespace: z.string().default('AWS/ElastiCache'),
      })
      .optional(),
    runbook: z.string().url().optional(),
  })
  .superRefine((c, ctx) => {
    // The judge reports its own evidence (an offline tenant's full compare) under these ids.
    const reserved = Object.hasOwn(RESERVED_CRITERION_IDS, c.id) ? RESERVED_CRITERION_IDS[c.id] : undefined;
    if (reserved)
      ctx.addIssue({ code: 'custom', path: ['id'], message: `"${c.id}" is reserved for ${reserved}` });
    if (c.metric.startsWith(CLOUDWATCH_PREFIX)) {
      if (c.metric.length === CLOUDWATCH_PREFIX.length)
        ctx.addIssue({ code: 'custom', path: ['metric'], message: 'cloudwatch: needs a metric name' });
      return;
    }
    if (!isKnownMetric(c.metric)) {
      ctx.addIssue({
        code: 'custom',
        path: ['metric'],
        message: `unknown metric "${c.metric}" (known: ${Object.keys(METRIC_CATALOGUE).join(', ')}, or cloudwatch:<Name>)`,
      });
      return;
    }
    const info = METRIC_CATALOGUE[c.metric];
    if (c.scope && !('scope' in info))
      ctx.addIssue({ code: 'custom', path: ['scope'], message: `metric ${c.metric} takes no scope` });
  });
export type Criterion = z.infer<typeof criterionSchema>;

// The judge keys each criterion's running state by id, so ids must be unique within a phase.
const phaseCriteria = z.array(criterionSchema).superRefine((list, ctx) => {
  const seen = new Set<string>();
  list.forEach((c, i) => {
    if (seen.has(c.id))
      ctx.addIssue({
        code: 'custom',
        path: [i, 'id'],
        message: `duplicate criterion id "${c.id}" in this phase`,
      });
    seen.add(c.id);
  });
});

/** ElastiCache events and alarms that reset the soak clock by default (others are recorded only). */
export const DEFAULT_RESET_ON = [
  'ElastiCache:FailoverComplete',
  'ElastiCache:ReplicationGroupScalingFailed',
  'ElastiCache:NodeReplaceStarted',
  'ElastiCache:CacheNodeReplaceStarted',
  'CloudWatchAlarm',
] as const;

/**
 * The watcher going blind (nodes it cannot read) is worth a warning in both phases, on the second failing
 * sample in a row: on-call hears within 2 ticks which node cannot be read (the latest sample's note names
 * it). `last`, not a max over a window: one failed read followed by good ones is a blip, not news.
 */
const SAMPLER_CRITERION: z.input<typeof criterionSchema> = {
  id: 'sampler',
  metric: 'samplerFailures',
  aggregate: 'last',
  window: '1m',
  threshold: 0,
  consecutive: 2,
  severity: 'warn',
};

export const DEFAULT_REPLICATION_CRITERIA: z.input<typeof criterionSchema>[] = [
  {
    id: 'key-drift',
    metric: 'persistentKeyDriftRatio',
    aggregate: 'max',
    window: '5m',
    threshold: 0.001,
    consecutive: 3,
  },
  { id: 'cdc-lag', metric: 'cdcLagMs', aggregate: 'p95', window: '15m', threshold: 5_000, consecutive: 3 },
  { id: 'spot-check', metric: 'spotCheckMismatches', aggregate: 'sum', window: '15m', threshold: 0 },
  { id: 'stream-restart', metric: 'streamRestarts', aggregate: 'sum', window: '5m', threshold: 0 },
  SAMPLER_CRITERION,
];

export const DEFAULT_SOAK_CRITERIA: z.input<typeof criterionSchema>[] = [
  {
    id: 'memory',
    metric: 'targetMemoryPct',
    aggregate: 'max',
    window: '5m',
    threshold: 85,
    severity: 'warn',
  },
  { id: 'memory-critical', metric: 'targetMemoryPct', aggregate: 'max', window: '5m', threshold: 95 },
  { id: 'evictions', metric: 'targetEvictions', aggregate: 'sum', window: '5m', threshold: 0 },
  { id: 'errors', metric: 'targetErrorRate', aggregate: 'mean', window: '5m', threshold: 1, consecutive: 3 },
  {
    id: 'target-replication',
    metric: 'targetReplicationLinksDown',
    aggregate: 'max',
    window: '5m',
    threshold: 0,
    consecutive: 3,
  },
  { id: 'legacy-writes', metric: 'legacyWriteOps', aggregate: 'sum', window: '5m', threshold: 0 },
  // While legacy is fenced (`soakwatch fence`) a write it refused is a service still pointed at legacy:
  // loud before the fallback is gone. Not fenced: `nodata` (legacy not fenced), which holds nothing back.
  {
    id: 'legacy-refused-writes',
    metric: 'legacyRefusedWrites',
    aggregate: 'sum',
    window: '5m',
    threshold: 0,
  },
  {
    id: 'legacy-clients',
    metric: 'legacyAppClients',
    aggregate: 'max',
    window: '5m',
    threshold: 0,
    consecutive: 3,
  },
  // Nothing compares the target with legacy after the cutover: a target that loses keys beyond TTL expiry,
  // evictions and the application's deletes must still stop the pass.
  { id: 'data-loss', metric: 'targetKeyLossRatio', aggregate: 'sum', window: '15m', threshold: 0.01 },
  SAMPLER_CRITERION,
];

export const policySchema = z
  .strictObject({
    mode: z.enum(['online', 'offline']).default('online'),
    sampleInterval: durationSchema.default(60_000),
    minCoverage: z.number().min(0).max(1).default(0.95),
    maxResets: z.number().int().min(0).default(3),
    autoApprove: z.boolean().default(false),
    autoCutover: z.boolean().default(false),
    replication: z
      .strictObject({
        readyAfter: durationSchema.default(3_600_000),
        criteria: phaseCriteria.default(() => phaseCriteria.parse(DEFAULT_REPLICATION_CRITERIA)),
      })
      .default(() => ({
        readyAfter: 3_600_000,
        criteria: phaseCriteria.parse(DEFAULT_REPLICATION_CRITERIA),
      })),
    soak: z
      .strictObject({
        duration: durationSchema.default(72 * 3_600_000),
        criteria: phaseCriteria.default(() => phaseCriteria.parse(DEFAULT_SOAK_CRITERIA)),
      })
      .default(() => ({ duration: 72 * 3_600_000, criteria: phaseCriteria.parse(DEFAULT_SOAK_CRITERIA) })),
    /** What ElastiCache / CloudWatch events do: reset the soak clock, or only get recorded. */
    events: z
      .strictObject({ resetOn: z.array(z.string().min(1)).default(() => [...DEFAULT_RESET_ON]) })
      .default(() => ({ resetOn: [...DEFAULT_RESET_ON] })),
  })
  .superRefine((p, ctx) => {
    // The heartbeat and the spot-check run only while replicating: a soak criterion on them would
    // stay "no data" forever and the soak could never pass.
    p.soak.criteria.forEach((c, i) => {
      if (measuredOnlyIn(c.metric) === 'replication')
        ctx.addIssue({
          code: 'custom',
          path: ['soak', 'criteria', i, 'metric'],
          message: `${c.metric} is measured only during replication; it cannot be a soak criterion`,
        });
    });
  });
export type Policy = z.infer<typeof policySchema>;

/** Hook triggers of release milestones (the judge's transition table says which transition fires which). */
export const MILESTONE_TRIGGERS = [
  'PASSED',
  'FAILED',
  'SCALE_DOWN_APPROVED',
  'CUTOVER_READY',
  'SOAK_RESET',
] as const;
export type MilestoneTrigger = (typeof MILESTONE_TRIGGERS)[number];
/** A hook trigger `criterion:<id>` fires while that criterion fires. */
export const CRITERION_TRIGGER_PREFIX = 'criterion:';

const triggerSchema = z.union([
  z.enum(MILESTONE_TRIGGERS),
  z.string().regex(new RegExp(`^${CRITERION_TRIGGER_PREFIX}${ID_CHARS}$`), 'criterion:<id>'),
]);

export const hookSchema = z.strictObject({
  id: z.string().regex(ID_PATTERN),
  on: z.array(triggerSchema).min(1),
  action: z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('sns'), topicArn: z.string().min(1) }),
    z.strictObject({ type: z.literal('lambda'), functionName: z.string().min(1) }),
    z.strictObject({
      type: z.literal('webhook'),
      url: webhookUrl,
      secret: secretRefSchema,
    }),
    z.strictObject({
      type: z.literal('elasticache'),
      operation: z.enum(['addShards', 'addReplicas']),
      count: z.number().int().min(1).max(10).default(1),
    }),
  ]),
  cooldown: durationSchema.default(3_600_000),
  dryRun: z.boolean().default(false),
});
export type Hook = z.infer<typeof hookSchema>;

export const tenantSchema = z.strictObject({
  id: tenantIdSchema,
  legacy: legacySchema,
  target: targetSchema,
  soak: policySchema.default(() => policySchema.parse({})),
  hooks: z.array(hookSchema).default([]),
  /** CloudWatch alarm names starting with this prefix belong to the tenant (default `soakwatch-<id>-`). */
  alarmPrefix: z.string().min(1).optional(),
});
export type TenantConfig = z.infer<typeof tenantSchema>;
export type LegacyConfig = TenantConfig['legacy'];
export type TargetConfig = TenantConfig['target'];

export const configSchema = z
  .strictObject({
    stateStore: z
      .strictObject({
        url: redisUrl.default('redis://127.0.0.1:6379/0'),
        password: secretRefSchema.optional(),
        tls: z.union([z.literal(true), tlsSchema]).optional(),
        keyPrefix: z.string().default('soakwatch:'),
        /** How long what the judge read of each sample is kept, for `soakwatch replay` of a whole migration. */
        historyRetention: durationSchema.default(14 * 86_400_000),
      })
      .default({
        url: 'redis://127.0.0.1:6379/0',
        keyPrefix: 'soakwatch:',
        historyRetention: 14 * 86_400_000,
      }),
    notifications: z
      .strictObject({
        alertTopicArn: z.string().min(1).optional(),
        releaseTopicArn: z.string().min(1).optional(),
        /** AWS Chatbot subscribes to it: every on-call message again in Chatbot's custom format. */
        chatTopicArn: z.string().min(1).optional(),
        /** The pages' base URL: every message links the tenant page (`<url>/tenants/<id>`). */
        statusPageUrl: z
          .string()
          .regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, 'must be an http(s) URL without query or fragment')
          .optional(),
        repeatEvery: durationSchema.default(30 * 60_000),
      })
      .default({ repeatEvery: 30 * 60_000 }),
    sampling: z
      .strictObject({
        commandTimeoutMs: z.number().int().min(10).default(1_000),
        connectTimeoutMs: z.number().int().min(10).default(2_000),
        budgetMs: z.number().int().min(100).default(5_000),
        spotCheckKeys: z.number().int().min(0).default(100),
        scanKeysPerTick: z.number().int().min(0).default(10_000),
        /** A tick whose `now` is further ahead of the state store's clock is refused (a clock ahead, a bad --now). */
        maxClockSkewMs: z.number().int().min(1_000).default(30_000),
      })
      .default({
        commandTimeoutMs: 1_000,
        connectTimeoutMs: 2_000,
        budgetMs: 5_000,
        spotCheckKeys: 100,
        scanKeysPerTick: 10_000,
        maxClockSkewMs: 30_000,
      }),
    /** How the scheduled tick spreads its round over Lambda (src/tick/fanout.ts, docs/scaling.md). */
    fleet: z
      .strictObject({
        /**
         * From this many tenants on, the scheduled tick hands each tenant to a per-tenant invocation;
         * below it, it runs them in its own process with the same per-tenant code (small installs).
         */
        fanOutFrom: z.number().int().min(1).default(20),
        /** Invoke calls in flight at once while a round is dispatched. */
        dispatchConcurrency: z.number().int().min(1).max(512).default(64),
        /** The schedule's period: a per-tenant tick starting after its round is over is dropped. */
        roundMs: z.number().int().min(1_000).default(60_000),
        /** Tenants a warm per-tenant container keeps connections for (least recently ticked closed first). */
        warmTenants: z.number().int().min(1).default(4),
        /**
         * soakwatch's connections to one Redis node, summed over every container (the census each round
         * reads), above which the round warns and counts the node (`RedisNodesOverConnectionBound`, alarmed).
         */
        maxConnectionsPerNode: z.number().int().min(1).default(1_000),
      })
      .default({
        fanOutFrom: 20,
        dispatchConcurrency: 64,
        roundMs: 60_000,
        warmTenants: 4,
        maxConnectionsPerNode: 1_000,
      }),
    tenants: z.array(tenantSchema).min(1),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Map<string, number>();
    cfg.tenants.forEach((t, i) => {
      const first = seen.get(t.id);
      if (first !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['tenants', i, 'id'],
          message: `duplicate tenant id "${t.id}" (also tenants[${first}])`,
        });
      else seen.set(t.id, i);
      checkDbMap(t, i, ctx);
      checkEvaluable(t, i, ctx);
    });
  });
export type Config = z.infer<typeof configSchema>;

/**
 * A criterion that can never be evaluated would be "no data" forever and silently block the phase:
 * a per-db scope on a db the tenant does not watch, or a CloudWatch metric without a replication group.
 */
function checkEvaluable(t: TenantConfig, i: number, ctx: z.RefinementCtx): void {
  for (const phase of ['replication', 'soak'] as const) {
    t.soak[phase].criteria.forEach((c, j) => {
      const path = ['tenants', i, 'soak', phase, 'criteria', j];
      const db = c.scope ? dbOfScope(c.scope) : undefined;
      if (db !== undefined && !t.legacy.dbs.includes(db))
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'scope'],
          message: `db ${db} is not among the watched legacy dbs (${t.legacy.dbs.join(', ')})`,
        });
      if (c.metric.startsWith(CLOUDWATCH_PREFIX) && !t.target.replicationGroupId)
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'metric'],
          message: `${c.metric} needs target.replicationGroupId (the CloudWatch dimension)`,
        });
    });
  }
}

/**
 * Two legacy dbs must not land on overlapping prefixes, or their keys could not be told apart.
 * An empty prefix is the catch-all for keys under no other prefix (legacy db 0 usually).
 */
function checkDbMap(t: TenantConfig, i: number, ctx: z.RefinementCtx): void {
  const entries = Object.entries(t.target.dbMap);
  for (let a = 0; a < entries.length; a++) {
    for (let b = a + 1; b < entries.length; b++) {
      const [dbA, pa] = entries[a] as [string, string];
      const [dbB, pb] = entries[b] as [string, string];
      // An empty prefix is the catch-all ("everything not under another prefix"); only one may exist.
      const overlap = pa === '' || pb === '' ? pa === pb : pa.startsWith(pb) || pb.startsWith(pa);
      if (overlap)
        ctx.addIssue({
          code: 'custom',
          path: ['tenants', i, 'target', 'dbMap', dbB],
          message: `prefix "${pb}" of db ${dbB} overlaps prefix "${pa}" of db ${dbA}`,
        });
    }
  }
  for (const db of t.legacy.dbs) {
    if (!(String(db) in t.target.dbMap))
      ctx.addIssue({
        code: 'custom',
        path: ['tenants', i, 'target', 'dbMap'],
        message: `legacy db ${db} is watched but has no entry in dbMap`,
      });
  }
}
