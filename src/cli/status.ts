import { getStatus, listStatuses } from '../release/status.js';
import { openStatusRuntime } from '../runtime/status.js';
import { configOf, type GlobalOptions, withRuntime } from './context.js';
import { parseInstant } from './parse.js';
import { renderStatus } from './render.js';

/** `soakwatch status`: the stored status of every tenant, or one, as of now (or --now). */
export async function statusCommand(
  opts: GlobalOptions & { tenant?: string; json?: boolean; now?: string },
  print: (text: string) => void,
): Promise<number> {
  const now = opts.now ? parseInstant(opts.now, '--now') : Date.now();
  const tenant = opts.tenant;
  const statuses = await withRuntime(configOf(opts), openStatusRuntime, async ({ deps }) =>
    tenant ? [await getStatus(deps, tenant, now)] : listStatuses(deps, now),
  );
  if (opts.json) print(JSON.stringify(tenant ? statuses[0] : statuses, null, 2));
  else print(statuses.map((s) => renderStatus(s, now)).join('\n\n'));
  return 0;
}
