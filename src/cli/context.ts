import * as z from 'zod';
import type { Config } from '../config/index.js';
import { loadConfigFromEnv } from '../runtime/config.js';
import { readEnv } from '../runtime/env.js';
import { redactUrl } from '../util/redact.js';
import { UsageError } from './errors.js';

export interface GlobalOptions {
  config?: string;
  verbose?: boolean;
  aws?: boolean;
}

/**
 * The configuration named by --config, else SOAKWATCH_CONFIG, else ./soakwatch.config.yml, with the
 * same environment overrides the Lambdas honour (state store URL, topic ARNs).
 */
export function configOf(opts: GlobalOptions): Config {
  // A command parses each schema once or twice: zod's compiled fast path (generated with `new Function`
  // at a schema's first parse) costs more than it saves in a process that short.
  z.config({ jitless: true });
  return loadConfigFromEnv(readEnv(), opts.config);
}

/**
 * Opens a runtime (which connects to the state store), runs the command over it, and always closes it
 * (a CLI must exit). A store that cannot be reached is one line naming its URL without the password.
 */
export async function withRuntime<R extends { close(): Promise<void> }, T>(
  config: Config,
  open: (config: Config) => Promise<R>,
  work: (runtime: R) => Promise<T>,
): Promise<T> {
  const runtime = await open(config).catch((error: unknown) => {
    throw new UsageError(`cannot connect to the state store ${redactUrl(config.stateStore.url)}`, {
      cause: error,
    });
  });
  try {
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}
