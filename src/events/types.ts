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
}

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
}

export interface ParsedEvents {
  events: TenantEvent[];
  rejected: RejectedEvent[];
}
