import type { AlarmState } from '../soak/index.js';

/**
 * Something that happened to a tenant's target cluster outside the samples: an ElastiCache event
 * or a CloudWatch alarm state change. Shaped for the state store's `appendEvent` (`at`, `type`, `id`).
 */
export interface SoakEvent {
  /** When it happened (epoch ms). */
  at: number;
  /** `ElastiCache:<EventName>`, `CloudWatchAlarm`, `CloudWatchAlarmOK`, `CloudWatchAlarmInsufficientData`. */
  type: string;
  source: 'elasticache' | 'cloudwatch';
  /** Stable id for dedupe: the same event seen twice (SNS re-delivery, DescribeEvents) has the same id. */
  id: string;
  /** A line a human can read: the cluster id, the alarm name and reason. */
  detail: string;
  /**
   * ElastiCache: the cache cluster or replication group id the event is about, as ElastiCache reports
   * it. With `type` it says what happened where, the same through SNS and DescribeEvents.
   */
  sourceId?: string;
  /** CloudWatch: the alarm and the state it changed to, at `at` (the state's own timestamp). */
  alarmName?: string;
  alarmState?: AlarmState;
}

export type { AlarmState };

/** An event mapped to its tenant. */
export interface TenantEvent {
  tenant: string;
  event: SoakEvent;
}

/** Input that was acknowledged but not turned into an event, with the reason. */
export interface RejectedEvent {
  reason: string;
  /** The offending input, serialized and truncated. */
  raw: string;
  /** An ElastiCache event that matched no tenant: its source id (the caller may re-read member lists). */
  sourceId?: string;
}

export interface ParsedEvents {
  events: TenantEvent[];
  rejected: RejectedEvent[];
}
