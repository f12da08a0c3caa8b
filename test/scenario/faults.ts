import { expect } from 'vitest';
import type { Fleet } from '../support/scenario/fleet.js';
import { formatSummary, formatTicks, summarize } from '../support/scenario/report.js';
import type { TickRecord } from '../support/scenario/ticker.js';
import { nodeInfo } from '../support/scenario/world.js';

// How a fault scenario is judged: the fault is caught, by the right criterion, within 2 ticks of the
// evidence existing (a tick that starts at or after `evidenceAt` can see it), on-call hears of it,
// and the tenant never gets ready (replication) or never passes (soak) while the fault lasts.

export interface FaultCase {
  name: string;
  tenant: string;
  /** When the fault was put in place. */
  onsetAt: number;
  /** From when a correct sampler can see it (onset + what physics needs: a lag threshold, a pass…). */
  evidenceAt: number;
  /** Any of these criteria firing names the fault rightly ("key-drift or spot-check"). */
  criteria: string[];
  /** The state the tenant must never reach during the observation… */
  never: 'CUTOVER_READY' | 'PASSED';
  /** …or only before this time, for a fault that is over once it happened (a resync). */
  neverBefore?: number;
  /** Something on-call must be told besides the criterion id (e.g. the frozen node's address). */
  alertMentions?: string;
  /** What the sample of the detecting tick must show besides (e.g. which db). */
  shows?: (derived: Record<string, number | null>) => void;
}

/**
 * How long past readyAfter (or the soak duration) a faulty tenant is watched: when a healthy one
 * would certainly have got ready (passed), plus a margin.
 */
export const OBSERVE_SLACK_INTERVALS = 3;

/** Ticks allowed from the evidence to the criterion firing and on-call knowing. */
export const DETECTION_TICKS = 2;

export function assertFault(fleet: Fleet, c: FaultCase): void {
  const t = fleet.tenant(c.tenant);
  const records = t.ticker.sorted();
  const evidence = records.find((r) => r.startedAt >= c.evidenceAt);
  const window = (r: TickRecord) =>
    evidence !== undefined && r.index >= evidence.index && r.index <= evidence.index + DETECTION_TICKS;
  const detected = records.find((r) => window(r) && r.firing.some((id) => c.criteria.includes(id)));
  const paged = records
    .filter(
      (r) =>
        r.startedAt >= c.onsetAt && evidence !== undefined && r.index <= evidence.index + DETECTION_TICKS,
    )
    .flatMap((r) => r.onCall)
    .find(
      (m) =>
        c.criteria.some((id) => m.subject.includes(id) || m.body.includes(`] ${id}:`)) &&
        (!c.alertMentions || m.body.includes(c.alertMentions) || m.subject.includes(c.alertMentions)),
    );
  const load = (t.targetLoad ?? t.legacy.load).stats();
  console.log(
    `${formatSummary(summarize(c.name, records, load))}\n   onset #${records.find((r) => r.startedAt >= c.onsetAt)?.index ?? '-'}, evidence #${evidence?.index ?? '-'}, detected #${detected?.index ?? '-'} (${c.criteria.join(' or ')}), on-call told: ${paged ? `"${paged.subject}"` : 'no'}\n${formatTicks(records)}`,
  );

  expect(evidence, 'the run lasted past the evidence').toBeDefined();
  expect(
    detected?.firing,
    `${c.criteria.join(' or ')} firing within ${DETECTION_TICKS} ticks of the evidence`,
  ).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^(${c.criteria.join('|')})$`))]));
  expect(paged?.subject, 'on-call told, naming the criterion').toBeDefined();
  if (c.shows) c.shows(detected?.derived ?? {});
  const forbidden = records.filter(
    (r) => r.state === c.never && r.startedAt < (c.neverBefore ?? Number.POSITIVE_INFINITY),
  );
  expect(
    forbidden.map((r) => r.index),
    `never ${c.never}`,
  ).toEqual([]);
}

/** Keys on every master of a tenant's target. */
export async function targetKeys(fleet: Fleet, tenant: string): Promise<number> {
  let total = 0;
  for (const m of fleet.tenant(tenant).target.masters) {
    const info = await nodeInfo(m, 'keyspace');
    total += Number(/keys=(\d+)/.exec(info.get('db0') ?? '')?.[1] ?? 0);
  }
  return total;
}
