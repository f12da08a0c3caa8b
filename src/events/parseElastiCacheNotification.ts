import * as z from 'zod';
import { type ElastiCacheTenant, tenantsForSource } from './sources.js';
import { truncateRaw } from './truncate.js';
import type { ParsedEvents, RejectedEvent, TenantEvent } from './types.js';

const snsEventSchema = z.object({
  Records: z
    .array(
      z.object({
        Sns: z.object({
          MessageId: z.string().min(1),
          Timestamp: z.string().refine((t) => !Number.isNaN(Date.parse(t)), 'is not a timestamp'),
          Message: z.string(),
        }),
      }),
    )
    .min(1),
});

// ElastiCache sends `{"ElastiCache:<EventName>": "<source id>"}`; the source id is a cache
// cluster (node) id such as `acme-0001-001`, or the replication group id itself (see sources.ts).
const messageSchema = z.record(
  z.string().regex(/^ElastiCache:[A-Za-z0-9]+$/, 'keys must be ElastiCache:<EventName>'),
  z.string().min(1),
);

function issueText(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

/**
 * Parses the SNS event delivered to the `elasticacheEvents` Lambda into tenant events, matched by
 * `tenantsForSource` (give the tenants their member clusters when known). Never throws: malformed records and events of no known tenant come back in `rejected`.
 */
export function parseElastiCacheNotification(
  snsEvent: unknown,
  tenants: readonly ElastiCacheTenant[],
): ParsedEvents {
  const events: TenantEvent[] = [];
  const rejected: RejectedEvent[] = [];
  const parsed = snsEventSchema.safeParse(snsEvent);
  if (!parsed.success) {
    rejected.push({ reason: `not an SNS event: ${issueText(parsed.error)}`, raw: truncateRaw(snsEvent) });
    return { events, rejected };
  }
  for (const { Sns } of parsed.data.Records) {
    let body: unknown;
    try {
      body = JSON.parse(Sns.Message);
    } catch {
      rejected.push({ reason: `SNS message ${Sns.MessageId} is not JSON`, raw: truncateRaw(Sns.Message) });
      continue;
    }
    const message = messageSchema.safeParse(body);
    if (!message.success || Object.keys(message.data).length === 0) {
      const why = message.success ? 'no event in it' : issueText(message.error);
      rejected.push({
        reason: `SNS message ${Sns.MessageId} is not an ElastiCache notification: ${why}`,
        raw: truncateRaw(Sns.Message),
      });
      continue;
    }
    const at = Date.parse(Sns.Timestamp);
    for (const [name, sourceId] of Object.entries(message.data)) {
      const owners = tenantsForSource(sourceId, tenants);
      if (owners.length === 0) {
        rejected.push({
          reason: `${name} on ${sourceId}: no tenant's replication group is it or has it as a member cluster`,
          raw: truncateRaw(Sns.Message),
          sourceId,
        });
        continue;
      }
      for (const tenant of owners)
        events.push({
          tenant,
          event: {
            at,
            type: name,
            source: 'elasticache',
            id: `${Sns.MessageId}:${name}`,
            detail: sourceId,
            sourceId,
          },
        });
    }
  }
  return { events, rejected };
}
