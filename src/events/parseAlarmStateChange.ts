import * as z from 'zod';
import { ALARM_EVENT_TYPES, isAlarmState } from '../soak/index.js';
import { truncateRaw } from './truncate.js';
import type { ParsedEvents } from './types.js';

const DETAIL_LIMIT = 500;

const alarmEventSchema = z.object({
  id: z.string().min(1),
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  time: z.string().refine((t) => !Number.isNaN(Date.parse(t)), 'is not a timestamp'),
  detail: z.object({
    alarmName: z.string().min(1),
    state: z.object({
      value: z.string().min(1),
      reason: z.string().optional(),
      timestamp: z.string().optional(),
    }),
  }),
});

export interface AlarmTenant {
  id: string;
  /** Alarm names starting with this belong to the tenant; default `soakwatch-<id>-`. */
  alarmPrefix?: string;
}

/** The tenant whose alarm prefix the alarm name starts with; the longest prefix wins. */
export function tenantForAlarm(alarmName: string, tenants: readonly AlarmTenant[]): string | undefined {
  let best: { id: string; len: number } | undefined;
  for (const t of tenants) {
    const prefix = t.alarmPrefix ?? `soakwatch-${t.id}-`;
    if (alarmName.startsWith(prefix) && (!best || prefix.length > best.len))
      best = { id: t.id, len: prefix.length };
  }
  return best?.id;
}

/**
 * Parses an EventBridge `CloudWatch Alarm State Change` into a tenant event:
 * ALARM → `CloudWatchAlarm`, OK → `CloudWatchAlarmOK`, INSUFFICIENT_DATA → `CloudWatchAlarmInsufficientData`.
 * Never throws: malformed events, unknown states and alarms of no tenant come back in `rejected`.
 */
export function parseAlarmStateChange(
  eventBridgeEvent: unknown,
  tenants: readonly AlarmTenant[],
): ParsedEvents {
  const parsed = alarmEventSchema.safeParse(eventBridgeEvent);
  if (!parsed.success) {
    const why = parsed.error.issues
      .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
      .join('; ');
    return {
      events: [],
      rejected: [
        { reason: `not a CloudWatch alarm state change: ${why}`, raw: truncateRaw(eventBridgeEvent) },
      ],
    };
  }
  const e = parsed.data;
  const { alarmName, state } = e.detail;
  const alarmState = isAlarmState(state.value) ? state.value : undefined;
  if (!alarmState)
    return {
      events: [],
      rejected: [{ reason: `alarm ${alarmName}: unknown state "${state.value}"`, raw: truncateRaw(e) }],
    };
  const tenant = tenantForAlarm(alarmName, tenants);
  if (!tenant)
    return {
      events: [],
      rejected: [{ reason: `alarm ${alarmName}: no tenant's alarm prefix matches it`, raw: truncateRaw(e) }],
    };
  // The state's own timestamp is when CloudWatch evaluated it; `time` is when EventBridge emitted it.
  const stateAt = state.timestamp ? Date.parse(state.timestamp) : Number.NaN;
  const at = Number.isNaN(stateAt) ? Date.parse(e.time) : stateAt;
  const line = state.reason ? `${alarmName} ${state.value}: ${state.reason}` : `${alarmName} ${state.value}`;
  const detail = line.length > DETAIL_LIMIT ? `${line.slice(0, DETAIL_LIMIT)}…` : line;
  // The judge keys alarms by `alarmName` and orders their changes by `at`, never by parsing `detail`.
  const event = { at, type: ALARM_EVENT_TYPES[alarmState], source: 'cloudwatch' as const, id: e.id, detail };
  return { events: [{ tenant, event: { ...event, alarmName, alarmState } }], rejected: [] };
}
