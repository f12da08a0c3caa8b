import { createHash } from 'node:crypto';
import type { MessageAttributeValue, SNSClient } from '@aws-sdk/client-sns';
import { importNamed } from '../util/importNamed.js';
import { AlertError } from './errors.js';
import type { OutgoingMessage } from './types.js';

export interface SnsPublisher {
  /** Publishes one message; returns the SNS MessageId. Throws AlertError. */
  publish(msg: OutgoingMessage): Promise<string | undefined>;
}

/** SNS rejects empty attribute values; a missing one is left out rather than sent blank. */
function attributes(msg: OutgoingMessage): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(msg.attributes))
    if (value) out[name] = { DataType: 'String', StringValue: value };
  return out;
}

/** A publisher of planned messages to SNS, with the attributes subscriptions filter on. */
export function createSnsPublisher(client: SNSClient): SnsPublisher {
  return {
    async publish(msg) {
      const fifo = msg.topicArn.endsWith('.fifo');
      try {
        // Imported at use: a function's module init loads no SDK package (a quiet tick publishes nothing).
        const PublishCommand = importNamed(await import('@aws-sdk/client-sns'), 'PublishCommand');
        const out = await client.send(
          new PublishCommand({
            TopicArn: msg.topicArn,
            Subject: msg.subject,
            // A structured message carries the text per protocol and the JSON payload (src/alerts/structure.ts).
            Message: msg.structured ?? msg.body,
            ...(msg.structured ? { MessageStructure: 'json' } : {}),
            MessageAttributes: attributes(msg),
            // FIFO topics need a group and a deduplication id (≤ 128 chars): per tenant, from the dedupe key.
            ...(fifo && {
              MessageGroupId: msg.attributes.tenant,
              MessageDeduplicationId: createHash('sha256').update(msg.dedupeKey).digest('hex'),
            }),
          }),
        );
        return out.MessageId;
      } catch (error) {
        throw new AlertError(
          `could not publish the ${msg.attributes.kind} message of tenant ${msg.attributes.tenant} to ${msg.topicArn}`,
          msg.topicArn,
          { cause: error },
        );
      }
    },
  };
}
