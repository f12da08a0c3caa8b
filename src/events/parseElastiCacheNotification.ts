import { z } from 'zod';
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
// cluster (node) id such as `acme-0001-001`, or the replication group id itself.
const messageSchema = z.record(
  z.string().regex(/^ElastiCache:[A-Za-z0-9]+$/, 'keys must be ElastiCache:<EventName>'),
  z.string().min(1),
);

export interface ElastiCacheTenant {
  id: string;
  replicationGroupId?: string;
}

/**
 * Maps a cache cluster id (or a replication group id) to the tenant owning the replication group.
 * Member clusters are named `<group>-<shard>-<node>` (cluster mode) or `<group>-<node>`, so a match
 * is equality or `<group>-` as a prefix; the longest group id wins (`acme` vs `acme-eu`).
 */
export function tenantForSource(sourceId: string, tenants: readonly ElastiCacheTenant[]): string | undefined {
  let best: { id: string; len: number } | undefined;
  for (const t of tenants) {
    const group = t.replicationGroupId;
    if (!group) continue;
    if (sourceId !== group && !sourceId.startsWith(`${group}-`)) continue;
    if (!best || group.length > best.len) best = { id: t.id, len: group.length };
  }
  return best?.id;
}

function issueText(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

/**
 * Parses the SNS event delivered to the `elasticacheEvents` Lambda into tenant events.
 * Never throws: malformed records and events of no known tenant come back in `rejected`.
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
      const tenant = tenantForSource(sourceId, tenants);
      if (!tenant) {
        rejected.push({
          reason: `${name} on ${sourceId}: no tenant has a replicationGroupId matching it`,
          raw: truncateRaw(Sns.Message),
        });
        continue;
      }
      events.push({
        tenant,
        event: { at, type: name, source: 'elasticache', id: `${Sns.MessageId}:${name}`, detail: sourceId },
      });
    }
  }
  return { events, rejected };
}
