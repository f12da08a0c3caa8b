import { describeMismatches, describePatterns } from '../metrics/index.js';
import { formatDuration } from '../util/duration.js';
import {
  formatCoverage,
  formatSince,
  formatTime,
  formatValue,
  safeSubject,
  subjectWithList,
} from './format.js';
import { milestoneOf, milestoneSeverity, milestoneTitle, nextStep } from './milestones.js';
import { type RootCause, rootCauseOf } from './rootCause.js';
import {
  ALERT_PAYLOAD_SCHEMA,
  type AlertPayload,
  chatbotNotification,
  snsStructure,
  tenantLink,
} from './structure.js';
import type {
  AlertInput,
  AlertKind,
  AlertMemory,
  AlertPlan,
  AlertPlanOptions,
  FiringCriterion,
  Milestone,
  OutgoingMessage,
  Severity,
} from './types.js';

const RANK: Record<Severity, number> = { warn: 1, critical: 2, fatal: 3 };
// A body lists at most this many criteria; SNS caps a message at 256 KB and a phone screen much earlier.
const BODY_LIST_MAX = 25;

/** An empty memory: nothing open, nothing announced. */
export function emptyAlertMemory(): AlertMemory {
  return {
    v: 1,
    firing: {},
    openedAt: null,
    worst: null,
    lastSentAt: null,
    lastSentIds: [],
    lastMilestoneAt: null,
    milestoneKeys: [],
  };
}

function worst(severities: Iterable<Severity>): Severity | undefined {
  let out: Severity | undefined;
  for (const s of severities) if (!out || RANK[s] > RANK[out]) out = s;
  return out;
}

/** One entry per criterion id (the worst severity wins), most severe first, then by id. */
function dedupeFiring(firing: readonly FiringCriterion[]): FiringCriterion[] {
  const byId = new Map<string, FiringCriterion>();
  for (const f of firing) {
    const seen = byId.get(f.id);
    if (!seen || RANK[f.severity] > RANK[seen.severity]) byId.set(f.id, f);
  }
  return [...byId.values()].sort((a, b) => RANK[b.severity] - RANK[a.severity] || a.id.localeCompare(b.id));
}

/**
 * Plans the SNS messages of one tick for one tenant: at most one on-call message grouping everything
 * that fires (sent when a criterion starts firing or its severity rises, repeated every
 * `repeatEveryMs` while anything fires, and a RESOLVED when everything has cleared), and one release
 * message per milestone transition. Pure; persist the returned memory only once the messages were published.
 */
