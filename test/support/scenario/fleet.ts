import pLimit from 'p-limit';
import { type Config, configSchema } from '../../../src/config/index.js';
import type { Policy } from '../../../src/config/schema.js';
import type { ClusterTopology, Replicated, Standalone } from '../../../tools/local/index.js';
import { type CdcFaults, CdcStandIn } from './cdc.js';
import { CliDriver, InProcessDriver, SampleReader, type TickDriver } from './drivers.js';
import { AppLoad } from './load.js';
import { scenarioPolicy } from './policy.js';
import { SnsRecorder } from './sns.js';
import { Ticker } from './ticker.js';
import {
  ALERT_TOPIC,
  configInput,
  DB_MAP,
  entryOf,
  SEED_PER_DB,
  STORE_PREFIX,
  startLegacy,
  startStateStore,
  startTarget,
  tenantInput,
} from './world.js';

/**
 * Several tenants watched by one soakwatch (one in-process container, or one config for the CLI),
 * each with its own cluster target and CDC stand-in; tenants may share a legacy (one application
 * load writes it, every CDC on it copies from it). Each tenant is ticked on its own grid.
 */
export interface FleetTenantSpec {
  id: string;
  /** Index of the legacy it replicates from. */
  legacy: number;
  cdcFaults?: Partial<CdcFaults>;
}

export interface FleetOptions {
  legacies: number;
  tenants: FleetTenantSpec[];
  driver?: 'in-process' | 'cli';
  /** For the CLI driver: the built cli.js and where to write its config. */
  cli?: { path: string; write: (name: string, content: string) => string };
  policy?: Policy;
  seedPerDb?: number;
  opsPerSec?: number;
}

export interface LegacySide {
  topo: Replicated;
  /** The application while it writes to this legacy (stopped at the cutover). */
  load: AppLoad;
}

export interface FleetTenant {
  id: string;
  legacy: LegacySide;
  target: ClusterTopology;
  cdc: CdcStandIn;
  ticker: Ticker;
  /** The application on this tenant's target, from the cutover on. */
  targetLoad?: AppLoad;
  cutover?: { lastLegacyWriteAt: number; markedAt: number };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// Cluster starts are heavy on two shared cores: a few at a time.
const startLimit = pLimit(3);

export class Fleet {
  private constructor(
    readonly store: Standalone,
    readonly legacies: LegacySide[],
    readonly tenants: Map<string, FleetTenant>,
    readonly driver: TickDriver,
    readonly policy: Policy,
    /** The config every tick runs with, parsed (defaults filled in). */
    readonly config: Config,
    private readonly stops: (() => Promise<void> | void)[],
  ) {}

  static async start(opts: FleetOptions): Promise<Fleet> {
    const policy = opts.policy ?? scenarioPolicy();
    const stops: (() => Promise<void> | void)[] = [];
    const stopAll = async () => {
      for (const stop of [...stops].reverse()) await Promise.resolve(stop()).catch(() => undefined);
    };
    try {
      const legacyTopos = Promise.all(
        Array.from({ length: opts.legacies }, () =>
          startLimit(async () => {
            const topo = await startLegacy();
            stops.push(() => topo.stop());
            return topo;
          }),
        ),
      );
      const targets = Promise.all(
        opts.tenants.map(() =>
          startLimit(async () => {
            const topo = await startTarget();
            stops.push(() => topo.stop());
            return topo;
          }),
        ),
      );
      const store = await startStateStore();
      stops.push(() => store.stop());
      const legacies: LegacySide[] = [];
      for (const [i, topo] of (await legacyTopos).entries()) {
        const load = new AppLoad({
          dbMap: DB_MAP,
          seed: 100 + i,
          ...(opts.opsPerSec !== undefined ? { opsPerSec: opts.opsPerSec } : {}),
        });
        stops.push(() => load.stop());
        await load.useLegacy(topo.primary);
        await load.seed(opts.seedPerDb ?? SEED_PER_DB);
        legacies.push({ topo, load });
      }
      const targetTopos = await targets;
      const cdcs = await Promise.all(
        opts.tenants.map(async (t, i) => {
          const legacy = legacies[t.legacy];
          const target = targetTopos[i];
          if (!legacy || !target) throw new Error(`tenant ${t.id}: no legacy ${t.legacy}`);
          const cdc = await CdcStandIn.start({
            name: t.id,
            legacy: legacy.topo.primary,
            target: entryOf(target),
            dbMap: DB_MAP,
            ...(t.cdcFaults ? { faults: t.cdcFaults } : {}),
          });
          stops.push(() => cdc.stop());
          return cdc;
        }),
      );
      // Every CDC attached to a legacy is a CDC tool for every tenant of that legacy.
      const cdcOf = (legacy: number) =>
        opts.tenants.flatMap((t, i) => (t.legacy === legacy ? [cdcs[i]?.address ?? ''] : []));
      const config = configInput(
        store.node.url,
        opts.tenants.map((t, i) => {
          const legacy = legacies[t.legacy];
          const target = targetTopos[i];
          if (!legacy || !target) throw new Error(`tenant ${t.id}: no topology`);
          return tenantInput({ id: t.id, legacy: legacy.topo, target, cdcReplicas: cdcOf(t.legacy), policy });
        }),
      );
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

      const tenants = new Map<string, FleetTenant>();
      opts.tenants.forEach((t, i) => {
        const legacy = legacies[t.legacy];
        const target = targetTopos[i];
        const cdc = cdcs[i];
        if (!legacy || !target || !cdc) throw new Error(`tenant ${t.id}: not started`);
        const ticker = new Ticker({
          driver,
          tenant: t.id,
          intervalMs: policy.sampleInterval,
          reader,
          alertTopicArn: ALERT_TOPIC,
        });
        stops.push(() => ticker.stop());
        tenants.set(t.id, { id: t.id, legacy, target, cdc, ticker });
      });
      for (const legacy of legacies) legacy.load.start();
      return new Fleet(store, legacies, tenants, driver, policy, configSchema.parse(config), stops);
    } catch (error) {
      await stopAll();
      throw error;
    }
  }

