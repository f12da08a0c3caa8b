import { describe, expect, it } from 'vitest';
import { parseAlarmStateChange } from '../../../src/events/index.js';

const tenants = [{ id: 'acme' }, { id: 'globex', alarmPrefix: 'gx-prod-' }];

function alarmEvent(alarmName: string, value: string, over: Record<string, unknown> = {}) {
  return {
    version: '0',
    id: 'evt-123',
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: '123456789012',
    time: '2025-03-01T10:00:05Z',
    region: 'eu-west-1',
    resources: [`arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${alarmName}`],
    detail: {
      alarmName,
      state: {
        value,
        reason: 'Threshold Crossed: 1 datapoint [97.0] was > 95.0',
        timestamp: '2025-03-01T10:00:00.000+0000',
      },
      previousState: { value: 'OK' },
    },
    ...over,
  };
}

describe('parseAlarmStateChange', () => {
  it('turns ALARM on a tenant alarm (default prefix) into a CloudWatchAlarm event', () => {
    const out = parseAlarmStateChange(alarmEvent('soakwatch-acme-memory', 'ALARM'), tenants);

    expect(out.rejected).toEqual([]);
    expect(out.events).toEqual([
      {
        tenant: 'acme',
        event: {
          at: Date.parse('2025-03-01T10:00:00.000+0000'),
          type: 'CloudWatchAlarm',
          source: 'cloudwatch',
          id: 'evt-123',
          detail: 'soakwatch-acme-memory ALARM: Threshold Crossed: 1 datapoint [97.0] was > 95.0',
          alarmName: 'soakwatch-acme-memory',
          alarmState: 'ALARM',
        },
      },
    ]);
  });

  it('records OK and INSUFFICIENT_DATA under their own types, using a configured prefix', () => {
    const ok = parseAlarmStateChange(alarmEvent('gx-prod-cpu', 'OK'), tenants);
    const insufficient = parseAlarmStateChange(alarmEvent('gx-prod-cpu', 'INSUFFICIENT_DATA'), tenants);

    expect(ok.events[0]?.event.type).toBe('CloudWatchAlarmOK');
    expect(ok.events[0]?.tenant).toBe('globex');
    expect(insufficient.events[0]?.event.type).toBe('CloudWatchAlarmInsufficientData');
  });

  it('carries the alarm name and its new state as fields, timed at the state change', () => {
    const ok = parseAlarmStateChange(alarmEvent('gx-prod-cpu', 'OK'), tenants);
    const insufficient = parseAlarmStateChange(alarmEvent('gx-prod-cpu', 'INSUFFICIENT_DATA'), tenants);

    expect(ok.events[0]?.event).toMatchObject({
      alarmName: 'gx-prod-cpu',
      alarmState: 'OK',
      at: Date.parse('2025-03-01T10:00:00.000+0000'),
    });
    expect(insufficient.events[0]?.event).toMatchObject({
      alarmName: 'gx-prod-cpu',
      alarmState: 'INSUFFICIENT_DATA',
    });
  });

  it('falls back to the event time when the state has no timestamp', () => {
    const event = alarmEvent('soakwatch-acme-memory', 'ALARM');
    event.detail.state = { value: 'ALARM', reason: 'x', timestamp: 'garbage' };

    const out = parseAlarmStateChange(event, tenants);

    expect(out.events[0]?.event.at).toBe(Date.parse('2025-03-01T10:00:05Z'));
  });

  it('rejects an alarm that belongs to no tenant', () => {
    const out = parseAlarmStateChange(alarmEvent('someone-elses-alarm', 'ALARM'), tenants);

    expect(out.events).toEqual([]);
    expect(out.rejected[0]?.reason).toBe("alarm someone-elses-alarm: no tenant's alarm prefix matches it");
  });

  it('rejects an unknown state value', () => {
    const out = parseAlarmStateChange(alarmEvent('soakwatch-acme-memory', 'PURPLE'), tenants);

    expect(out.rejected[0]?.reason).toBe('alarm soakwatch-acme-memory: unknown state "PURPLE"');
  });

  it('rejects another detail-type and garbage without throwing, naming the field', () => {
    const other = parseAlarmStateChange(
      alarmEvent('soakwatch-acme-memory', 'ALARM', { 'detail-type': 'EC2 State' }),
      tenants,
    );
    const garbage = parseAlarmStateChange(null, tenants);

    expect(other.rejected[0]?.reason).toMatch(/detail-type/);
    expect(garbage.rejected[0]?.reason).toMatch(/^not a CloudWatch alarm state change/);
  });
});
