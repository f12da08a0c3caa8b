import { userInfo } from 'node:os';
import { fullCompareTenant, spotCheckTenant } from '../release/compare.js';
import { openCompareRuntime } from '../runtime/compare.js';
import { type ByClass, MISMATCH_CLASSES, renderProgress } from '../sampling/consistency/index.js';
import { configOf, type GlobalOptions, withRuntime } from './context.js';
import { table } from './render.js';

export interface CompareOptions extends GlobalOptions {
  tenant: string;
  full?: boolean;
  keysPerSecond?: number;
  restart?: boolean;
  json?: boolean;
  /** Who ran the compare (audit trail); default the OS user, else `cli`. */
  actor?: string;
}

/** The OS user running the command, else `cli` (a container may have no passwd entry). */
export function defaultActor(): string {
  try {
    return userInfo().username || 'cli';
  } catch {
    return 'cli';
  }
}

function renderClasses(byClass: ByClass): string {
  return table(
    ['class', 'count', 'examples'],
    MISMATCH_CLASSES.map((c) => [c, byClass[c].count, byClass[c].examples.join(', ') || null]),
  );
}

/**
 * A consistency compare of one tenant on demand: a spot-check (random keys both ways), or with --full
 * every key of a legacy replica and of the target, rate-limited and resumable (Ctrl-C saves the cursor).
 * Exit 0 no mismatch, 1 mismatches, 2 interrupted.
 */
export function compareCommand(opts: CompareOptions, print: (text: string) => void): Promise<number> {
  const actor = opts.actor ?? defaultActor();
  return withRuntime(configOf(opts), openCompareRuntime, async ({ deps }) => {
    if (!opts.full) {
      const { tenant, result } = await spotCheckTenant(deps, opts.tenant);
      print(
        opts.json
          ? JSON.stringify(result, null, 2)
          : `spot-check of ${tenant}: ${result.checked} keys checked, ${result.mismatches} mismatches\n\n${renderClasses(result.byClass)}`,
      );
      return result.mismatches === 0 ? 0 : 1;
    }

    const abort = new AbortController();
    const onSignal = () => abort.abort();
    process.once('SIGINT', onSignal);
    const tty = process.stderr.isTTY;
    try {
      const { tenant, mode, result, recorded } = await fullCompareTenant(deps, opts.tenant, {
        actor,
        ...(opts.keysPerSecond ? { keysPerSecond: opts.keysPerSecond } : {}),
        ...(opts.restart ? { restart: true } : {}),
        signal: abort.signal,
        onProgress: (p) => {
          const line = renderProgress(p, 30);
          process.stderr.write(tty ? `\r${line}` : `${line}\n`);
        },
      });
      if (tty) process.stderr.write('\n');
      const head = result.done
        ? `full compare of ${tenant}: ${result.checked} keys compared in ${(result.durationMs / 1000).toFixed(1)} s, ${result.mismatches} mismatches${
            result.targetSkipped.length > 0
              ? ` (extra-key scan skipped on ${result.targetSkipped.length} target master(s): their key counts matched)`
              : ''
          }`
        : `full compare of ${tenant} interrupted after ${result.scanned} keys; run again to resume (--restart to start over)`;
      const note = recorded
        ? `recorded for tenant ${tenant} by ${actor} as event ${recorded.type} (${recorded.id}); ${
            mode === 'offline'
              ? 'offline mode: the next tick judges it (clean → CUTOVER_READY)'
              : 'online mode: evidence only, readiness comes from the replication criteria'
          }`
        : '';
      print(
        opts.json
          ? JSON.stringify(recorded ? { ...result, recorded } : result, null, 2)
          : `${head}\n\n${renderClasses(result.byClass)}${note ? `\n\n${note}` : ''}`,
      );
      if (!result.done) return 2;
      return result.mismatches === 0 ? 0 : 1;
    } finally {
      process.off('SIGINT', onSignal);
    }
  });
}
