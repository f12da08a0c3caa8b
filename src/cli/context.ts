import { type Config, loadConfig } from '../config/index.js';
import { type Clients, closeClients, openClients, tickDeps } from '../runtime/index.js';
import type { TickDeps } from '../tick/index.js';
import { redactUrl } from '../util/redact.js';
import { UsageError } from './errors.js';
import { stderrLog } from './log.js';

export interface GlobalOptions {
  config?: string;
  verbose?: boolean;
  aws?: boolean;
}

/** The configuration named by --config, else SOAKWATCH_CONFIG, else ./soakwatch.config.yml. */
export function configOf(opts: GlobalOptions): Config {
  return loadConfig(opts.config ?? process.env.SOAKWATCH_CONFIG ?? 'soakwatch.config.yml');
}

/** Opens the clients a command needs, runs it, and always closes them (a CLI must exit). */
export async function withDeps<T>(
  opts: GlobalOptions,
  work: (deps: TickDeps, config: Config, clients: Clients) => Promise<T>,
): Promise<T> {
  const config = configOf(opts);
  const clients = await openClients(config).catch((error: unknown) => {
    throw new UsageError(`cannot connect to the state store ${redactUrl(config.stateStore.url)}`, {
      cause: error,
    });
  });
  try {
    return await work(
      tickDeps(config, clients, stderrLog(Boolean(opts.verbose)), { aws: Boolean(opts.aws) }),
      config,
      clients,
    );
  } finally {
    await closeClients(clients);
  }
}
