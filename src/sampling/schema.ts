import * as z from 'zod';
import { type MismatchSummary, parseMismatchSummary } from '../metrics/index.js';
import type { Sample } from './types.js';

const count = z.number().finite();
const ownTraffic = z.object({
  process: z.string(),
  commands: count,
  byCommand: z.record(z.string(), count),
  writeBytes: count,
});

const nodeSampleSchema = z.object({
  side: z.enum(['legacy', 'target']),
  address: z.string(),
  role: z.enum(['master', 'replica', 'unknown']),
  ok: z.boolean(),
  error: z.string().optional(),
  durationMs: count,
  version: z.string().optional(),
  infoMode: z.enum(['multi', 'per-section']).optional(),
  keyspace: z.record(z.string(), z.object({ keys: count, expires: count })),
  memory: z
    .object({
      used: count,
      peak: count,
      rss: count,
      maxmemory: count,
      fragmentation: count,
      readAt: count.optional(),
      carried: count.optional(),
    })
    .optional(),
  stats: z
    .object({
      totalCommands: count,
      evictedKeys: count,
      expiredKeys: count.optional(),
      rejectedConnections: count,
      totalErrorReplies: count,
      aclDenied: count,
      syncFull: count,
      errorstats: z.record(z.string(), count),
    })
    .optional(),
  replication: z
    .object({
      replid: z.string(),
      offset: count,
      masterAddress: z.string().optional(),
      linkUp: z.boolean().optional(),
      replicas: z.array(
        z.object({ address: z.string(), offset: count, lagSeconds: count, state: z.string() }),
      ),
    })
    .optional(),
  connectedClients: count.optional(),
  clients: z
    .array(
      z.object({
        name: z.string(),
        address: z.string(),
        lib: z.string(),
        cmd: z.string(),
        flags: z.string(),
        isSoakwatch: z.boolean(),
      }),
    )
    .optional(),
  clientsError: z.string().optional(),
  persistence: z.object({ changesSinceSave: count, lastSaveTime: count }).optional(),
  own: z.object({ atInfo: ownTraffic, atEnd: ownTraffic }).optional(),
  removals: z
    .object({
      at: count,
      age: count,
      keys: count,
      expired: count,
      evicted: count,
      removingCalls: count,
      flushCalls: count,
      writeCalls: count,
    })
    .optional(),
  removalsError: z.string().optional(),
});

const nullableCount = count.nullable();

/** A sample as stored (JSON): validated before it is used as the `previous` of the next one. */
export const sampleSchema = z.object({
  tenant: z.string(),
  at: count,
  // Samples stored before these fields existed parse with no previous `at` and no notes.
  since: count.nullable().default(null),
  durationMs: count,
  legacy: z.object({
    primary: z.string().optional(),
    primaryChanged: z.boolean().optional(),
    primaryError: z.string().optional(),
    nodes: z.array(nodeSampleSchema),
    cdcLinks: z.array(
      z.object({
        address: z.string(),
        connected: z.boolean(),
        state: z.string().optional(),
        lagBytes: count.optional(),
        lagSeconds: count.optional(),
      }),
    ),
  }),
  target: z.object({ nodes: z.array(nodeSampleSchema), topologyError: z.string().optional() }),
  keys: z.record(
    z.string(),
    z.object({
      prefix: z.string(),
      legacy: nullableCount,
      target: nullableCount,
      legacyPersistent: nullableCount,
      targetPersistent: nullableCount,
      targetSource: z.enum(['info', 'scan', 'estimate', 'none']),
    }),
  ),
  complete: z.boolean(),
  derived: z.record(z.string(), nullableCount),
  notes: z.record(z.string(), z.string()).default({}),
  checks: z.record(z.string(), z.unknown()).optional(),
});

/**
 * A stored sample, or `undefined` when it is not one (another version, a damaged record): the next
 * sample then has no previous, so its rates are "no data" rather than computed from garbage.
 */
export function parseSample(raw: unknown): Sample | undefined {
  const parsed = sampleSchema.safeParse(raw);
  return parsed.success ? (parsed.data as Sample) : undefined;
}

/**
 * The spot-check's mismatch summary a sample carries (in its spot-check record, bounded by the summary's
 * schema), or undefined when the sample confirmed no mismatch or the record is not one.
 */
export function spotCheckSummaryOf(sample: Pick<Sample, 'checks'>): MismatchSummary | undefined {
  const spot = sample.checks?.spotCheck as { summary?: unknown } | undefined;
  return spot?.summary === undefined ? undefined : parseMismatchSummary(spot.summary);
}
