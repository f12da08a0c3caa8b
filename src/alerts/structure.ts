import type { MismatchSummary } from '../metrics/index.js';
import type { AlertKind, FiringCriterion, Milestone, OutgoingMessage } from './types.js';

/** The schema of the machine-readable payload; bumped on any change a subscriber would notice. */
export const ALERT_PAYLOAD_SCHEMA = 'soakwatch.alert/v1';

/** The facts of a message for programs (SQS, Lambda, HTTPS subscribers): the same facts as its text. */
export interface AlertPayload {
  schema: typeof ALERT_PAYLOAD_SCHEMA;
  kind: AlertKind | Milestone;
  tenant: string;
  state: string;
  severity: string;
  at: number;
  subject: string;
  /** The tenant's status page, when `notifications.statusPageUrl` is configured. */
  link?: string;
  /** A replication failure that explains the other firing criteria (folded into this one alert). */
  rootCause?: { criterion: string; metric: string; cause: string; forMs: number | null; symptoms: string[] };
  /**
   * A spot-check criterion carries `mismatches`: its window's confirmed mismatches by db, key pattern,
   * type, TTL class and kind, the finding and hint codes (fields added to v1: optional, nothing removed).
   */
  firing?: (Pick<FiringCriterion, 'id' | 'metric' | 'severity' | 'value' | 'threshold' | 'op' | 'since'> & {
    mismatches?: MismatchSummary;
  })[];
  cleared?: string[];
  transition?: { from: string; to: string; reason: string; actor?: string };
}

/**
 * The SNS `MessageStructure: json` message: the text for people (default, email, SMS — the subject, SMS
 * being short) and the versioned payload for programs (SQS, Lambda, HTTP/S, email-json, Firehose). Pure.
 */
export function snsStructure(text: string, payload: AlertPayload): string {
  const json = JSON.stringify(payload);
  return JSON.stringify({
    default: text,
    email: text,
    sms: payload.link ? `${payload.subject} ${payload.link}` : payload.subject,
    'email-json': json,
    sqs: json,
    lambda: json,
    http: json,
    https: json,
    firehose: json,
  });
}

/**
 * The AWS Chatbot custom-notification format (version 1.0) of a message, for a chat topic Chatbot
 * subscribes to: title, the text as the description, the next step and the link. Pure.
 */
export function chatbotNotification(
  msg: Pick<OutgoingMessage, 'subject' | 'body' | 'dedupeKey'>,
  payload: AlertPayload,
) {
  const nextSteps = /What to do: (.*)/.exec(msg.body)?.[1] ?? /Next: (.*)/.exec(msg.body)?.[1];
  return {
    version: '1.0',
    source: 'custom',
    id: msg.dedupeKey,
    content: {
      textType: 'client-markdown',
      title: msg.subject,
      description: payload.rootCause
        ? `Root cause: ${payload.rootCause.cause} (${payload.rootCause.criterion}); symptoms: ${payload.rootCause.symptoms.join(', ')}`
        : msg.body.split('\n').slice(0, 12).join('\n'),
      ...(nextSteps || payload.link
        ? {
            nextSteps: [
              ...(nextSteps ? [nextSteps] : []),
              ...(payload.link ? [`Status page: ${payload.link}`] : []),
            ],
          }
        : {}),
      keywords: [payload.tenant, payload.severity, String(payload.kind)],
    },
    metadata: {
      threadId: `soakwatch-${payload.tenant}`,
      summary: msg.subject,
      eventType: String(payload.kind),
      additionalContext: { tenant: payload.tenant, state: payload.state, severity: payload.severity },
    },
  };
}

/** The tenant's page under the configured base URL (no trailing slash needed). */
export function tenantLink(base: string | undefined, tenant: string): string | undefined {
  return base ? `${base.replace(/\/+$/, '')}/tenants/${encodeURIComponent(tenant)}` : undefined;
}
