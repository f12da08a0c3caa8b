import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { AlertError, createSnsPublisher, type OutgoingMessage } from '../../../src/alerts/index.js';
import { SoakwatchError } from '../../../src/util/errors.js';

const sns = mockClient(SNSClient);
afterEach(() => sns.reset());

const message = (topicArn = 'arn:aws:sns:eu-west-1:123456789012:alerts'): OutgoingMessage => ({
  topic: 'alert',
  topicArn,
  subject: '[CRITICAL] soakwatch acme: evictions firing',
  body: 'CRITICAL: tenant acme',
  attributes: { tenant: 'acme', severity: 'critical', state: 'SOAKING', kind: 'alert' },
  dedupeKey: 'acme:alert:evictions=critical:1',
});

describe('createSnsPublisher', () => {
  it('publishes subject, body and the filterable message attributes', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'mid-1' });

    const id = await createSnsPublisher(new SNSClient({})).publish(message());

    expect(id).toBe('mid-1');
    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input).toEqual({
      TopicArn: 'arn:aws:sns:eu-west-1:123456789012:alerts',
      Subject: '[CRITICAL] soakwatch acme: evictions firing',
      Message: 'CRITICAL: tenant acme',
      MessageAttributes: {
        tenant: { DataType: 'String', StringValue: 'acme' },
        severity: { DataType: 'String', StringValue: 'critical' },
        state: { DataType: 'String', StringValue: 'SOAKING' },
        kind: { DataType: 'String', StringValue: 'alert' },
      },
    });
  });

  it('adds a group and deduplication id on a FIFO topic', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'mid-2' });

    await createSnsPublisher(new SNSClient({})).publish(message('arn:aws:sns:eu-west-1:1:alerts.fifo'));

    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.MessageGroupId).toBe('acme');
    expect(input?.MessageDeduplicationId).toMatch(/^[0-9a-f]{64}$/);
  });

  it('wraps an SNS failure in an AlertError that keeps the cause', async () => {
    const cause = new Error('AuthorizationError: not allowed');
    sns.on(PublishCommand).rejects(cause);

    const error = await createSnsPublisher(new SNSClient({}))
      .publish(message())
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AlertError);
    expect(error).toBeInstanceOf(SoakwatchError);
    expect((error as AlertError).name).toBe('AlertError');
    expect((error as AlertError).message).toBe(
      'could not publish the alert message of tenant acme to arn:aws:sns:eu-west-1:123456789012:alerts',
    );
    expect((error as AlertError).cause).toBe(cause);
  });
});
