import { describe, expect, it } from 'vitest';
import {
  type AlertInput,
  type AlertMemory,
  type FiringCriterion,
  milestoneOf,
  planAlerts,
} from '../../../src/alerts/index.js';

const T0 = Date.parse('2025-03-01T10:00:00Z');
const MIN = 60_000;
const opts = {
  repeatEveryMs: 30 * MIN,
  alertTopicArn: 'arn:aws:sns:eu-west-1:123456789012:soakwatch-alerts',
  releaseTopicArn: 'arn:aws:sns:eu-west-1:123456789012:soakwatch-release',
};

const evictions: FiringCriterion = {
  id: 'evictions',
  metric: 'targetEvictions',
  severity: 'critical',
  value: 42,
  threshold: 0,
  op: '>',
  since: T0 - 5 * MIN,
  runbook: 'https://runbooks.example.com/soakwatch/evictions',
};
const memoryWarn: FiringCriterion = {
  id: 'memory',
  metric: 'targetMemoryPct',
  severity: 'warn',
  value: 87.34567,
  threshold: 85,
  op: '>',
  since: T0 - 12 * MIN,
};

function input(over: Partial<AlertInput> = {}): AlertInput {
  return {
    tenant: 'acme',
    now: T0,
    state: 'SOAKING',
    firing: [],
    transitions: [],
    coverage: 0.973,
    remainingMs: 50 * 3_600_000,
    links: { status: 'https://soakwatch.example.com/tenants/acme/status' },
    ...over,
  };
}

/** Runs ticks in order, threading the memory, and returns each tick's messages. */
function run(ticks: AlertInput[], start?: AlertMemory) {
  let memory = start;
  return ticks.map((tick) => {
    const plan = planAlerts(tick, memory, opts);
    memory = plan.memory;
    return plan.messages;
  });
}

