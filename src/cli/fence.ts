import { fenceLegacy, fenceStatus, unfenceLegacy } from '../release/index.js';
import { openCompareRuntime } from '../runtime/compare.js';
import { configOf, type GlobalOptions, withRuntime } from './context.js';
import { UsageError } from './errors.js';

/**
 * `soakwatch fence --tenant ID --actor A --reason R` (application users lose their writes on legacy),
 * `--undo` (their rules restored), `--status` (the fence and the writes it refused).
 */
export async function fenceCommand(
  opts: GlobalOptions & {
    tenant: string;
    actor?: string;
    reason?: string;
    undo?: boolean;
    status?: boolean;
    json?: boolean;
  },
  print: (text: string) => void,
): Promise<number> {
  if (!opts.status && !opts.actor) throw new UsageError('--actor is required to fence or unfence');
  if (!opts.status && !opts.undo && !opts.reason) throw new UsageError('--reason is required to fence');
  return await withRuntime(configOf(opts), openCompareRuntime, async ({ deps }) => {
    const now = Date.now();
    if (opts.status) {
      const s = await fenceStatus(deps, opts.tenant);
      if (opts.json) print(JSON.stringify(s, null, 2));
      else {
        print(
          s.fenced
            ? `${s.tenant}: fenced since ${new Date(s.fenced.at).toISOString()} by ${s.fenced.actor} (${s.fenced.users.map((u) => u.name).join(', ') || 'no user'})`
            : `${s.tenant}: not fenced${s.offer.fence ? ' (fencing is offered)' : s.offer.why ? ` (fencing is not offered: ${s.offer.why})` : ''}`,
        );
        if (s.rejectedError !== undefined) print(`  refused writes: could not be read (${s.rejectedError})`);
        for (const r of s.rejected)
          print(
            `  rejected: ${r.username} ${r.command} ×${r.count}, ${r.ageSeconds.toFixed(0)}s ago (${r.client})`,
          );
        if (s.nopermTotal !== null)
          print(`  NOPERM errors on the legacy primary since its start: ${s.nopermTotal}`);
      }
      return 0;
    }
    const actor = opts.actor ?? '';
    const record = opts.undo
      ? await unfenceLegacy(deps, opts.tenant, { actor }, now)
      : await fenceLegacy(deps, opts.tenant, { actor, reason: opts.reason ?? '' }, now);
    const names = record.users.map((u) => u.name).join(', ') || 'no user';
    print(
      opts.json
        ? JSON.stringify({
            tenant: opts.tenant,
            undone: Boolean(opts.undo),
            users: record.users.map((u) => u.name),
            node: record.node,
          })
        : `${opts.tenant}: ${opts.undo ? 'writes restored for' : 'writes fenced off for'} ${names} on ${record.node}`,
    );
    return 0;
  });
}