export function planAlerts(
  input: AlertInput,
  previous: AlertMemory | undefined,
  opts: AlertPlanOptions,
): AlertPlan {
  const prev = previous ?? emptyAlertMemory();
  const messages: OutgoingMessage[] = [];
  const all = dedupeFiring(input.firing);
  // A mute holds back what a person chose to wait out; a FAILED soak or a fatal breach always goes out.
  const isMuted = (f: FiringCriterion) =>
    input.state !== 'FAILED' &&
    f.severity !== 'fatal' &&
    (input.mutes ?? []).some(
      (m) => m.until > input.now && (m.criterion === undefined || m.criterion === f.id),
    );
  const firing = all.filter((f) => !isMuted(f));
  const muted = all.filter(isMuted).map((f) => f.id);
  const link = tenantLink(opts.statusPageUrl, input.tenant) ?? input.links?.status;
  const now = input.now;
  let memory: AlertMemory = { ...prev, milestoneKeys: [...prev.milestoneKeys] };

  if (firing.length > 0) {
    // Compared with the last tick, not the last message: a criterion that cleared quietly and
    // fires again, or drops to warn and climbs back, is news.
    const fresh = firing.filter((f) => {
      const was = prev.firing[f.id];
      return was === undefined || RANK[f.severity] > RANK[was];
    });
    const due = prev.lastSentAt === null || now - prev.lastSentAt >= opts.repeatEveryMs;
    const kind: AlertKind | undefined = fresh.length > 0 ? 'alert' : due ? 'repeat' : undefined;
    const openedAt = prev.openedAt ?? now;
    memory = {
      ...memory,
      firing: Object.fromEntries(firing.map((f) => [f.id, f.severity])),
      openedAt,
      worst: worst([...(prev.worst ? [prev.worst] : []), ...firing.map((f) => f.severity)]) ?? null,
    };
    if (kind) {
      const cleared = prev.lastSentIds.filter((id) => !all.some((f) => f.id === id));
      if (opts.alertTopicArn)
        messages.push(
          renderFiring(input, firing, fresh, cleared, kind, openedAt, opts.alertTopicArn, link, muted),
        );
      memory = { ...memory, lastSentAt: now, lastSentIds: firing.map((f) => f.id) };
    }
  } else if (muted.length > 0) {
    // Everything that fires is muted: say nothing (not even RESOLVED: nothing was resolved), and forget
    // the open incident so a criterion still firing when its mute ends is news again.
    memory = { ...memory, firing: {}, openedAt: null, worst: null, lastSentIds: [] };
  } else if (Object.keys(prev.firing).length > 0 || prev.lastSentIds.length > 0) {
    if (opts.alertTopicArn) messages.push(renderResolved(input, prev, opts.alertTopicArn, link));
    memory = { ...memory, firing: {}, openedAt: null, worst: null, lastSentAt: now, lastSentIds: [] };
  }

  for (const t of [...input.transitions].sort((a, b) => a.at - b.at)) {
    const milestone = milestoneOf(t);
    if (!milestone) continue;
    const key = `${input.tenant}:release:${milestone}:${t.at}`;
    // A re-delivered tick carries the same transitions: announce each once.
    if (memory.lastMilestoneAt !== null && t.at < memory.lastMilestoneAt) continue;
    if (t.at === memory.lastMilestoneAt && memory.milestoneKeys.includes(key)) continue;
    if (opts.releaseTopicArn)
      messages.push(renderMilestone(input, t, milestone, key, opts.releaseTopicArn, link));
    memory =
      t.at === memory.lastMilestoneAt
        ? { ...memory, milestoneKeys: [...memory.milestoneKeys, key] }
        : { ...memory, lastMilestoneAt: t.at, milestoneKeys: [key] };
  }
  // On-call's messages again for the chat topic, in the format AWS Chatbot renders.
  const chatTopicArn = opts.chatTopicArn;
  if (chatTopicArn)
    for (const m of messages.filter((x) => x.topic === 'alert')) {
      const payload = payloadOf(m);
      if (!payload) continue;
      const { structured: _text, ...plain } = m;
      messages.push({
        ...plain,
        topic: 'chat',
        topicArn: chatTopicArn,
        body: JSON.stringify(chatbotNotification(m, payload)),
        dedupeKey: `${m.dedupeKey}:chat`,
      });
    }
  return { messages, memory };
}

/** The payload a message carries in its structured form. */
function payloadOf(m: OutgoingMessage): AlertPayload | undefined {
  if (!m.structured) return undefined;
  return JSON.parse((JSON.parse(m.structured) as { sqs: string }).sqs) as AlertPayload;
}

function basePayload(
  m: Pick<OutgoingMessage, 'attributes' | 'subject'>,
  link: string | undefined,
  at: number,
): AlertPayload {
  return {
    schema: ALERT_PAYLOAD_SCHEMA,
    kind: m.attributes.kind,
    tenant: m.attributes.tenant,
    state: m.attributes.state,
    severity: m.attributes.severity,
    at,
    subject: m.subject,
    ...(link ? { link } : {}),
  };
}

/** Gives a rendered message its structured form (text per protocol + the payload with these facts). */
function structure(
  m: OutgoingMessage,
  link: string | undefined,
  at: number,
  facts: Partial<AlertPayload>,
): OutgoingMessage {
  return { ...m, structured: snsStructure(m.body, { ...basePayload(m, link, at), ...facts }) };
}

