import type { Policy } from '../../../src/config/schema.js';
import type { ClusterTopology, Replicated, Standalone } from '../../../src/local/index.js';
import { CdcStandIn } from './cdc.js';
import { CliDriver, InProcessDriver, SampleReader, type TickDriver } from './drivers.js';
import { AppLoad } from './load.js';
import { scenarioPolicy } from './policy.js';
import { SnsRecorder } from './sns.js';
import { Ticker } from './ticker.js';
import {
  ALERT_TOPIC,
  configInput,
  cutover,
  DB_MAP,
  SEED_PER_DB,
  STORE_PREFIX,
  startLegacy,
  startStateStore,
  startTarget,
  tenantInput,
} from './world.js';

/**
 * One tenant's migration on its own production-like topology: the application writes to legacy,
 * the CDC stand-in copies into the cluster target, and soakwatch ticks every sample interval of real
 * time (in-process or as fresh CLI processes). `cutover()` moves the application to the target.
 */
export interface Migration {
  tenant: string;
  legacy: Replicated;
  target: ClusterTopology;
  store: Standalone;
  load: AppLoad;
  cdc: CdcStandIn;
  driver: TickDriver;
  ticker: Ticker;
  policy: Policy;
  /** When the application moved (set by cutover()). */
  cutoverAt?: { lastLegacyWriteAt: number; markedAt: number };
  cutover(opts?: { force?: boolean }): Promise<{ lastLegacyWriteAt: number; markedAt: number }>;
  stop(): Promise<void>;
}

export interface MigrationOptions {
  tenant?: string;
  driver: 'in-process' | 'cli';
  /** For the CLI driver: the built cli.js and where to write its config. */
  cli?: { path: string; write: (name: string, content: string) => string };
  policy?: Policy;
  seedPerDb?: number;
  opsPerSec?: number;
}

export async function startMigration(opts: MigrationOptions): Promise<Migration> {
  const tenant = opts.tenant ?? 'acme';
  const policy = opts.policy ?? scenarioPolicy();
  const stops: (() => Promise<void> | void)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await Promise.resolve(stop()).catch(() => undefined);
  };
  try {
    const [legacy, target, store] = await Promise.all([startLegacy(), startTarget(), startStateStore()]);
    stops.push(
      () => legacy.stop(),
      () => target.stop(),
      () => store.stop(),
    );
    const load = new AppLoad({ dbMap: DB_MAP, ...(opts.opsPerSec ? { opsPerSec: opts.opsPerSec } : {}) });
    stops.push(() => load.stop());
    await load.useLegacy(legacy.primary);
    await load.seed(opts.seedPerDb ?? SEED_PER_DB);
    const cdc = await CdcStandIn.start({
      name: tenant,
      legacy: legacy.primary,
      target: target.masters[0] ?? legacy.primary,
      dbMap: DB_MAP,
    });
    stops.push(() => cdc.stop());

    const config = configInput(store.node.url, [
      tenantInput({ id: tenant, legacy, target, cdcReplicas: [cdc.address], policy }),
    ]);
    let driver: TickDriver;
    if (opts.driver === 'cli') {
      if (!opts.cli) throw new Error('the CLI driver needs the built cli.js');
      const sns = await SnsRecorder.start();
      stops.push(() => sns.close());
      driver = CliDriver.open(opts.cli.path, config, sns, opts.cli.write);
    } else {
      driver = await InProcessDriver.open(config);
    }
    stops.push(() => driver.close());
    const reader = await SampleReader.open(store.node.url, STORE_PREFIX);
    stops.push(() => reader.close());
    const ticker = new Ticker({
      driver,
      tenant,
      intervalMs: policy.sampleInterval,
      reader,
      alertTopicArn: ALERT_TOPIC,
    });
    stops.push(() => ticker.stop());

    load.start();
    ticker.start();
    const migration: Migration = {
      tenant,
      legacy,
      target,
      store,
      load,
      cdc,
      driver,
      ticker,
      policy,
      async cutover(o = {}) {
        const at = await cutover({
          ticker,
          load,
          cdc,
          target,
          mark: () =>
            driver.act(tenant, {
              action: 'cutover',
              actor: 'release-manager@scenario',
              reason: o.force
                ? 'scenario: soak tested although replication never got ready'
                : 'cutover window',
              ...(o.force ? { force: true } : {}),
            }),
        });
        migration.cutoverAt = at;
        return at;
      },
      stop: stopAll,
    };
    return migration;
  } catch (error) {
    await stopAll();
    throw error;
  }
}