describe('planAlerts', () => {
  it('sends one on-call message grouping everything that fires, worst severity first', () => {
    const { messages } = planAlerts(input({ firing: [memoryWarn, evictions] }), undefined, opts);

    expect(messages).toHaveLength(1);
    const [msg] = messages;
    expect(msg?.topic).toBe('alert');
    expect(msg?.topicArn).toBe(opts.alertTopicArn);
    expect(msg?.subject).toBe('[CRITICAL] soakwatch acme: evictions, memory firing');
    expect(msg?.attributes).toEqual({
      tenant: 'acme',
      severity: 'critical',
      state: 'SOAKING',
      kind: 'alert',
    });
    expect(msg?.body).toContain(
      '- [CRITICAL] evictions: targetEvictions is 42, threshold > 0, since 2025-03-01 09:55:00Z (5m ago)',
    );
    expect(msg?.body).toContain('Runbook: https://runbooks.example.com/soakwatch/evictions');
    expect(msg?.body).toContain('targetMemoryPct is 87.35, threshold > 85');
    expect(msg?.body).toContain('resets the soak clock');
    expect(msg?.body).toContain('coverage 97.3%, time left 2d 2h');
    expect(msg?.body.indexOf('evictions:')).toBeLessThan(msg?.body.indexOf('memory:') ?? -1);
  });

  it('stays quiet while the same criteria keep firing, then repeats after repeatEvery', () => {
    const firing = [evictions];

    const sent = run([
      input({ firing }),
      input({ firing, now: T0 + MIN }),
      input({ firing, now: T0 + 29 * MIN }),
      input({ firing, now: T0 + 30 * MIN }),
    ]);

    expect(sent.map((m) => m.length)).toEqual([1, 0, 0, 1]);
    expect(sent[3]?.[0]?.attributes.kind).toBe('repeat');
    expect(sent[3]?.[0]?.subject).toBe('[CRITICAL] soakwatch acme: still firing: evictions');
    expect(sent[3]?.[0]?.body).toContain('open for 30m (reminder)');
  });

  it('sends at once when a new criterion fires or a severity rises', () => {
    const sent = run([
      input({ firing: [memoryWarn] }),
      input({ firing: [memoryWarn, evictions], now: T0 + MIN }),
      input({ firing: [{ ...memoryWarn, severity: 'critical' }, evictions], now: T0 + 2 * MIN }),
      input({ firing: [memoryWarn, evictions], now: T0 + 3 * MIN }),
    ]);

    expect(sent.map((m) => m.length)).toEqual([1, 1, 1, 0]);
    expect(sent[1]?.[0]?.body).toContain('New or worse since the last message: evictions.');
    expect(sent[2]?.[0]?.body).toContain('New or worse since the last message: memory.');
  });

  it('resolves once everything has cleared, carrying the worst severity of the incident', () => {
    const sent = run([
      input({ firing: [evictions, memoryWarn] }),
      input({ firing: [memoryWarn], now: T0 + MIN }),
      input({ firing: [], now: T0 + 25 * MIN }),
      input({ firing: [], now: T0 + 26 * MIN }),
    ]);

    expect(sent.map((m) => m.length)).toEqual([1, 0, 1, 0]);
    const resolved = sent[2]?.[0];
    expect(resolved?.subject).toBe('[RESOLVED] soakwatch acme: evictions, memory back to ok');
    expect(resolved?.attributes).toEqual({
      tenant: 'acme',
      severity: 'critical',
      state: 'SOAKING',
      kind: 'resolved',
    });
    expect(resolved?.body).toContain('Open since 2025-03-01 10:00:00Z, for 25m.');
  });

  it('alerts again when a criterion that cleared quietly fires again', () => {
    const sent = run([
      input({ firing: [evictions, memoryWarn] }),
      input({ firing: [memoryWarn], now: T0 + MIN }),
      input({ firing: [memoryWarn, evictions], now: T0 + 2 * MIN }),
    ]);

    expect(sent.map((m) => m.length)).toEqual([1, 0, 1]);
  });

  it('says which criteria cleared since the last message', () => {
    const sent = run([
      input({ firing: [evictions, memoryWarn] }),
      input({ firing: [memoryWarn], now: T0 + 30 * MIN }),
    ]);

    expect(sent[1]?.[0]?.body).toContain('Cleared since the last message: evictions.');
  });

  it('shows a missing value as "no data", never as 0', () => {
    const { messages } = planAlerts(
      input({ firing: [{ ...evictions, value: null, since: null }] }),
      undefined,
      opts,
    );

    expect(messages[0]?.body).toContain('targetEvictions is no data, threshold > 0, since: unknown');
    expect(messages[0]?.body).toContain('Runbook: https://');
  });

  it('says why a criterion has no data, what its value is made of, and why the verdict is inconclusive', () => {
    const sampler: FiringCriterion = {
      id: 'sampler',
      metric: 'samplerFailures',
      severity: 'critical',
      value: 1,
      threshold: 0,
      op: '>',
      since: T0,
      detail: '127.0.0.1:7003 unreachable: no answer within the sample budget',
    };
    const { messages } = planAlerts(
      input({
        firing: [sampler, { ...evictions, value: null, cause: 'counters reset on 127.0.0.1:7002' }],
        inconclusiveReasons: [
          'coverage 80.0 % below the 95 % floor',
          'memory: no maxmemory on 127.0.0.1:7001',
        ],
      }),
      undefined,
      opts,
    );

    const body = messages[0]?.body ?? '';
    expect(body).toContain('  Detail: 127.0.0.1:7003 unreachable: no answer within the sample budget');
    expect(body).toContain('  Why no data: counters reset on 127.0.0.1:7002');
    expect(body).toContain(
      'Inconclusive: coverage 80.0 % below the 95 % floor; memory: no maxmemory on 127.0.0.1:7001.',
    );
  });

  it('advises rollback on a fatal breach and readiness on a replication-phase critical', () => {
    const fatal = planAlerts(input({ firing: [{ ...evictions, severity: 'fatal' }] }), undefined, opts);
    const replication = planAlerts(input({ state: 'CUTOVER_READY', firing: [evictions] }), undefined, opts);

    expect(fatal.messages[0]?.body).toContain('Rollback advised');
    expect(replication.messages[0]?.body).toContain('readiness is revoked');
  });

  it('keeps subjects within 100 printable ASCII characters however many criteria fire', () => {
    const many = Array.from({ length: 30 }, (_, i) => ({ ...evictions, id: `criterion-number-${i}` }));

    const { messages } = planAlerts(input({ firing: many }), undefined, opts);

    const subject = messages[0]?.subject ?? '';
    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject).toMatch(/\(\+\d+ more\) firing$/);
  });

  it('announces each milestone once on the release topic, also when a tick is re-delivered', () => {
    const transitions = [
      {
        at: T0,
        from: 'SOAKING',
        to: 'PASSED',
        kind: 'passed',
        reason: 'soak duration 72h elapsed, coverage 97.3%',
      },
    ];

    const first = planAlerts(input({ state: 'PASSED', transitions }), undefined, opts);
    const again = planAlerts(input({ state: 'PASSED', transitions, now: T0 + MIN }), first.memory, opts);

    expect(first.messages).toHaveLength(1);
    const msg = first.messages[0];
    expect(msg?.topic).toBe('release');
    expect(msg?.topicArn).toBe(opts.releaseTopicArn);
    expect(msg?.subject).toBe('[RELEASE] soakwatch acme: soak PASSED');
    expect(msg?.attributes).toEqual({ tenant: 'acme', severity: 'info', state: 'PASSED', kind: 'passed' });
    expect(msg?.body).toContain('soakwatch approve --tenant acme');
    expect(msg?.dedupeKey).toBe(`acme:release:passed:${T0}`);
    expect(again.messages).toEqual([]);
  });

  it('sends one release message per milestone of a tick, in time order', () => {
    const transitions = [
      { at: T0 + 1, from: 'SOAKING', to: 'SOAKING', kind: 'reset', reason: 'evictions breached' },
      { at: T0, from: 'CUTOVER_READY', to: 'SOAKING', kind: 'cutover', reason: 'marked', actor: 'maria' },
    ];

    const { messages } = planAlerts(input({ transitions }), undefined, opts);

    expect(messages.map((m) => m.attributes.kind)).toEqual(['cutover', 'soak-reset']);
    expect(messages[0]?.body).toContain('By: maria');
    expect(messages[1]?.attributes.severity).toBe('warn');
  });

  it('plans nothing for a topic that is not configured, but still remembers', () => {
    const plan = planAlerts(input({ firing: [evictions] }), undefined, { repeatEveryMs: 30 * MIN });

    expect(plan.messages).toEqual([]);
    expect(plan.memory.firing).toEqual({ evictions: 'critical' });
  });
});

