import pLimit from 'p-limit';
import * as z from 'zod';

/*
 * The fleet's round: the scheduled tick reads the tenant list and hands each tenant's tick to a task of
 * its own (a per-tenant Lambda invocation, or the same code in this process for a small install). Pure:
 * every clock is passed in; sending a task is the caller's.
 */

/** A task carries at most this many metric values and events: an asynchronous invoke's payload is bounded. */
export const MAX_TASK_METRICS = 64;
export const MAX_TASK_EVENTS = 50;

/**
 * The round's GetMetricData values of the tenant's `cloudwatch:` metrics (docs/scaling.md): `null` is
 * no datapoint — no data, never 0. `readAt` is the end of the window read (the round's time): a tick
 * uses them only for that time, else reads for itself.
 */
export const taskMetricsSchema = z.strictObject({
  readAt: z.number().int().positive(),
  values: z
    .record(z.string().startsWith('cloudwatch:').max(256), z.number().finite().nullable())
    .refine((v) => Object.keys(v).length <= MAX_TASK_METRICS, {
      message: `at most ${MAX_TASK_METRICS} metrics`,
    }),
  /** Why the round has no values for this tenant (its call was throttled): its metrics are no data, this cause. */
  unavailable: z.string().min(1).max(500).optional(),
});

/** One ElastiCache event of the round's DescribeEvents, as `describeElastiCacheEvents` normalizes it. */
const taskEventSchema = z.strictObject({
  at: z.number().int().nonnegative(),
  type: z.string().min(1).max(200),
  source: z.literal('elasticache'),
  id: z.string().min(1).max(500),
  detail: z.string().max(1_000),
  sourceId: z.string().max(255).optional(),
});

/**
 * The round's DescribeEvents, kept to the tenant's group and members, for the window `since`–`until`.
 * The tick records them instead of reading DescribeEvents itself when the window reaches back to its
 * watermark; else it reads from its watermark as before (nothing is lost, only read twice).
 */
export const taskEventsSchema = z
  .strictObject({
    since: z.number().int().nonnegative(),
    until: z.number().int().positive(),
    items: z.array(taskEventSchema).max(MAX_TASK_EVENTS),
  })
  .refine((e) => e.since < e.until, { message: 'since must be before until' });

/** What the dispatcher hands one tenant's tick. Every per-tenant invocation's input is parsed by it. */
export const tenantTaskSchema = z.strictObject({
  tenantId: z.string().min(1),
  /** The round's scheduled time: the tick's `now`, so a late delivery is judged as what it is. */
  now: z.number().int().positive(),
  /** When the round is over: a task that starts at or after this is dropped (and counted), never judged. */
  roundEndsAt: z.number().int().positive(),
  /** Read once for the whole round by the dispatcher; absent: the tick reads GetMetricData itself. */
  cloudwatch: taskMetricsSchema.optional(),
  /** Read once for the whole round by the dispatcher; absent: the tick reads DescribeEvents itself. */
  events: taskEventsSchema.optional(),
});
export type TenantTask = z.infer<typeof tenantTaskSchema>;
/** What a task carries of the round's reads, handed to the tenant's tick. */
export type TaskReads = Pick<TenantTask, 'cloudwatch' | 'events'>;

/** Parses a per-tenant invocation's event; the error names the field. */
export function parseTenantTask(event: unknown): TenantTask {
  const parsed = tenantTaskSchema.safeParse(event);
  if (parsed.success) {
    if (parsed.data.roundEndsAt <= parsed.data.now)
      throw new Error('tenant task: roundEndsAt: must be after now');
    return parsed.data;
  }
  const issue = parsed.error.issues[0];
  throw new Error(`tenant task: ${issue?.path.join('.') || 'event'}: ${issue?.message ?? 'is invalid'}`);
}

/** The tasks of one round: every tenant, the round's time as `now`, ending one round later. */
export function roundTasks(tenantIds: readonly string[], now: number, roundMs: number): TenantTask[] {
  const roundEndsAt = now + roundMs;
  return tenantIds.map((tenantId) => ({ tenantId, now, roundEndsAt }));
}

/** Whether a task arrived too late to be judged in its round. */
export function isStale(task: TenantTask, startedAt: number): boolean {
  return startedAt >= task.roundEndsAt;
}

/**
 * How long a task's tick may run: until its round ends, and never past the function's own timeout less
 * a margin (so the tick reports and releases its lock before the runtime kills it).
 */
export function taskTimeoutMs(
  task: TenantTask,
  startedAt: number,
  remainingMs: number,
  marginMs: number,
): number {
  return Math.max(0, Math.min(task.roundEndsAt - startedAt, remainingMs - marginMs));
}

export interface DispatchReport {
  at: number;
  mode: 'fanout';
  tenants: number;
  dispatched: number;
  /** Tasks the invoke API refused (throttled, the function missing): named, so on-call sees which. */
  failed: { tenant: string; error: string }[];
  durationMs: number;
}

/**
 * Sends every task, at most `concurrency` at a time (bounded: a round of thousands of tenants never
 * opens thousands of sockets at once). A refused send is reported, the others go on.
 */
export async function dispatchTasks(
  tasks: readonly TenantTask[],
  send: (task: TenantTask) => Promise<void>,
  opts: { concurrency: number; clock: () => number },
): Promise<DispatchReport> {
  const started = opts.clock();
  const limit = pLimit(Math.max(1, opts.concurrency));
  const failed: DispatchReport['failed'] = [];
  await Promise.all(
    tasks.map((task) =>
      limit(async () => {
        try {
          await send(task);
        } catch (error) {
          failed.push({
            tenant: task.tenantId,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }),
    ),
  );
  return {
    at: tasks[0]?.now ?? started,
    mode: 'fanout',
    tenants: tasks.length,
    dispatched: tasks.length - failed.length,
    failed,
    durationMs: opts.clock() - started,
  };
}
