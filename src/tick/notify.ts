import {
  type AlertInput,
  type AlertMemory,
  type AlertPlanOptions,
  MUTES_DOC,
  type Mute,
  planAlerts,
} from '../alerts/index.js';
import type { Config, TenantConfig } from '../config/index.js';
import { crashPoint } from '../util/crashPoint.js';
import type { TickDeps } from './types.js';

const ALERT_DOC = 'alerts';

/** The alert plan's options from the configuration: the one place the tick and the outbox take them from. */
export function alertPlanOptions(notifications: Config['notifications']): AlertPlanOptions {
  return {
    repeatEveryMs: notifications.repeatEvery,
    ...(notifications.alertTopicArn ? { alertTopicArn: notifications.alertTopicArn } : {}),
    ...(notifications.releaseTopicArn ? { releaseTopicArn: notifications.releaseTopicArn } : {}),
    ...(notifications.chatTopicArn ? { chatTopicArn: notifications.chatTopicArn } : {}),
    ...(notifications.statusPageUrl ? { statusPageUrl: notifications.statusPageUrl } : {}),
  };
}

/** Publishes the tick's messages; the memory only moves on when every message went out, so a failure retries. */
export async function sendAlerts(
  deps: Pick<TickDeps, 'store' | 'config' | 'publish' | 'log'>,
  tenant: TenantConfig,
  input: AlertInput,
): Promise<number> {
  const [memory, mutes] = await Promise.all([
    deps.store.getDoc<AlertMemory>(tenant.id, ALERT_DOC),
    deps.store.getDoc<{ mutes?: Mute[] }>(tenant.id, MUTES_DOC),
  ]);
  const muted = mutes?.mutes?.filter((m) => m.until > input.now) ?? [];
  const plan = planAlerts(
    muted.length ? { ...input, mutes: muted } : input,
    memory,
    alertPlanOptions(deps.config.notifications),
  );
  let sent = 0;
  for (const message of plan.messages) {
    try {
      await deps.publish(message);
      sent++;
      crashPoint('alert-published');
    } catch (error) {
      deps.log.error('could not publish an alert', {
        tenant: tenant.id,
        topic: message.topic,
        error: String(error),
      });
      return sent;
    }
  }
  await deps.store.setDoc(tenant.id, ALERT_DOC, plan.memory);
  return sent;
}