describe('milestoneOf', () => {
  it.each([
    ['REPLICATING', 'CUTOVER_READY', 'ready', 'ready-for-cutover'],
    ['CUTOVER_READY', 'REPLICATING', 'revoked', 'readiness-revoked'],
    ['CUTOVER_READY', 'SOAKING', 'cutover', 'cutover'],
    ['PASSED', 'SOAKING', 'pass-revoked', 'soak-reset'],
    ['SOAKING', 'SOAKING', 'reset', 'soak-reset'],
    ['SOAKING', 'FAILED', 'failed', 'failed'],
    ['PASSED', 'SCALE_DOWN_APPROVED', 'approved', 'approved'],
    ['SCALE_DOWN_APPROVED', 'SCALED_DOWN', 'scaled-down', 'scaled-down'],
    ['FAILED', 'REPLICATING', 'restarted', 'restarted'],
  ])('reads %s -> %s as a milestone', (from, to, kind, expected) => {
    expect(milestoneOf({ at: 0, from, to, kind, reason: '' })).toBe(expected);
  });

  it('ignores a self-transition that is not a reset', () => {
    expect(
      milestoneOf({ at: 0, from: 'SOAKING', to: 'SOAKING', kind: 'evidence', reason: '' }),
    ).toBeUndefined();
  });
});
