import { restartStoreAfterLoss } from '../release/index.js';
import { openStatusRuntime } from '../runtime/status.js';
import { configOf, type GlobalOptions, withRuntime } from './context.js';

/** `soakwatch restart-store --actor A --reason R`: a fresh start after a lost state store, audited per tenant. */
export async function storeRestartCommand(
  opts: GlobalOptions & { actor: string; reason: string; json?: boolean },
  print: (text: string) => void,
): Promise<number> {
  const outcome = await withRuntime(configOf(opts), openStatusRuntime, ({ deps }) =>
    restartStoreAfterLoss(deps, { actor: opts.actor, reason: opts.reason }, Date.now()),
  );
  print(
    opts.json
      ? JSON.stringify(outcome)
      : `state store restarted (lost at ${new Date(outcome.lost.detectedAt).toISOString()}: ${outcome.lost.reason}); ${outcome.tenants.length} tenant(s) start over at their next tick: ${outcome.tenants.join(', ')}`,
  );
  return 0;
}
