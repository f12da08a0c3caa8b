import { performAction } from '../release/actions.js';
import { openReleaseRuntime } from '../runtime/release.js';
import { configOf, type GlobalOptions, withRuntime } from './context.js';
import { stderrLog } from './log.js';
import { parseInstant } from './parse.js';

/** `soakwatch <action>`: a release manager's action through the release service; exit 1 when refused. */
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
  print: (text: string) => void,
): Promise<number> {
  const now = opts.now ? parseInstant(opts.now, '--now') : Date.now();
  const outcome = await withRuntime(
    configOf(opts),
    (c) => openReleaseRuntime(c, { log: stderrLog(Boolean(opts.verbose)) }),
    (rt) =>
      performAction(
        rt.deps,
        opts.tenant,
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
      ? JSON.stringify(outcome, null, 2)
      : `${outcome.tenant}: ${t.from} → ${t.to} (${t.kind}) by ${t.actor ?? opts.actor}`,
  );
  return 0;
}
