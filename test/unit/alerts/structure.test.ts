import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ALERT_PAYLOAD_SCHEMA,
  type AlertInput,
  type AlertPayload,
  createSnsPublisher,
  type FiringCriterion,
  planAlerts,
} from '../../../src/alerts/index.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const MIN = 60_000;
const opts = {
  repeatEveryMs: 30 * MIN,
  alertTopicArn: 'arn:aws:sns:eu-west-1:123456789012:alerts',
  releaseTopicArn: 'arn:aws:sns:eu-west-1:123456789012:release',
  chatTopicArn: 'arn:aws:sns:eu-west-1:123456789012:chat',
  statusPageUrl: 'https://soak.example.com/',
};

const crit = (id: string, metric: string, value: number, sinceMin = 2): FiringCriterion => ({
  id,
  metric,
  severity: 'critical',
  value,
  threshold: 0,
  op: '>',
  since: T0 - sinceMin * MIN,
});
const cdcStalled = crit('cdc-lag', 'cdcLagMs', 240_000, 4);
const drift = crit('key-drift', 'persistentKeyDriftRatio', 0.02);
const spot = crit('spot-check', 'spotCheckMismatches', 37);
const evictions = crit('evictions', 'targetEvictions', 5);

function input(firing: FiringCriterion[], over: Partial<AlertInput> = {}): AlertInput {
  return {
    tenant: 'acme',
    now: T0,
    state: 'REPLICATING',
    firing,
    transitions: [],
    coverage: 1,
    remainingMs: 30 * MIN,
    ...over,
  };
}

const payloadOf = (structured: string | undefined) =>
  JSON.parse((JSON.parse(structured ?? '{}') as { sqs: string }).sqs) as AlertPayload;

describe('root cause over symptoms', () => {
  it('folds key drift and mismatches into one alert naming the stalled CDC', () => {
    const [alert] = planAlerts(input([drift, spot, cdcStalled]), undefined, opts).messages;
    expect(alert?.subject).toBe(
      '[CRITICAL] soakwatch acme: CDC stalled 4m (cdc-lag): key-drift and spot-check are its symptoms',
    );
    expect(alert?.body).toContain('Root cause: CDC stalled 4m (cdc-lag)');
    expect(alert?.body).toMatch(/^- \[CRITICAL\] cdc-lag: cdcLagMs .* \[root cause\]$/m);
    expect(alert?.body).toMatch(/^- \[CRITICAL\] spot-check: .* \[symptom of: CDC stalled\]$/m);
    const payload = payloadOf(alert?.structured);
    expect(payload.rootCause).toEqual({
      criterion: 'cdc-lag',
      metric: 'cdcLagMs',
      cause: 'CDC stalled',
      forMs: 4 * MIN,
      symptoms: ['key-drift', 'spot-check'],
    });
  });

  it('names a restarted stream over the lag it causes, and leaves unrelated criteria as they are', () => {
    const restart = crit('stream', 'streamRestarts', 1);
    const [alert] = planAlerts(input([cdcStalled, restart, evictions]), undefined, opts).messages;
    expect(alert?.subject).toMatch(/replication stream restarted 2m \(stream\): cdc-lag is its symptom$/);
    expect(alert?.body).toContain('- [CRITICAL] evictions: targetEvictions');
  });

  it('folds nothing when the cause explains nothing else (a lag alone is just a lag)', () => {
    const [alert] = planAlerts(input([cdcStalled, evictions]), undefined, opts).messages;
    expect(alert?.body).not.toContain('Root cause');
    expect(payloadOf(alert?.structured).rootCause).toBeUndefined();
  });
});

