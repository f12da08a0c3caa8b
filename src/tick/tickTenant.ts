import { cloudWatchLookbackMs } from '../aws/cloudwatch.js';
import type { TenantConfig } from '../config/index.js';
import { parseSample, spotCheckSummaryOf } from '../sampling/schema.js';
import type { Sample } from '../sampling/types.js';
import { type JudgeSample, judgeSoak, type SoakEvent, type SoakState } from '../soak/index.js';
import { StoreLostError } from '../store/index.js';
import { crashPoint } from '../util/crashPoint.js';
import type { TaskReads } from './fanout.js';
import { describeFutureSample, type FutureSample, findFutureSample } from './futureSamples.js';
import { auditOf, futureSampleAlertInput, toAlertInput, triggersOf } from './map.js';
import { sendAlerts } from './notify.js';
import { deliverOutbox, deliveryOf, isMilestoneTrigger } from './outbox.js';
import { cloudWatchCriteriaOf } from './roundReads.js';
import { storeLostAlertInput } from './storeLoss.js';
import { loadSoakState, summarizeSample, unreadNodes } from './tenants.js';
import type { TenantTickReport, TickDeps } from './types.js';

const EVENTS_WATERMARK_DOC = 'describe-events';
/** Events may arrive late (SNS retries, DescribeEvents catching up); the judge dedupes by id. */
const EVENT_LOOKBACK_MS = 15 * 60_000;
const MIN_SAMPLE_RETENTION_MS = 3_600_000;

/**
 * How long whole samples are kept: what the windows need (rates only need the previous one), at least an
 * hour for people to look at. The judge's part of every sample is kept longer, as history for `replay`.
 */
export function sampleRetentionMs(tenant: TenantConfig): number {
  const p = tenant.soak;
  const windows = [...p.replication.criteria, ...p.soak.criteria].map((c) => c.window);
  return Math.max(MIN_SAMPLE_RETENTION_MS, 2 * Math.max(0, ...windows));
}

/**
 * One tick of one tenant: sample → store → judge → alert → hooks, under a per-tenant lock.
 * Errors of this tenant are reported, never thrown (other tenants go on); store failures are rethrown
 * by the caller's check so a tick without a state store fails loudly. `storeNow` is the state store's
 * clock read at the start of the tick: a `now` too far ahead of it, or a stored sample too far ahead of
 * `now`, refuses the tick loudly (error, alert) instead of storing a sample from the future. `reads`:
 * what the round's dispatcher read for this tenant (GetMetricData values, DescribeEvents), used instead
 * of reading them here; absent (the CLI, a task without them), the tick reads them itself.
 */
export async function tickTenant(
  deps: TickDeps,
  tenant: TenantConfig,
  now: number,
  storeNow: number,
  reads: TaskReads = {},
): Promise<TenantTickReport> {
  const report: TenantTickReport = { tenant: tenant.id, ok: false, transitions: [], messages: 0, hooks: [] };
  const lockTtl = deps.config.sampling.budgetMs * 3 + 10_000;
  const lock = await deps.store.acquireLock(tenant.id, 'tick', lockTtl);
  if (!lock) return { ...report, ok: true, skipped: 'locked' };
  crashPoint('locked');
  try {
    const { state, version } = await loadSoakState(deps.store, tenant, now).catch(async (error: unknown) => {
      // An emptied store: on-call hears of it from every tenant's tick, then the tick fails loudly.
      if (error instanceof StoreLostError) {
        deps.log.error('the state store lost its state', { tenant: tenant.id, reason: error.reason });
        const lost = { status: 'lost' as const, reason: error.reason, detectedAt: error.detectedAt };
        await sendAlerts(deps, tenant, storeLostAlertInput(tenant, lost, Math.min(now, storeNow)));
      }
      throw error;
    });
    const latest = await deps.store.latestSample<unknown>(tenant.id);

    const future = findFutureSample({
      now,
      storeNow,
      latestAt: newestKnown(latest, state.lastSampleAt),
      maxSkewMs: deps.config.sampling.maxClockSkewMs,
    });
    if (future) return await refuseFutureSample(deps, tenant, state, report, future, Math.min(now, storeNow));

    // A damaged stored sample must not turn into bad rates: it is dropped (rates are then "no data").
    const previous = parseSample(latest);
    const sample = await deps.collect(tenant, { now, previous, phase: state.phase });
    await addCloudWatchMetrics(deps, tenant, sample, now, reads.cloudwatch);
    report.sample = summarizeSample(sample);

    const fresh = await deps.store.appendSample(tenant.id, sample, sampleRetentionMs(tenant));
    if (!fresh) return { ...report, ok: true, skipped: 'duplicate', state: state.state };
    crashPoint('sample');
    const mismatches = spotCheckSummaryOf(sample);
    const judged: JudgeSample = {
      at: sample.at,
      derived: sample.derived,
      complete: sample.complete,
      // The interval the sample's deltas cover began here: the judge gives each delta to its phase.
      since: sample.since !== undefined ? sample.since : (previous?.at ?? null),
      ...(sample.notes ? { notes: sample.notes } : {}),
      ...(mismatches ? { mismatches } : {}),
    };
    await deps.store.appendHistory(tenant.id, judged, deps.config.stateStore.historyRetention);
    crashPoint('history');

    await recordElastiCacheEvents(deps, tenant, now, reads.events);
    const since = (state.lastSampleAt ?? now) - EVENT_LOOKBACK_MS;
    const events = await deps.store.events<SoakEvent>(tenant.id, since, now);

    const result = judgeSoak(state, { now, samples: [judged], events }, tenant.soak);
    const alert = toAlertInput(tenant, result, now, { unreadNodes: unreadNodes(sample) });
    const owed = deliveryOf(tenant.id, result, alert);
    const cas = await deps.store.casState(
      tenant.id,
      version,
      result.state,
      auditOf(result.transitions),
      owed ? [owed] : [],
    );
    // Another tick judged this tenant in between: its verdict stands, ours is dropped whole.
    if (!cas.ok) return { ...report, ok: true, skipped: 'concurrent', state: state.state };
    crashPoint('state');

    report.ok = true;
    report.judged = true;
    // Only a sample that was stored and judged counts as seen (SamplesJudged, the watcher-blind alarm).
    deps.onSample(sample);
    report.state = result.state.state;
    report.verdict = result.verdict;
    report.transitions = result.transitions;
    // Alerts on firing criteria keep their own memory (retried until sent); the milestones and their
    // hooks are the outbox's, delivered below with whatever earlier ticks still owe.
    report.messages = await sendAlerts(deps, tenant, { ...alert, transitions: [] });
    crashPoint('alerts');
    const direct = triggersOf(tenant.id, result, now).filter((t) => !isMilestoneTrigger(t, result));
    report.hooks = await deps.runHooks(tenant, direct, now);
    // A failed hook of a firing criterion gives its claim back: the next tick, the criterion still firing
    // (same breach, same key), runs it again instead of never (an unreadable webhook secret, a 5xx).
    for (const h of report.hooks)
      if (h.status === 'failed' && h.key) await deps.store.releaseClaim(h.key).catch(() => undefined);
    return report;
  } finally {
    // Every tick that got the lock delivers what is owed (a skipped or refused one too).
    const delivered = await deliverOutbox(deps, tenant, now);
    report.messages += delivered.messages;
    report.hooks.push(...delivered.hooks);
    if (delivered.pending > 0) report.outboxPending = delivered.pending;
    await lock.release().catch(() => undefined);
  }
}

