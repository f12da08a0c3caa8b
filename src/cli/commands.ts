import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError, formatPath, policySchema } from '../config/index.js';
import { loadHistory } from '../release/history.js';
import { openStatusRuntime } from '../runtime/status.js';
import { type Action, JUDGE_ACTOR, replayPolicy, transitionMeaning } from '../soak/index.js';
import type { AuditEntry } from '../store/index.js';
import { configOf, type GlobalOptions, withRuntime } from './context.js';
import { UsageError } from './errors.js';
import { parseInstant } from './parse.js';
import { renderReplay, verdictChanges } from './render.js';

type Print = (text: string) => void;
const json = (v: unknown) => JSON.stringify(v, null, 2);

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
  const history = await withRuntime(configOf(opts), openStatusRuntime, ({ deps }) =>
    loadHistory(deps, opts.tenant, from, to),
  );
  // The replay is the pure judge over the stored history, with the release managers' actions repeated.
  const actions = actionsFromAudit(history.audit).filter((a) => a.at >= from && a.at <= to);
  const result = replayPolicy(
    history.samples,
    history.events,
    actions,
    parsed.data,
    history.tenant,
    opts.from ? from : undefined,
  );
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
