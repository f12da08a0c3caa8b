import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError, formatPath, policySchema } from '../config/index.js';
import { findTenant, getStatus, listStatuses, performAction } from '../release/index.js';
import {
  ACTIONS,
  type Action,
  JUDGE_ACTOR,
  type JudgeSample,
  replayPolicy,
  type SoakEvent,
  transitionMeaning,
} from '../soak/index.js';
import type { AuditEntry } from '../store/index.js';
import { runTick } from '../tick/index.js';
import { type GlobalOptions, withDeps } from './context.js';
import { UsageError } from './errors.js';
import { parseInstant } from './parse.js';
import { renderReplay, renderStatus, renderTick, verdictChanges } from './render.js';

type Print = (text: string) => void;
const json = (v: unknown) => JSON.stringify(v, null, 2);

export async function tickCommand(
  opts: GlobalOptions & { tenant?: string; json?: boolean; now?: string },
  print: Print,
): Promise<number> {
  const now = opts.now ? parseInstant(opts.now, '--now') : Date.now();
  const report = await withDeps(opts, (deps) =>
    runTick(deps, { now, ...(opts.tenant ? { tenantId: opts.tenant } : {}) }),
  );
  print(opts.json ? json(report) : renderTick(report));
  return report.tenants.every((t) => t.ok) ? 0 : 1;
}

export async function statusCommand(
  opts: GlobalOptions & { tenant?: string; json?: boolean; now?: string },
  print: Print,
): Promise<number> {
  const now = opts.now ? parseInstant(opts.now, '--now') : Date.now();
  const statuses = await withDeps(opts, (deps, config) =>
    opts.tenant
      ? getStatus(deps.store, findTenant(config.tenants, opts.tenant), now).then((s) => [s])
      : listStatuses(deps.store, config.tenants, now),
  );
  if (opts.json) print(json(opts.tenant ? statuses[0] : statuses));
  else print(statuses.map((s) => renderStatus(s, now)).join('\n\n'));
  return 0;
}

export async function actionCommand(
  action: string,
  opts: GlobalOptions & {
    tenant: string;
    actor: string;
    reason?: string;
    force?: boolean;
    json?: boolean;
    now?: string;
  },
  print: Print,
): Promise<number> {
  if (!(ACTIONS as readonly string[]).includes(action)) throw new UsageError(`unknown action "${action}"`);
  const now = opts.now ? parseInstant(opts.now, '--now') : Date.now();
  const outcome = await withDeps(opts, (deps, config) =>
    performAction(
      deps,
      findTenant(config.tenants, opts.tenant),
      {
        action,
        actor: opts.actor,
        ...(opts.reason ? { reason: opts.reason } : {}),
        ...(opts.force ? { force: true } : {}),
      },
      now,
    ),
  );
  const t = outcome.transition;
  print(
    opts.json
      ? json(outcome)
      : `${outcome.tenant}: ${t.from} → ${t.to} (${t.kind}) by ${t.actor ?? opts.actor}`,
  );
  return 0;
}

// Audit entries written before issue 8 have neither `forced` nor `actorReason`: a cutover from REPLICATING
// was forced, and the judge had appended this to the reason given. Read back only for those entries.
const OLD_FORCED_SUFFIX = ' (forced before readiness)';

/**
 * The release-manager actions recorded in the audit trail, as the judge's actions, for replay: the action
 * behind each transition kind is the judge's TRANSITIONS table's; a forced cutover is replayed forced,
 * with the reason as given.
 */
export function actionsFromAudit(audit: AuditEntry[]): { at: number; action: Action }[] {
  const out: { at: number; action: Action }[] = [];
  for (const e of audit) {
    const type = transitionMeaning(e.action)?.action;
    // The judge's own transitions (auto cutover, auto approve) are re-derived by the replay itself.
    if (!type || e.actor === JUDGE_ACTOR) continue;
    const old = e.forced === undefined && e.actorReason === undefined;
    const forced = e.forced === true || (old && type === 'cutover' && e.from === 'REPLICATING');
    const reason =
      e.actorReason ??
      (old && forced && e.reason?.endsWith(OLD_FORCED_SUFFIX)
        ? e.reason.slice(0, -OLD_FORCED_SUFFIX.length)
        : e.reason);
    out.push({
      at: e.at,
      action: {
        type,
        actor: e.actor,
        ...(reason ? { reason } : {}),
        ...(forced ? { force: true } : {}),
      },
    });
  }
  return out;
}

export async function replayCommand(
  opts: GlobalOptions & { tenant: string; policy: string; from?: string; to?: string; json?: boolean },
  print: Print,
): Promise<number> {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(opts.policy, 'utf8'));
  } catch (error) {
    throw new UsageError(`--policy: cannot read ${opts.policy}: ${(error as Error).message.split('\n')[0]}`);
  }
  const parsed = policySchema.safeParse(raw);
  if (!parsed.success)
    throw new ConfigError(
      opts.policy,
      parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
    );
  const from = opts.from ? parseInstant(opts.from, '--from') : 0;
  const to = opts.to ? parseInstant(opts.to, '--to') : Date.now();
  const result = await withDeps(opts, async (deps, config) => {
    const tenant = findTenant(config.tenants, opts.tenant);
    const [samples, events, audit] = await Promise.all([
      deps.store.history<JudgeSample>(tenant.id, from, to),
      deps.store.events<SoakEvent>(tenant.id, from, to),
      deps.store.auditTrail(tenant.id, 10_000),
    ]);
    if (samples.length === 0) throw new UsageError(`no stored samples for tenant ${tenant.id} in that range`);
    const actions = actionsFromAudit(audit).filter((a) => a.at >= from && a.at <= to);
    return replayPolicy(samples, events, actions, parsed.data, tenant.id, opts.from ? from : undefined);
  });
  print(
    opts.json
      ? json({
          timeline: result.timeline,
          verdicts: verdictChanges(result.verdicts),
          refused: result.refused,
          final: result.final,
        })
      : renderReplay(result),
  );
  return 0;
}
