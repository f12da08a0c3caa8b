import type { SoakEvent, SoakState } from './types.js';
import { ALARM_EVENT_TYPES, ALARM_STATES, type AlarmState } from './vocabulary.js';

/** Alarms whose latest state change is remembered (open ones are never forgotten). */
const MAX_ALARM_CHANGES = 64;
const ALARM_STATE_OF_TYPE: Readonly<Record<string, AlarmState>> = Object.fromEntries(
  ALARM_STATES.map((state) => [ALARM_EVENT_TYPES[state], state]),
);
const KNOWN_STATES: ReadonlySet<string> = new Set(ALARM_STATES);

export interface AlarmChange {
  name: string;
  state: AlarmState;
}

/** True for a valid `alarmState` field. */
export function isAlarmState(value: unknown): value is AlarmState {
  return typeof value === 'string' && KNOWN_STATES.has(value);
}

/**
 * The alarm state change an event carries (`alarmName`, `alarmState`), or `null` for other events.
 * Fallback for events stored before those fields existed (only for them): the state from the event type,
 * the name from `detail` (see `alarmName`), so old history replays as it was judged.
 */
export function alarmChangeOf(ev: SoakEvent): AlarmChange | null {
  const state = ev.alarmState ?? ALARM_STATE_OF_TYPE[ev.type];
  if (!state) return null;
  return { name: ev.alarmName ?? alarmName(ev.detail), state };
}

/**
 * Applies an alarm's state change unless a later one was applied already (a late OK never closes a newer
 * ALARM). True when the alarm opened now: only that resets, not the same ALARM delivered again.
 * INSUFFICIENT_DATA is not OK: an open alarm stays open until seen OK.
 */
export function applyAlarmChange(s: SoakState, change: AlarmChange, at: number): boolean {
  const latest = s.alarmChanges?.[change.name];
  if (latest !== undefined && at < latest) return false;
  const changes = { ...s.alarmChanges, [change.name]: at };
  const names = Object.keys(changes);
  if (names.length > MAX_ALARM_CHANGES) {
    const closed = names
      .filter((n) => !(n in s.openAlarms) && n !== change.name)
      .sort((a, b) => (changes[a] ?? 0) - (changes[b] ?? 0) || a.localeCompare(b));
    for (const n of closed.slice(0, names.length - MAX_ALARM_CHANGES)) delete changes[n];
  }
  s.alarmChanges = changes;
  if (change.state === 'OK') delete s.openAlarms[change.name];
  if (change.state !== 'ALARM' || change.name in s.openAlarms) return false;
  s.openAlarms[change.name] = at;
  return true;
}

/**
 * The alarm an old stored event is about, from its `detail` (`<alarm name> <STATE>[: reason]`, as src/events
 * wrote it before events carried `alarmName`) or the name alone. Only a fallback for those events: the
 * judge reads `alarmName` when an event has it, and src/events has written it on every alarm event since.
 */
export function alarmName(detail: string | undefined): string {
  if (!detail) return 'CloudWatchAlarm';
  const m = /^(.+?) (?:ALARM|OK|INSUFFICIENT_DATA)(?::|$)/.exec(detail);
  return m?.[1] ?? detail;
}
