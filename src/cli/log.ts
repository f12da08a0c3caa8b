import type { Log } from '../tick/index.js';

/** The command line's log: stderr, so `--json` output on stdout stays machine-readable; quiet unless verbose. */
export function stderrLog(verbose: boolean): Log {
  const write =
    (level: string, always: boolean) =>
    (message: string, ...extra: Record<string, unknown>[]) => {
      if (!verbose && !always) return;
      const detail = extra.length ? ` ${JSON.stringify(Object.assign({}, ...extra))}` : '';
      process.stderr.write(`${level} ${message}${detail}\n`);
    };
  return {
    debug: write('debug', false),
    info: write('info', false),
    warn: write('warn', true),
    error: write('error', true),
  };
}
