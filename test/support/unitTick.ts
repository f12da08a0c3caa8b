import type { z } from 'zod';
import type { OutgoingMessage } from '../../src/alerts/index.js';
import { type Config, configSchema, type policySchema } from '../../src/config/index.js';
import type { HookTrigger } from '../../src/hooks/index.js';
import type { NodeSample, Sample } from '../../src/sampling/types.js';
import type { HookOutcome, Log, TickDeps } from '../../src/tick/index.js';
import type { MemoryStore } from './memoryStore.js';

/*
 * The tick's and the release service's dependencies for unit tests: the in-memory store, a sampler that
 * returns the samples the test describes, and recorders for what was published, fired and emitted. Time
 * is passed in (`now`), never read from a clock the test does not set.
 */

export const SECOND = 1_000;
export const T0 = Date.parse('2026-03-02T10:00:00Z');

type TenantInput = z.input<typeof configSchema>['tenants'][number];

/** A policy compressed to seconds: ready after 3 s of no key drift, a 3 s soak without evictions. */
export const compressedPolicy = (): z.input<typeof policySchema> => ({
  sampleInterval: '1s',
  minCoverage: 0.5,
  replication: {
    readyAfter: '3s',
    criteria: [{ id: 'key-drift', metric: 'keyDrift', aggregate: 'max', window: '3s', threshold: 2 }],
  },
  soak: {
    duration: '3s',
    criteria: [{ id: 'evictions', metric: 'targetEvictions', aggregate: 'sum', window: '3s', threshold: 0 }],
  },
});

/** A tenant of the unit config; nothing listens at its URLs (the sampler is a fake). */
export function tenantInput(id: string, more: Partial<TenantInput> = {}): TenantInput {
  return {
    id,
    legacy: { url: 'redis://127.0.0.1:1', heartbeat: { enabled: false } },
    target: { url: 'redis://127.0.0.1:2' },
    soak: compressedPolicy(),
    ...more,
  };
}

export function unitConfig(tenants: TenantInput[]): Config {
  return configSchema.parse({
    notifications: {
      alertTopicArn: 'arn:aws:sns:us-east-1:000000000000:alerts',
      releaseTopicArn: 'arn:aws:sns:us-east-1:000000000000:release',
    },
    tenants,
  });
}

export const quietLog: Log = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** A log that keeps its lines, to assert what was warned about. */
export function recordingLog(): Log & { lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  const at = (level: string) => (message: string) => {
    lines.push({ level, message });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function node(side: 'legacy' | 'target', address: string, ok: boolean): NodeSample {
  return {
    side,
    address,
    role: 'master',
    ok,
    ...(ok ? {} : { error: 'connect ECONNREFUSED' }),
    durationMs: 1,
    keyspace: {},
  };
}

/** A sample of a healthy migration (no drift, no eviction) unless `derived` says otherwise. */
export function fakeSample(
  tenant: string,
  at: number,
  opts: { derived?: Record<string, number | null>; unread?: string[] } = {},
): Sample {
  const unread = opts.unread ?? [];
  return {
    tenant,
    at,
    since: null,
    durationMs: 5,
    legacy: {
      primary: '10.0.0.1:6379',
      primaryChanged: false,
      nodes: [node('legacy', '10.0.0.1:6379', !unread.includes('10.0.0.1:6379'))],
      cdcLinks: [],
    },
    target: { nodes: [node('target', '10.0.1.1:6379', !unread.includes('10.0.1.1:6379'))] },
    keys: {},
    complete: unread.length === 0,
    derived: { keyDrift: 0, samplerFailures: unread.length, targetEvictions: 0, ...opts.derived },
    notes: {},
  };
}

export interface Recorded {
  published: OutgoingMessage[];
  hooks: { tenant: string; triggers: readonly HookTrigger[]; now: number }[];
  emitted: number[];
  collected: { tenant: string; now: number; phase: string }[];
}

/**
 * TickDeps over the memory store: `collect` answers `sample(tenant, now)` (default: a healthy sample at
 * `now`), CloudWatch and DescribeEvents read nothing (as without AWS), every publish, hook run and
 * emitted sample is recorded.
 */
export function unitTickDeps(
  config: Config,
  store: MemoryStore,
  over: Partial<TickDeps> & { sample?: (tenant: string, now: number) => Sample } = {},
): { deps: TickDeps; recorded: Recorded } {
  const recorded: Recorded = { published: [], hooks: [], emitted: [], collected: [] };
  const { sample = (tenant, now) => fakeSample(tenant, now), ...rest } = over;
  const deps: TickDeps = {
    config,
    store,
    log: quietLog,
    collect: (tenant, ctx) => {
      recorded.collected.push({ tenant: tenant.id, now: ctx.now, phase: ctx.phase });
      return Promise.resolve(sample(tenant.id, ctx.now));
    },
    cloudwatch: () => Promise.resolve({}),
    elasticacheEvents: () => Promise.resolve(undefined),
    publish: (message) => {
      recorded.published.push(message);
      return Promise.resolve();
    },
    runHooks: (tenant, triggers, now): Promise<HookOutcome[]> => {
      recorded.hooks.push({ tenant: tenant.id, triggers, now });
      return Promise.resolve([]);
    },
    onSample: (s) => {
      recorded.emitted.push(s.at);
    },
    ...rest,
  };
  return { deps, recorded };
}
