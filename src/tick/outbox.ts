import { type AlertInput, planAlerts } from '../alerts/index.js';
import type { TenantConfig } from '../config/index.js';
import { type HookTrigger, hookTriggers } from '../hooks/index.js';
import type { JudgeResult } from '../soak/index.js';
import type { OutboxEntry } from '../store/index.js';
import { crashPoint } from '../util/crashPoint.js';
import { errorCode } from '../util/errors.js';
import { alertPlanOptions } from './notify.js';
import type { HookOutcome, TickDeps } from './types.js';

/**
 * What one committed set of transitions owes the world: its release milestone messages and the hooks of
 * its milestone triggers (SCALE_DOWN_APPROVED…). Written in the same atomic step as the state (casState),
 * so a failed publish or a crash between the commit and the delivery loses nothing: every tick and every
 * action delivers what is still owed, and an entry leaves the outbox when all of it went out.
 */
export interface Delivery extends OutboxEntry {
  tenant: string;
  /** The milestone messages' input: the commit's transitions (alerts on firing criteria are not owed here). */
  alert: AlertInput;
  triggers: HookTrigger[];
  /** Messages published so far, in plan order: a retry resumes after them, so none goes out twice. */
  published: number;
  hooksDone: boolean;
  attempts: number;
  /** The code of the last failure (never its text: AWS errors can carry account ids). */
  lastError?: string;
}

/** Deliveries failing this many times in a row are logged as errors (and counted: OutboxPending). */
export const OUTBOX_ALERT_AFTER = 3;

/** The outbox entry of a judged result, or undefined when it made no transition. */
export function deliveryOf(tenant: string, result: JudgeResult, alert: AlertInput): Delivery | undefined {
  const first = result.transitions[0];
  if (!first) return undefined;
  const triggers = hookTriggers({ tenant, now: alert.now, firing: [], transitions: result.transitions });
  return {
    // One id per commit: its first transition's time and the kinds it made.
    id: `${first.at}:${result.transitions.map((t) => t.kind).join('+')}`,
    at: first.at,
    tenant,
    alert: { ...alert, firing: [], transitions: result.transitions },
    triggers,
    published: 0,
    hooksDone: triggers.length === 0,
    attempts: 0,
  };
}

/** The milestone triggers of a result's transitions, to leave out of a direct hook run (the outbox has them). */
export function isMilestoneTrigger(trigger: HookTrigger, result: JudgeResult): boolean {
  return result.transitions.some((t) => t.at === trigger.at) && !trigger.trigger.startsWith('criterion:');
}

export interface OutboxReport {
  messages: number;
  hooks: HookOutcome[];
  /** Entries still owed after this delivery. */
  pending: number;
}

/**
 * Delivers the tenant's outbox, oldest first, under the tenant's outbox lock (a tick and an action never
 * deliver one entry twice at the same time). Never throws: what fails stays owed, with its attempts.
 */
export async function deliverOutbox(
  deps: Pick<TickDeps, 'store' | 'config' | 'publish' | 'log' | 'runHooks'>,
  tenant: TenantConfig,
  now: number,
  /** `hooks: false`: publish only, the hooks stay owed (the API has no hook permissions: the tick runs them). */
  mode: { hooks?: boolean } = {},
): Promise<OutboxReport> {
  const report: OutboxReport = { messages: 0, hooks: [], pending: 0 };
  let lock: Awaited<ReturnType<typeof deps.store.acquireLock>>;
  try {
    // Held while publishing a few messages and running a few hooks; a crashed deliverer's lock expires
    // soon enough for the next tick (twice a sample's budget, at least 2 s).
    lock = await deps.store.acquireLock(
      tenant.id,
      'outbox',
      Math.max(2_000, 2 * deps.config.sampling.budgetMs),
    );
    // Another process is delivering: it owns the entries now.
    if (!lock) return report;
  } catch (error) {
    deps.log.error('could not read the outbox', { tenant: tenant.id, error: errorCode(error) });
    return report;
  }
  try {
    // The same options as the tick's alerts: a milestone links the tenant page like every alert.
    const opts = alertPlanOptions(deps.config.notifications);
    for (const owed of await deps.store.outbox<Delivery>(tenant.id)) {
      let entry = owed;
      let failure: string | undefined;
      // Pure and deterministic: the same entry plans the same messages on every retry.
      const messages = planAlerts(entry.alert, undefined, opts).messages.filter((m) => m.topic === 'release');
      for (const message of messages.slice(entry.published)) {
        try {
          await deps.publish(message);
        } catch (error) {
          failure = `publish: ${errorCode(error)}`;
          break;
        }
        report.messages++;
        entry = { ...entry, published: entry.published + 1 };
        // Progress recorded per message: a crash after this one does not send it again. (A crash between
        // the publish and this write sends that one message again: at least once, never lost.)
        await deps.store.putOutbox(tenant.id, entry);
        crashPoint('alert-published');
      }
      if (!entry.hooksDone && mode.hooks !== false) {
        const results = await deps.runHooks(tenant, entry.triggers, now);
        report.hooks.push(...results);
        const failed = results.filter((r) => r.status === 'failed');
        // A failed hook gives its claim back, so the next delivery runs it again (exactly once when it works).
        for (const r of failed) if (r.key) await deps.store.releaseClaim(r.key);
        if (failed.length > 0) failure ??= `hooks: ${failed.map((r) => r.id).join(', ')}`;
        else entry = { ...entry, hooksDone: true };
      }
      if (entry.published >= messages.length && entry.hooksDone) {
        await deps.store.removeOutbox(tenant.id, entry.id);
        continue;
      }
      // Hooks left to the tick are not a failure of this delivery.
      if (!failure) {
        await deps.store.putOutbox(tenant.id, entry);
        report.pending++;
        continue;
      }
      entry = { ...entry, attempts: entry.attempts + 1, lastError: failure };
      await deps.store.putOutbox(tenant.id, entry);
      report.pending++;
      const detail = { tenant: tenant.id, entry: entry.id, attempts: entry.attempts, error: entry.lastError };
      if (entry.attempts >= OUTBOX_ALERT_AFTER)
        deps.log.error('outbox delivery keeps failing; retried on the next tick', detail);
      else deps.log.warn('outbox delivery failed; retried on the next tick', detail);
    }
  } catch (error) {
    deps.log.error('outbox delivery interrupted', { tenant: tenant.id, error: errorCode(error) });
    report.pending++;
  } finally {
    await lock.release().catch(() => undefined);
  }
  return report;
}
