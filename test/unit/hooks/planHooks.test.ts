import { describe, expect, it } from 'vitest';
import { hookSchema } from '../../../src/config/schema.js';
import { hookTriggers, planHooks, updateCooldowns } from '../../../src/hooks/index.js';

const T0 = Date.parse('2025-03-01T10:00:00Z');
const HOUR = 3_600_000;

const scaleDown = hookSchema.parse({
  id: 'scale-down',
  on: ['SCALE_DOWN_APPROVED'],
  action: { type: 'lambda', functionName: 'scale-down-legacy' },
});
const addShards = hookSchema.parse({
  id: 'add-shards',
  on: ['criterion:memory-critical', 'criterion:evictions'],
  action: { type: 'elasticache', operation: 'addShards' },
  cooldown: '6h',
});

describe('planHooks', () => {
  it('plans the hooks bound to this tick’s triggers, keyed per hook and trigger', () => {
    const triggers = [{ trigger: 'SCALE_DOWN_APPROVED', at: T0, key: `acme:SCALE_DOWN_APPROVED:${T0}` }];

    const planned = planHooks([scaleDown, addShards], triggers, {}, T0);

    expect(planned).toEqual([
      { hook: scaleDown, trigger: triggers[0], claimKey: `hook:scale-down:acme:SCALE_DOWN_APPROVED:${T0}` },
    ]);
  });

  it('runs a hook once per tick, on its earliest matching trigger', () => {
    const triggers = [
      { trigger: 'criterion:evictions', at: T0 + 1, key: 'acme:criterion:evictions:2' },
      { trigger: 'criterion:memory-critical', at: T0, key: 'acme:criterion:memory-critical:1' },
    ];

    const planned = planHooks([addShards], triggers, {}, T0 + 1);

    expect(planned.map((p) => p.trigger.trigger)).toEqual(['criterion:memory-critical']);
  });

  it('marks a hook still in its cooldown as skipped, and frees it once the cooldown has passed', () => {
    const triggers = [{ trigger: 'criterion:evictions', at: T0, key: 'k' }];
    const cooldowns = { 'add-shards': T0 - 5 * HOUR };

    const during = planHooks([addShards], triggers, cooldowns, T0);
    const after = planHooks([addShards], triggers, cooldowns, T0 + HOUR);

    expect(during[0]?.skip).toBe('cooldown');
    expect(after[0]?.skip).toBeUndefined();
  });

  it('plans nothing without a matching trigger', () => {
    expect(planHooks([scaleDown], [{ trigger: 'PASSED', at: T0, key: 'k' }], {}, T0)).toEqual([]);
  });
});

describe('updateCooldowns', () => {
  it('starts the cooldown of fired and dry-run hooks only', () => {
    const next = updateCooldowns(
      { old: 1 },
      [
        { id: 'a', trigger: 'PASSED', key: 'k', status: 'fired' },
        { id: 'b', trigger: 'PASSED', key: 'k', status: 'dry-run' },
        { id: 'c', trigger: 'PASSED', key: 'k', status: 'failed', error: 'x' },
        { id: 'd', trigger: 'PASSED', key: 'k', status: 'skipped-duplicate' },
      ],
      T0,
    );

    expect(next).toEqual({ old: 1, a: T0, b: T0 });
  });
});

describe('hookTriggers', () => {
  it('turns transitions and firing criteria into triggers keyed by tenant, trigger and time', () => {
    const triggers = hookTriggers({
      tenant: 'acme',
      now: T0,
      transitions: [
        { at: T0, from: 'SOAKING', to: 'PASSED', kind: 'passed', reason: 'duration elapsed' },
        { at: T0, from: 'SOAKING', to: 'SOAKING', kind: 'evidence', reason: '' },
      ],
      firing: [
        { id: 'evictions', since: T0 - HOUR },
        { id: 'memory', since: null },
      ],
    });

    expect(triggers).toEqual([
      { trigger: 'PASSED', at: T0, key: `acme:PASSED:${T0}`, reason: 'duration elapsed' },
      { trigger: 'criterion:evictions', at: T0 - HOUR, key: `acme:criterion:evictions:${T0 - HOUR}` },
      { trigger: 'criterion:memory', at: T0, key: `acme:criterion:memory:${T0}` },
    ]);
  });

  it('maps a soak reset and an approval to their triggers', () => {
    const triggers = hookTriggers({
      tenant: 'acme',
      now: T0,
      transitions: [
        { at: T0, from: 'SOAKING', to: 'SOAKING', kind: 'reset', reason: 'evictions' },
        {
          at: T0 + 1,
          from: 'PASSED',
          to: 'SCALE_DOWN_APPROVED',
          kind: 'approved',
          reason: 'ok',
          actor: 'maria',
        },
      ],
      firing: [],
    });

    expect(triggers.map((t) => t.trigger)).toEqual(['SOAK_RESET', 'SCALE_DOWN_APPROVED']);
  });
});