  tenant(id: string): FleetTenant {
    const t = this.tenants.get(id);
    if (!t) throw new Error(`no tenant ${id} in the fleet`);
    return t;
  }

  /** Starts the tick grid of these tenants (all by default), now. */
  startTicking(ids: string[] = [...this.tenants.keys()]): void {
    for (const id of ids) this.tenant(id).ticker.start();
  }

  /**
   * The cutover as a release runs it, for every tenant of one legacy at once (they share its
   * application): the application stops writing to legacy, each CDC drains and is stopped, the
   * release manager marks each cutover `gapMs` after the last legacy write, and the application
   * resumes on each target. Started right after a tick of the first tenant, so it fits between ticks.
   */
  async cutover(
    ids: string[],
    opts: { force?: boolean; gapMs?: number } = {},
  ): Promise<{ lastLegacyWriteAt: number; markedAt: number }> {
    const tenants = ids.map((id) => this.tenant(id));
    const legacy = tenants[0]?.legacy;
    if (!legacy || tenants.some((t) => t.legacy !== legacy))
      throw new Error('a cutover moves every tenant of one legacy together');
    const others = [...this.tenants.values()].filter((t) => t.legacy === legacy && !ids.includes(t.id));
    if (others.length > 0) throw new Error(`tenants ${others.map((t) => t.id).join(', ')} share that legacy`);
    const first = tenants[0];
    if (first?.ticker.running) await first.ticker.nextTick();
    await legacy.load.pause();
    const lastLegacyWriteAt = Date.now();
    await Promise.all(tenants.map((t) => t.cdc.drained()));
    await Promise.all(tenants.map((t) => t.cdc.stop()));
    await Promise.all(
      tenants.map(async (t, i) => {
        const load = legacy.load.fork(1_000 + i);
        this.stops.push(() => load.stop());
        await load.useTarget(entryOf(t.target));
        t.targetLoad = load;
      }),
    );
    // Nothing of the application stays connected to legacy.
    await legacy.load.stop();
    await sleep(Math.max(0, lastLegacyWriteAt + (opts.gapMs ?? 2_000) - Date.now()));
    const markedAt = Date.now();
    await Promise.all(
      tenants.map((t) =>
        this.driver.act(t.id, {
          action: 'cutover',
          actor: 'release-manager@scenario',
          reason: opts.force ? 'scenario: the soak is tested from its start' : 'cutover window',
          ...(opts.force ? { force: true } : {}),
        }),
      ),
    );
    for (const t of tenants) {
      t.cutover = { lastLegacyWriteAt, markedAt };
      t.targetLoad?.start();
    }
    return { lastLegacyWriteAt, markedAt };
  }

  async stop(): Promise<void> {
    for (const stop of [...this.stops].reverse()) await Promise.resolve(stop()).catch(() => undefined);
  }
}
