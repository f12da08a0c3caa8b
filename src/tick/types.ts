import type { OutgoingMessage } from '../alerts/index.js';
import type { Config, Criterion, TenantConfig } from '../config/index.js';
import type { HookTrigger } from '../hooks/index.js';
import type { DerivedMetrics } from '../metrics/index.js';
import type { Sample } from '../sampling/types.js';
import type { SoakEvent, SoakStateName, Transition, Verdict } from '../soak/index.js';
import type { StateStore } from '../store/index.js';
import type { FutureSample } from './futureSamples.js';

/** The log lines a tick writes; Powertools' Logger satisfies it. */
export interface Log {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

export type Phase = 'replication' | 'soak';

/**
 * Everything a tick touches, passed in: real clients in Lambda and the CLI, local ones in tests. Every
 * member is required; where a feature is off (no AWS on a laptop, no metrics on the command line) the
 * wiring passes a no-op, so the tick itself never asks whether a dependency is there.
 */
export interface TickDeps {
  config: Config;
  store: StateStore;
  /** Samples both clusters of a tenant (heartbeat and spot-check only in the replication phase). */
  collect(
    tenant: TenantConfig,
    ctx: { now: number; previous: Sample | undefined; phase: Phase },
  ): Promise<Sample>;
  /**
   * ElastiCache's own metrics for `cloudwatch:` criteria. Without AWS (local runs) it reads nothing:
   * the metrics stay "no data", never 0.
   */
  cloudwatch(
    tenant: TenantConfig,
    criteria: readonly Criterion[],
    from: number,
    to: number,
  ): Promise<DerivedMetrics>;
  /**
   * ElastiCache DescribeEvents for the tenant's replication group, so a missed notification is still
   * seen. `undefined` when this process reads no ElastiCache events (no AWS): the tenant's watermark
   * then stays where the last reader left it, so a tick with AWS later still looks back that far.
   */
  elasticacheEvents(tenant: TenantConfig, since: number, until: number): Promise<SoakEvent[] | undefined>;
  publish(message: OutgoingMessage): Promise<void>;
  /** Fires remediation hooks for this tick's triggers (src/hooks' lifecycle); must not throw. */
  runHooks(tenant: TenantConfig, triggers: readonly HookTrigger[], now: number): Promise<HookOutcome[]>;
  /** Called with every sample that was stored and judged, e.g. to emit it as CloudWatch EMF. */
  onSample(sample: Sample): void;
  log: Log;
}

export interface HookOutcome {
  id: string;
  status: string;
  error?: string;
  /** The idempotency key it was claimed under (given back when it failed, so the outbox retries it). */
  key?: string;
}

/** What one tick did for one tenant. */
export interface TenantTickReport {
  tenant: string;
  ok: boolean;
  /** Set when the tenant was not judged this tick (another tick holds it, or a duplicate). */
  skipped?: 'locked' | 'concurrent' | 'duplicate';
  /** True when this tick stored a sample and judged it (what SamplesJudged counts). */
  judged?: boolean;
  error?: string;
  /** Set when the tick was refused because a sample would come from the future (then `error` says so). */
  futureSample?: FutureSample;
  state?: SoakStateName;
  verdict?: Verdict;
  transitions: Transition[];
  messages: number;
  hooks: HookOutcome[];
  sample?: SampleSummary;
  /** Outbox entries (milestones, their hooks) still undelivered after this tick: OutboxPending. */
  outboxPending?: number;
}

export interface TickReport {
  at: number;
  durationMs: number;
  tenants: TenantTickReport[];
}

/** A sample as reports and status show it: when, how long, whether whole, which nodes were not read. */
export interface SampleSummary {
  at: number;
  durationMs: number;
  complete: boolean;
  failedNodes: string[];
}
