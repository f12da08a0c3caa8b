import type { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { Hook, SecretRef } from '../config/schema.js';

/** Something that happened this tick that hooks may be bound to. */
export interface HookTrigger {
  /** `PASSED`, `FAILED`, `SCALE_DOWN_APPROVED`, `CUTOVER_READY`, `SOAK_RESET` or `criterion:<id>`. */
  trigger: string;
  at: number;
  /**
   * Idempotency key: the tenant, the trigger and the time of the transition (or of the breach start),
   * so a re-delivered or concurrent tick produces the same key and the hook runs once.
   */
  key: string;
  /** Why it happened, passed on in the hook's payload. */
  reason?: string;
}

export interface PlannedHook {
  hook: Hook;
  trigger: HookTrigger;
  /** The key claimed in the state store before acting. */
  claimKey: string;
  /** Set when the hook must not run; the reason is reported as its status. */
  skip?: 'cooldown';
}

export type HookStatus = 'fired' | 'dry-run' | 'skipped-cooldown' | 'skipped-duplicate' | 'failed';

export interface HookResult {
  id: string;
  trigger: string;
  key: string;
  status: HookStatus;
  /** What was done (or would have been): `SNS MessageId …`, `shards 3 -> 4`. */
  detail?: string;
  /** Plain-English failure, no secrets. */
  error?: string;
  /** The audit entry could not be written (the action's status stands). */
  auditError?: string;
}

/** One audit line, the shape of the state store's `AuditEntry`. */
export interface HookAuditEntry {
  at: number;
  /** `hook:<id>`. */
  actor: string;
  action: 'hook.fired' | 'hook.dry-run' | 'hook.failed';
  reason: string;
  detail: Record<string, unknown>;
}

/** What the ElastiCache actions need to know of a replication group before they change it. */
export interface ReplicationGroupShape {
  /** `available`, `modifying`, … */
  status: string | undefined;
  clusterEnabled: boolean;
  /** One entry per shard, with its number of nodes (primary + replicas). */
  nodeGroups: readonly { nodes: number }[];
}

export interface HookDeps {
  sns: SNSClient;
  lambda: LambdaClient;
  fetch: typeof fetch;
  elasticache: ElastiCacheClient;
  /** DescribeReplicationGroups through `elasticache` (src/aws's describeReplicationGroup). */
  describeGroup(groupId: string): Promise<ReplicationGroupShape>;
  /** True the first time `key` is claimed within ttlMs (the state store's SET NX PX). */
  claimOnce(key: string, ttlMs: number): Promise<boolean>;
  /** Appends to the tenant's audit trail. */
  audit(entry: HookAuditEntry): Promise<void>;
  /** Resolves a secret reference (webhook signing secrets). */
  secrets(ref: SecretRef): Promise<string>;
  /** Wall clock for the webhook signature timestamp; default Date.now. */
  clock?: () => number;
  /** Default 5 s. */
  webhookTimeoutMs?: number;
}

export interface HookContext {
  tenant: string;
  /** Needed by the ElastiCache actions. */
  replicationGroupId?: string;
  /** The tick's time: audit entries and cooldowns use it. */
  now: number;
}

/** What a hook's SNS message, Lambda event and webhook body carry. */
export interface HookPayload {
  source: 'soakwatch';
  hook: string;
  tenant: string;
  trigger: string;
  triggeredAt: string;
  key: string;
  reason?: string;
}