/** The newest sample time the store holds for the tenant: the latest sample's, or the judge's. */
function newestKnown(latest: unknown, judgedAt: number | null): number | null {
  const at = (latest as { at?: unknown } | undefined)?.at;
  const sampleAt = typeof at === 'number' && Number.isFinite(at) ? at : null;
  if (sampleAt === null) return judgedAt;
  return judgedAt === null ? sampleAt : Math.max(sampleAt, judgedAt);
}

/** Refuses the tick loudly: the tenant's error names the skew, the report carries it, on-call is told. */
async function refuseFutureSample(
  deps: TickDeps,
  tenant: TenantConfig,
  state: SoakState,
  report: TenantTickReport,
  future: FutureSample,
  alertNow: number,
): Promise<TenantTickReport> {
  const error = describeFutureSample(future);
  deps.log.error('sample from the future refused', {
    tenant: tenant.id,
    kind: future.kind,
    aheadMs: future.aheadMs,
    maxClockSkewMs: future.maxSkewMs,
  });
  const messages = await sendAlerts(deps, tenant, futureSampleAlertInput(tenant, state, future, alertNow));
  return { ...report, ok: false, error, futureSample: future, state: state.state, messages };
}

async function addCloudWatchMetrics(
  deps: TickDeps,
  tenant: TenantConfig,
  sample: Sample,
  now: number,
  given: TaskReads['cloudwatch'],
) {
  const criteria = cloudWatchCriteriaOf(tenant);
  if (criteria.length === 0) return;
  // Without a replication group or AWS access these metrics are simply not seen: no data, never 0.
  for (const c of criteria) sample.derived[c.metric] = null;
  if (!tenant.target.replicationGroupId) return;
  // Read by the round for this very time: no GetMetricData call of this tick's own. A metric the round
  // has no value for stays no data; values read for another time are not used.
  if (given && given.readAt === now) {
    for (const c of criteria) {
      const value = given.values[c.metric] ?? null;
      sample.derived[c.metric] = value;
      if (value === null && given.unavailable) sample.notes[c.metric] = given.unavailable;
    }
    return;
  }
  try {
    const window = cloudWatchLookbackMs(criteria);
    Object.assign(sample.derived, await deps.cloudwatch(tenant, criteria, now - window, now));
  } catch (error) {
    deps.log.warn('could not read CloudWatch metrics', { tenant: tenant.id, error: String(error) });
    const cause = `CloudWatch could not be read: ${error instanceof Error ? error.message : String(error)}`;
    for (const c of criteria) sample.notes[c.metric] = cause.slice(0, 500);
  }
}

async function recordElastiCacheEvents(
  deps: TickDeps,
  tenant: TenantConfig,
  now: number,
  given: TaskReads['events'],
) {
  if (!tenant.target.replicationGroupId) return;
  try {
    const mark = await deps.store.getDoc<{ until: number }>(tenant.id, EVENTS_WATERMARK_DOC);
    const since = mark?.until ?? now - EVENT_LOOKBACK_MS;
    // The round's read is used only when it reaches back to the watermark and not past this tick: a
    // tenant that missed more rounds than it covers reads from its watermark itself, so no event is lost.
    const covered = given !== undefined && given.since <= since && given.until <= now;
    const events = covered ? given.items : await deps.elasticacheEvents(tenant, since, now);
    if (events === undefined) return;
    for (const event of events) await deps.store.appendEvent(tenant.id, event);
    await deps.store.setDoc(tenant.id, EVENTS_WATERMARK_DOC, { until: covered ? given.until : now });
  } catch (error) {
    deps.log.warn('could not read ElastiCache events', { tenant: tenant.id, error: String(error) });
  }
}