function renderFiring(
  input: AlertInput,
  firing: FiringCriterion[],
  fresh: FiringCriterion[],
  cleared: string[],
  kind: AlertKind,
  openedAt: number,
  topicArn: string,
  link: string | undefined,
  muted: string[],
): OutgoingMessage {
  const severity = worst(firing.map((f) => f.severity)) ?? 'warn';
  const label = severity.toUpperCase();
  const root = rootCauseOf(firing, input.now);
  const subject = root
    ? `[${label}] soakwatch ${input.tenant}: ${causeLine(root)}`
    : kind === 'repeat'
      ? subjectWithList(
          `[${label}] soakwatch ${input.tenant}: still firing: `,
          firing.map((f) => f.id),
        )
      : subjectWithList(
          `[${label}] soakwatch ${input.tenant}: `,
          firing.map((f) => f.id),
          ' firing',
        );

  const lines: string[] = [];
  lines.push(`${label}: tenant ${input.tenant} (state ${input.state}), ${formatTime(input.now)}`);
  const count = `${firing.length} ${firing.length === 1 ? 'criterion' : 'criteria'} firing`;
  lines.push(
    kind === 'repeat'
      ? `${count}, open for ${formatDuration(input.now - openedAt)} (reminder).`
      : `${count}. New or worse since the last message: ${fresh.map((f) => f.id).join(', ')}.`,
  );
  if (cleared.length > 0) lines.push(`Cleared since the last message: ${cleared.join(', ')}.`);
  if (muted.length > 0) lines.push(`Muted, not listed (see the tenant page): ${muted.join(', ')}.`);
  if (root) {
    lines.push(
      '',
      `Root cause: ${causeLine(root)}.`,
      `Fix the replication stream first; the symptoms clear with it (criteria marked "symptom" below).`,
    );
  }
  lines.push('');
  const symptomIds = new Set(root?.symptoms.map((f) => f.id));
  for (const f of firing.slice(0, BODY_LIST_MAX)) {
    // After the line's usual `] id: …` (what on-call and the scenario checks read), its part in the incident.
    const role =
      root?.cause === f ? ' [root cause]' : symptomIds.has(f.id) ? ` [symptom of: ${root?.words}]` : '';
    lines.push(
      `- [${f.severity.toUpperCase()}] ${f.id}: ${f.metric} is ${formatValue(f.value)}, threshold ${f.op} ${formatValue(f.threshold)}, ${formatSince(f.since, input.now)}${role}`,
    );
    if (f.cause) lines.push(`  Why no data: ${f.cause}`);
    if (f.detail) lines.push(`  Detail: ${f.detail}`);
    if (f.mismatches)
      lines.push(
        `  Mismatches: ${describeMismatches(f.mismatches)}`,
        `  By pattern: ${describePatterns(f.mismatches)}`,
      );
    lines.push(`  Runbook: ${f.runbook ?? 'none configured for this criterion'}`);
  }
  if (firing.length > BODY_LIST_MAX) lines.push(`- … and ${firing.length - BODY_LIST_MAX} more`);
  lines.push('', `What to do: ${impact(severity, input.state)}`);
  lines.push(...footer(input, link));
  const message: OutgoingMessage = {
    topic: 'alert',
    topicArn,
    subject: safeSubject(subject),
    body: lines.join('\n'),
    attributes: { tenant: input.tenant, severity, state: input.state, kind },
    dedupeKey: `${input.tenant}:${kind}:${firing.map((f) => `${f.id}=${f.severity}`).join(',')}:${input.now}`,
  };
  return structure(message, link, input.now, {
    firing: firing.map(({ id, metric, severity: sev, value, threshold, op, since, mismatches }) => ({
      id,
      metric,
      severity: sev,
      value,
      threshold,
      op,
      since,
      ...(mismatches ? { mismatches } : {}),
    })),
    ...(cleared.length ? { cleared } : {}),
    ...(root
      ? {
          rootCause: {
            criterion: root.cause.id,
            metric: root.cause.metric,
            cause: root.words,
            forMs: root.forMs,
            symptoms: root.symptoms.map((f) => f.id),
          },
        }
      : {}),
  });
}

/** `CDC stalled 4m (cdc-lag): key-drift and spot-check are its symptoms`. */
function causeLine(root: RootCause): string {
  const ids = root.symptoms.map((f) => f.id);
  const list = ids.length > 1 ? `${ids.slice(0, -1).join(', ')} and ${ids[ids.length - 1]}` : ids[0];
  const lasting = root.forMs === null ? '' : ` ${formatDuration(root.forMs)}`;
  return `${root.words}${lasting} (${root.cause.id}): ${list} ${ids.length > 1 ? 'are its symptoms' : 'is its symptom'}`;
}

