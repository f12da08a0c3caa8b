import { openTickRuntime } from '../runtime/tick.js';
import { runTick } from '../tick/runTick.js';
import { configOf, type GlobalOptions, withRuntime } from './context.js';
import { stderrLog } from './log.js';
import { parseInstant } from './parse.js';
import { renderTick } from './render.js';

/** `soakwatch tick`: the Lambda's code path once, for every tenant or one; exit 1 when a tenant failed. */
export async function tickCommand(
  opts: GlobalOptions & { tenant?: string; json?: boolean; now?: string },
  print: (text: string) => void,
): Promise<number> {
  const now = opts.now ? parseInstant(opts.now, '--now') : Date.now();
  const config = configOf(opts);
  const report = await withRuntime(
    config,
    (c) => openTickRuntime(c, { log: stderrLog(Boolean(opts.verbose)), aws: Boolean(opts.aws) }),
    (rt) => runTick(rt.deps, { now, ...(opts.tenant ? { tenantId: opts.tenant } : {}) }),
  );
  print(opts.json ? JSON.stringify(report, null, 2) : renderTick(report));
  return report.tenants.every((t) => t.ok) ? 0 : 1;
}
