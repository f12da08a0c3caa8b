import { describe, expect, it } from 'vitest';
import { planAlerts } from '../../../src/alerts/index.js';
import { STORE_LOST_ALERT_ID, storeLostAlertInput } from '../../../src/tick/index.js';
import { T0, tenantInput, unitConfig } from '../../support/unitTick.js';

describe('storeLostAlertInput', () => {
  const tenant = unitConfig([tenantInput('acme')]).tenants[0];
  const lost = {
    status: 'lost' as const,
    detectedAt: T0,
    reason: 'the state store lost its identity marker (flushed, or replaced by an empty store)',
  };

  it('fires the loss critical with the state UNKNOWN, never a fresh REPLICATING', () => {
    if (!tenant) throw new Error('no tenant');
    const input = storeLostAlertInput(tenant, lost, T0 + 1);

    expect(input).toMatchObject({ tenant: 'acme', state: 'UNKNOWN', transitions: [] });
    expect(input.firing).toEqual([
      expect.objectContaining({ id: STORE_LOST_ALERT_ID, severity: 'critical', since: T0 }),
    ]);
    expect(input.firing[0]?.detail).toContain('restart it deliberately');
  });

  it('pages once, then only at repeatEvery', () => {
    if (!tenant) throw new Error('no tenant');
    const opts = { repeatEveryMs: 60_000, alertTopicArn: 'arn:aws:sns:us-east-1:000000000000:alerts' };
    const first = planAlerts(storeLostAlertInput(tenant, lost, T0), undefined, opts);
    const second = planAlerts(storeLostAlertInput(tenant, lost, T0 + 1_000), first.memory, opts);
    const repeat = planAlerts(storeLostAlertInput(tenant, lost, T0 + 61_000), second.memory, opts);

    expect(first.messages.map((m) => m.attributes.kind)).toEqual(['alert']);
    expect(second.messages).toEqual([]);
    expect(repeat.messages.map((m) => m.attributes.kind)).toEqual(['repeat']);
  });
});
