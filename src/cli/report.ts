import { writeFileSync } from 'node:fs';
import { renderReport } from '../pages/index.js';
import { evidenceReport } from '../release/index.js';
import { openStatusRuntime } from '../runtime/status.js';
import { configOf, type GlobalOptions, withRuntime } from './context.js';
import { UsageError } from './errors.js';

/** `soakwatch report --tenant ID [--json] [--out FILE]`: the evidence pack, HTML (self-contained) or JSON. */
export async function reportCommand(
  opts: GlobalOptions & { tenant: string; json?: boolean; out?: string },
  print: (text: string) => void,
): Promise<number> {
  const report = await withRuntime(configOf(opts), openStatusRuntime, ({ deps }) =>
    evidenceReport(deps, opts.tenant, Date.now()),
  );
  const text = opts.json ? JSON.stringify(report, null, 2) : renderReport(report, { standalone: true });
  if (!opts.out) {
    print(text);
    return 0;
  }
  try {
    writeFileSync(opts.out, `${text}\n`);
  } catch (error) {
    throw new UsageError(`--out: cannot write ${opts.out}: ${(error as Error).message}`);
  }
  print(`wrote the evidence pack of ${report.tenant} to ${opts.out} (policy sha256 ${report.policy.sha256})`);
  return 0;
}