describe('message structure', () => {
  it('sends text to people, the versioned payload to programs, and links the tenant page', () => {
    const [alert, chat] = planAlerts(input([evictions]), undefined, opts).messages;
    const structure = JSON.parse(alert?.structured ?? '{}') as Record<string, string>;
    expect(structure.default).toBe(alert?.body);
    expect(structure.email).toBe(alert?.body);
    expect(structure.sms).toBe(`${alert?.subject} https://soak.example.com/tenants/acme`);
    for (const protocol of ['sqs', 'lambda', 'http', 'https', 'email-json'])
      expect(structure[protocol], protocol).toBe(structure.sqs);
    const payload = payloadOf(alert?.structured);
    expect(payload).toMatchObject({
      schema: ALERT_PAYLOAD_SCHEMA,
      kind: 'alert',
      tenant: 'acme',
      severity: 'critical',
      link: 'https://soak.example.com/tenants/acme',
      firing: [{ id: 'evictions', metric: 'targetEvictions', value: 5, threshold: 0, op: '>' }],
    });
    expect(alert?.body).toContain('Status: https://soak.example.com/tenants/acme');

    // The chat topic gets the same alert in AWS Chatbot's custom-notification format.
    expect(chat?.topic).toBe('chat');
    expect(chat?.topicArn).toBe(opts.chatTopicArn);
    expect(chat?.structured).toBeUndefined();
    const notification = JSON.parse(chat?.body ?? '{}');
    expect(notification).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: { textType: 'client-markdown', title: alert?.subject },
      metadata: { threadId: 'soakwatch-acme' },
    });
    expect(notification.content.nextSteps).toContain('Status page: https://soak.example.com/tenants/acme');
  });

  it('gives milestones and resolutions their payload too', () => {
    const plan = planAlerts(
      input([], {
        state: 'SOAKING',
        transitions: [
          {
            at: T0,
            from: 'CUTOVER_READY',
            to: 'SOAKING',
            kind: 'cutover',
            reason: 'window 42',
            actor: 'alice',
          },
        ],
      }),
      undefined,
      opts,
    );
    const release = plan.messages.find((m) => m.topic === 'release');
    expect(payloadOf(release?.structured)).toMatchObject({
      kind: 'cutover',
      transition: { from: 'CUTOVER_READY', to: 'SOAKING', actor: 'alice' },
      link: 'https://soak.example.com/tenants/acme',
    });
  });
});

describe('publishing a structured message', () => {
  const sns = mockClient(SNSClient);
  afterEach(() => sns.reset());

  it('uses MessageStructure json', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    const [alert] = planAlerts(input([evictions]), undefined, opts).messages;
    if (!alert) throw new Error('no alert');
    await createSnsPublisher(new SNSClient({})).publish(alert);
    const sent = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(sent?.MessageStructure).toBe('json');
    expect(JSON.parse(sent?.Message ?? '{}').default).toBe(alert.body);
  });
});

describe('mutes', () => {
  const until = T0 + 60 * MIN;
  const fatal: FiringCriterion = { ...crit('data-loss', 'targetKeyLossRatio', 0.5), severity: 'fatal' };

  it('holds back a muted criterion and says so, but never a fatal one', () => {
    const [alert] = planAlerts(
      input([evictions, fatal], { state: 'SOAKING', mutes: [{ until }] }),
      undefined,
      opts,
    ).messages;
    expect(alert?.subject).toContain('data-loss');
    expect(alert?.subject).not.toContain('evictions');
    expect(alert?.body).toContain('Muted, not listed (see the tenant page): evictions.');
  });

  it('is silent while everything firing is muted (no RESOLVED), and alerts again when the mute ends', () => {
    const first = planAlerts(input([evictions]), undefined, opts);
    expect(first.messages.filter((m) => m.topic === 'alert')).toHaveLength(1);
    const mutedTick = planAlerts(
      input([evictions], { now: T0 + MIN, mutes: [{ criterion: 'evictions', until }] }),
      first.memory,
      opts,
    );
    expect(mutedTick.messages).toEqual([]);
    const after = planAlerts(input([evictions], { now: until + MIN }), mutedTick.memory, opts);
    expect(after.messages.find((m) => m.topic === 'alert')?.attributes.kind).toBe('alert');
  });

  it('never hides a FAILED tenant', () => {
    const [alert] = planAlerts(
      input([evictions], { state: 'FAILED', mutes: [{ until }] }),
      undefined,
      opts,
    ).messages;
    expect(alert?.subject).toContain('evictions');
  });
});