function renderResolved(
  input: AlertInput,
  prev: AlertMemory,
  topicArn: string,
  link: string | undefined,
): OutgoingMessage {
  const ids = [...new Set([...prev.lastSentIds, ...Object.keys(prev.firing)])].sort();
  const severity = prev.worst ?? worst(Object.values(prev.firing)) ?? 'warn';
  const lines = [
    `RESOLVED: tenant ${input.tenant} (state ${input.state}), ${formatTime(input.now)}`,
    `Nothing is firing any more. Cleared: ${ids.join(', ')}. Worst severity while open: ${severity}.`,
  ];
  if (prev.openedAt !== null)
    lines.push(`Open since ${formatTime(prev.openedAt)}, for ${formatDuration(input.now - prev.openedAt)}.`);
  lines.push('', 'What to do: nothing urgent; note the cause in the incident log if there was one.');
  lines.push(...footer(input, link));
  const message: OutgoingMessage = {
    topic: 'alert',
    topicArn,
    subject: safeSubject(subjectWithList(`[RESOLVED] soakwatch ${input.tenant}: `, ids, ' back to ok')),
    body: lines.join('\n'),
    // The worst severity it resolves, so a subscription filtering on critical also gets the resolution.
    attributes: { tenant: input.tenant, severity, state: input.state, kind: 'resolved' },
    dedupeKey: `${input.tenant}:resolved:${input.now}`,
  };
  return structure(message, link, input.now, { cleared: ids });
}

function renderMilestone(
  input: AlertInput,
  t: AlertInput['transitions'][number],
  milestone: Milestone,
  dedupeKey: string,
  topicArn: string,
  link: string | undefined,
): OutgoingMessage {
  const title = milestoneTitle(milestone);
  const lines = [
    `Tenant ${input.tenant}: ${title}.`,
    `When: ${formatTime(t.at)}`,
    `Transition: ${t.from} -> ${t.to}`,
    `Reason: ${t.reason || 'none given'}`,
    `By: ${t.actor ?? 'soakwatch'}`,
    '',
    `Next: ${nextStep(milestone, input.tenant)}`,
    ...footer(input, link),
  ];
  const message: OutgoingMessage = {
    topic: 'release',
    topicArn,
    subject: safeSubject(`[RELEASE] soakwatch ${input.tenant}: ${title}`),
    body: lines.join('\n'),
    attributes: {
      tenant: input.tenant,
      severity: milestoneSeverity(milestone),
      state: t.to,
      kind: milestone,
    },
    dedupeKey,
  };
  return structure(message, link, t.at, {
    transition: { from: t.from, to: t.to, reason: t.reason, ...(t.actor ? { actor: t.actor } : {}) },
  });
}

/** What the severity means for the migration, in the phase the tenant is in. */
function impact(severity: Severity, state: string): string {
  const replication = state === 'REPLICATING' || state === 'CUTOVER_READY';
  if (severity === 'fatal')
    return 'a fatal breach FAILS the soak. Rollback advised: keep the applications on (or move them back to) the legacy cluster, never scale it down, then follow the runbook.';
  if (severity === 'critical')
    return replication
      ? 'follow the runbook. Cutover readiness is revoked until this clears; do not cut over.'
      : 'follow the runbook. A critical breach resets the soak clock; do not scale down the legacy cluster.';
  return 'follow the runbook. Warnings do not affect the soak yet; act before they become critical.';
}

function footer(input: AlertInput, link: string | undefined): string[] {
  const left = input.remainingMs === null ? 'n/a' : formatDuration(Math.max(0, input.remainingMs));
  const out = ['', `Soak: coverage ${formatCoverage(input.coverage)}, time left ${left}.`];
  if (input.inconclusiveReasons?.length) out.push(`Inconclusive: ${input.inconclusiveReasons.join('; ')}.`);
  if (link) out.push(`Status: ${link}`);
  return out;
}
