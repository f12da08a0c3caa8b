import type { z } from 'zod';
import type { OutgoingMessage } from '../../../src/alerts/index.js';
import { type MemberCache, NO_MEMBERS } from '../../../src/aws/index.js';
import { type Config, configSchema, type TenantConfig } from '../../../src/config/index.js';
import type { policySchema } from '../../../src/config/schema.js';
import { metrics } from '../../../src/observability/index.js';
import { type ActionInput, performAction } from '../../../src/release/index.js';
import { type EventsRuntime, openTickRuntime, type TickClients } from '../../../src/runtime/index.js';
import type { SoakState } from '../../../src/soak/index.js';
import type { AuditEntry } from '../../../src/store/index.js';
import { type Log, runTick, type TenantTickReport, type TickDeps } from '../../../src/tick/index.js';

// Scenario tests drive the real tick (sample → store → judge → alerts → hooks) over real Redis, with
// the judge's clock passed in: policies are compressed to seconds and ticks step `now` by one second,
// so a whole soak runs in a few seconds of wall time without sleeping.

export const SECOND = 1_000;

type PolicyInput = z.input<typeof policySchema>;
/** A tenant of the scenario config, as written in the config file. */
export type TenantInput = Omit<z.input<typeof configSchema>['tenants'][number], 'soak'> & {
  soak?: PolicyInput;
};

/** A soak policy compressed to seconds: one sample a second, 3 s windows, a 5 s soak. */
export function compressedPolicy(overrides: Partial<PolicyInput> = {}): PolicyInput {
  const sum3s = { aggregate: 'sum', window: '3s', threshold: 0 } as const;
  return {
    sampleInterval: '1s',
    minCoverage: 0.8,
    maxResets: 3,
    replication: {
      readyAfter: '3s',
      criteria: [
        { id: 'key-drift', metric: 'keyDrift', aggregate: 'max', window: '3s', threshold: 2, consecutive: 2 },
        {
          id: 'cdc-lag',
          metric: 'cdcLagMs',
          aggregate: 'max',
          window: '3s',
          threshold: 1500,
          consecutive: 2,
        },
        { id: 'spot-check', metric: 'spotCheckMismatches', ...sum3s },
      ],
    },
    soak: {
      duration: '5s',
      criteria: [
        { id: 'evictions', metric: 'targetEvictions', ...sum3s },
        { id: 'errors', metric: 'targetErrorRate', aggregate: 'max', window: '3s', threshold: 5 },
        { id: 'legacy-writes', metric: 'legacyWriteOps', ...sum3s },
        {
          id: 'legacy-clients',
          metric: 'legacyAppClients',
          aggregate: 'max',
          window: '3s',
          threshold: 0,
          consecutive: 2,
        },
      ],
    },
    ...overrides,
  };
}

/**
 * A whole config around the scenario's tenants. Timeouts are short so a frozen node costs little time,
 * but not so short that a busy machine (two test files at once on two cores) makes samples partial.
 */
export function scenarioConfig(stateStoreUrl: string, tenants: TenantInput[]): Config {
  return configSchema.parse(scenarioConfigInput(stateStoreUrl, tenants));
}

/** The scenario config as a user writes it (what a separate tick process parses). */
export function scenarioConfigInput(
  stateStoreUrl: string,
  tenants: TenantInput[],
): z.input<typeof configSchema> {
  return {
    stateStore: { url: stateStoreUrl, keyPrefix: 'scenario:' },
    notifications: {
      alertTopicArn: 'arn:aws:sns:us-east-1:000000000000:soakwatch-alerts',
      releaseTopicArn: 'arn:aws:sns:us-east-1:000000000000:soakwatch-release',
      repeatEvery: '30m',
    },
    // 100 keys per db (the default): a spot-check suspect is confirmed at the next tick, so the keys a
    // scenario loses must be drawn at the first one to be confirmed at the second.
    sampling: { commandTimeoutMs: 800, connectTimeoutMs: 1_000, budgetMs: 2_000, spotCheckKeys: 100 },
    tenants: tenants.map((t) => ({ ...t, soak: t.soak ?? compressedPolicy() })),
  };
}

/** The tick's log, silent: the tests assert on reports, messages and the store. */
export const quietLog: Log = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** Real clients and the real tick dependencies, with SNS replaced by a collector. */
export interface Harness {
  config: Config;
  clients: TickClients;
  deps: TickDeps;
  /** Every message the tick would have published to SNS, in order. */
  messages: OutgoingMessage[];
  tenant(id: string): TenantConfig;
  /** One tick of one tenant at `now`. */
  tick(tenantId: string, now: number): Promise<TenantTickReport>;
  /** A release manager's action at `now`. */
  act(tenantId: string, input: ActionInput, now: number): ReturnType<typeof performAction>;
  audit(tenantId: string): Promise<AuditEntry[]>;
  /** The event handlers' runtime over the harness's store (members: none, i.e. ElastiCache's node naming). */
  eventsRuntime(members?: MemberCache): EventsRuntime;
  state(tenantId: string): Promise<SoakState | undefined>;
  close(): Promise<void>;
}

export async function openHarness(config: Config): Promise<Harness> {
  const runtime = await openTickRuntime(config, { log: quietLog, aws: false });
  const { clients } = runtime;
  const messages: OutgoingMessage[] = [];
  const deps: TickDeps = {
    ...runtime.deps,
    publish: (m) => {
      messages.push(m);
      return Promise.resolve();
    },
  };
  const tenant = (id: string) => {
    const t = config.tenants.find((x) => x.id === id);
    if (!t) throw new Error(`no tenant ${id} in the scenario config`);
    return t;
  };
  return {
    config,
    clients,
    deps,
    messages,
    tenant,
    async tick(tenantId, now) {
      const report = await runTick(deps, { now, tenantId });
      const t = report.tenants[0];
      if (!t) throw new Error(`the tick reported nothing for ${tenantId}`);
      return t;
    },
    act: (tenantId, input, now) => performAction(deps, tenantId, input, now),
    audit: (tenantId) => clients.store.auditTrail(tenantId, 1_000),
    eventsRuntime: (members = NO_MEMBERS) => ({
      config,
      store: clients.store,
      members,
      log: quietLog,
      metrics,
    }),
    async state(tenantId) {
      return (await clients.store.getState<SoakState>(tenantId))?.state;
    },
    close: () => runtime.close(),
  };
}

/** Ticks once a second of judge time from `from` (inclusive) for `count` ticks; returns the reports. */
export async function tickSeconds(
  h: Harness,
  tenantId: string,
  from: number,
  count: number,
  between?: (i: number, now: number) => Promise<void>,
): Promise<TenantTickReport[]> {
  const reports: TenantTickReport[] = [];
  for (let i = 0; i < count; i++) {
    const now = from + i * SECOND;
    if (between) await between(i, now);
    reports.push(await h.tick(tenantId, now));
  }
  return reports;
}

/** Cuts a tenant over at once (forced from REPLICATING): soak scenarios start from the soak. */
export async function forceCutover(h: Harness, tenantId: string, now: number): Promise<void> {
  await h.act(
    tenantId,
    { action: 'cutover', actor: 'release-manager@test', reason: 'scenario starts at the soak', force: true },
    now,
  );
}

/** The SNS messages of one tenant, by kind (alert, resolved, passed, soak-reset…). */
export function messagesOf(h: Harness, tenantId: string, kind?: string): OutgoingMessage[] {
  return h.messages.filter(
    (m) => m.attributes.tenant === tenantId && (kind === undefined || m.attributes.kind === kind),
  );
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
