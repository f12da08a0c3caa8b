import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sample } from '../../src/sampling/index.js';
import { createStateStore } from '../../src/store/index.js';
import type { RedisProcess } from '../../tools/local/index.js';
import { useCluster, useReplicated, useStandalone } from '../support/topologies.js';
import { buildCli, type CliRun, runCli, tempFiles } from './cliHarness.js';

// Zero own errors: every command soakwatch sends (sampler, heartbeat, spot-check, prefix SCAN, topology,
// `check`, `compare --full`) must be answered without an error reply, so soakwatch never shows up in the
// error rates of the nodes it judges. Ticks run as fresh processes (a cold connection every time, as on a
// Lambda cold start) against an idle Redis 7.0 cluster with a replica per master and a Sentinel legacy.
const legacy = useReplicated({ replicas: 1, sentinels: 1 });
const target = useCluster({ masters: 3, replicasPerMaster: 1, config: { maxmemory: '64mb' } });
const store = useStandalone();

const DB_MAP = { '0': '', '1': 'svc1:', '2': 'svc2:' };
const COUNTS: Record<string, number> = { '0': 300, '1': 200, '2': 100 };
const SECOND = 1_000;
/** Wall time of each phase of fresh-process ticks (about a minute in all). */
const REPLICATION_MS = 35 * SECOND;
const SOAK_MS = 25 * SECOND;

const POLICY = {
  sampleInterval: '2s',
  minCoverage: 0.5,
  replication: {
    readyAfter: '1h',
    criteria: [
      { id: 'spot-check', metric: 'spotCheckMismatches', aggregate: 'sum', window: '10s', threshold: 0 },
    ],
  },
  soak: {
    duration: '1h',
    criteria: [{ id: 'errors', metric: 'targetErrorRate', aggregate: 'mean', window: '10s', threshold: 1 }],
  },
};

/** Options of the test's own clients: they must not add error replies either. */
const quiet = { disableClientInfo: true, lazyConnect: false } as const;

interface ErrorCount {
  total: number;
  errorstats: string;
}

/** One observer connection per node, opened before the baseline and kept for the whole file. */
class ErrorWatch {
  private readonly clients = new Map<string, Redis>();
  add(label: string, node: RedisProcess): void {
    const client = new Redis({ host: node.host, port: node.port, ...quiet });
    client.on('error', () => undefined);
    this.clients.set(`${label} ${node.port}`, client);
  }
  async read(): Promise<Map<string, ErrorCount>> {
    const out = new Map<string, ErrorCount>();
    for (const [name, client] of this.clients) {
      const stats = await client.info('stats');
      const errorstats = await client.info('errorstats');
      const total = Number(/total_error_replies:(\d+)/.exec(stats)?.[1] ?? Number.NaN);
      const lines = errorstats
        .split('\r\n')
        .filter((l) => l.startsWith('errorstat_'))
        .join(' ');
      out.set(name, { total, errorstats: lines });
    }
    return out;
  }
  close(): void {
    for (const c of this.clients.values()) c.disconnect();
  }
}

let cli: string;
let cleanupCli: () => void;
const files = tempFiles();
let config: string;
const watch = new ErrorWatch();
let baseline: Map<string, ErrorCount>;

function sw(...args: string[]): Promise<CliRun> {
  return runCli(cli, ['--config', config, ...args], { timeoutMs: 30_000 });
}

/** The nodes whose error count moved since the baseline, with their errorstats then and now. */
async function movedSinceBaseline(): Promise<string[]> {
  const now = await watch.read();
  const moved: string[] = [];
  for (const [name, before] of baseline) {
    const after = now.get(name);
    if (!after || Number.isNaN(after.total) || after.total !== before.total)
      moved.push(
        `${name}: total_error_replies ${before.total} → ${after?.total} (before: ${before.errorstats || '-'}; after: ${after?.errorstats || '-'})`,
      );
  }
  return moved;
}

async function expectNoNewErrors(what: string): Promise<void> {
  const moved = await movedSinceBaseline();
  if (moved.length > 0) console.log(`error replies after ${what}:\n${moved.join('\n')}`);
  expect(moved).toEqual([]);
}

/** The tenant's latest stored sample, read with a connection that adds no error reply either. */
async function latestSample(): Promise<Sample | undefined> {
  const client = new Redis({ port: store().node.port, ...quiet });
  try {
    return await createStateStore(client).latestSample<Sample>('idle');
  } finally {
    client.disconnect();
  }
}

/** Every stored sample of the tenant (the ticks of this test). */
async function allSamples(): Promise<Sample[]> {
  const client = new Redis({ port: store().node.port, ...quiet });
  try {
    return await createStateStore(client).samples<Sample>('idle', 0, Number.MAX_SAFE_INTEGER);
  } finally {
    client.disconnect();
  }
}

const pct = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)];

/** Wall time of the fresh processes and of their samples. */
function printTimes(phase: string, runs: CliRun[]): void {
  const samples = runs.map((r) => JSON.parse(r.stdout).tenants[0].sample.durationMs as number);
  const walls = runs.map((r) => r.ms);
  console.log(
    `${phase}: ${runs.length} fresh-process ticks; sample ms p50 ${pct(samples, 50)} p99 ${pct(samples, 99)}; process ms p50 ${pct(walls, 50)} p99 ${pct(walls, 99)}`,
  );
}

/** Fresh-process ticks back to back at the real time for `ms`. */
async function tickFor(ms: number): Promise<CliRun[]> {
  const runs: CliRun[] = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const run = await sw('tick', '--tenant', 'idle', '--now', String(Date.now()), '--json');
    expect(run.code, run.stderr).toBe(0);
    runs.push(run);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return runs;
}

beforeAll(async () => {
  ({ cli, cleanup: cleanupCli } = await buildCli());
  const sentinel = legacy().sentinels[0];
  config = files.write('soakwatch.config.yml', {
    stateStore: { url: store().node.url },
    sampling: { budgetMs: 5_000, spotCheckKeys: 50, scanKeysPerTick: 200 },
    tenants: [
      {
        id: 'idle',
        legacy: {
          sentinel: { hosts: [`127.0.0.1:${sentinel?.port ?? 0}`], name: legacy().masterName },
          dbs: [0, 1, 2],
        },
        target: { url: target().url, cluster: true, dbMap: DB_MAP },
        soak: POLICY,
      },
    ],
  });
  // The same data on both sides; then nothing writes but soakwatch (and Redis itself).
  const seedTarget = new Cluster([{ host: '127.0.0.1', port: target().masters[0]?.port ?? 0 }], {
    redisOptions: { disableClientInfo: true },
  });
  const seedLegacy = [0, 1, 2].map((db) => new Redis({ port: legacy().primary.port, db, ...quiet }));
  const writes: Promise<unknown>[] = [];
  for (const [db, prefix] of Object.entries(DB_MAP))
    for (let i = 0; i < (COUNTS[db] ?? 0); i++) {
      const ttl = i % 3 === 0 ? ['EX', '86400'] : [];
      writes.push(seedLegacy[Number(db)]?.set(`k:${i}`, `v${i}`, ...(ttl as [])) ?? Promise.resolve());
      writes.push(seedTarget.set(`${prefix}k:${i}`, `v${i}`, ...(ttl as [])));
    }
  await Promise.all(writes);
  await seedLegacy[0]?.call('WAIT', '1', '2000');
  for (const c of seedLegacy) c.disconnect();
  seedTarget.disconnect();

  for (const n of [legacy().primary, ...legacy().replicas]) watch.add('legacy', n);
  for (const n of legacy().sentinels) watch.add('sentinel', n);
  for (const n of [...target().masters, ...target().replicas]) watch.add('target', n);
  baseline = await watch.read();
}, 180_000);

afterAll(() => {
  watch.close();
  cleanupCli?.();
  files.cleanup();
});

describe('soakwatch sends no command that fails (idle Redis 7.0 cluster, Sentinel legacy)', () => {
  it('reads INFO stats and errorstats on every node, Sentinel included', () => {
    expect(baseline.size).toBe(2 + 1 + 6);
    for (const [name, count] of baseline) expect(Number.isNaN(count.total), name).toBe(false);
  });

  it('causes no error reply in a minute of fresh-process ticks: replication, forced cutover, soak', async () => {
    const replication = await tickFor(REPLICATION_MS);
    await expectNoNewErrors('the replication-phase ticks');
    const reports = replication.map((r) => JSON.parse(r.stdout).tenants[0]);
    expect(reports.every((t) => t.ok && t.state === 'REPLICATING')).toBe(true);
    // The checks really ran: heartbeat, spot-check and the per-prefix SCAN.
    const checks = (await latestSample())?.checks as Record<string, Record<string, unknown>>;
    expect(checks.heartbeat).toHaveProperty('value');
    expect(checks.spotCheck?.checked, JSON.stringify(checks.spotCheck)).toBeGreaterThan(0);
    // The per-prefix SCAN runs in what is left of a sample's budget: on a loaded runner the latest sample
    // may have had none left, so the proof that it ran (and sent nothing that failed) is any tick's scan.
    const scanned = (await allSamples()).map(
      (x) =>
        ((x.checks as Record<string, Record<string, unknown>> | undefined)?.prefixCounts
          ?.scanned as number) ?? 0,
    );
    expect(Math.max(0, ...scanned), JSON.stringify(scanned)).toBeGreaterThan(0);

    const cutover = await sw(
      'cutover',
      '--tenant',
      'idle',
      '--actor',
      'test',
      '--force',
      '--reason',
      'own-errors test',
    );
    expect(cutover.code, cutover.stderr).toBe(0);
    const soak = await tickFor(SOAK_MS);
    expect(soak.every((r) => JSON.parse(r.stdout).tenants[0].state === 'SOAKING')).toBe(true);
    printTimes('replication', replication);
    printTimes('soak', soak);

    await expectNoNewErrors('the soak ticks');
  }, 120_000);

  it('causes no error reply with soakwatch check and compare --full', async () => {
    const check = await runCli(cli, [
      'check',
      '--legacy',
      legacy().primary.url,
      '--target',
      target().url,
      '--cluster',
      '--db-map',
      '0=,1=svc1:,2=svc2:',
      '--json',
    ]);
    // Exit 1 is a count difference (legacy holds the heartbeat key, no CDC copies it): not the subject here.
    expect([0, 1], check.stderr).toContain(check.code);
    expect(JSON.parse(check.stdout).nodes.every((n: { ok: boolean }) => n.ok)).toBe(true);
    const compare = await sw('compare', '--tenant', 'idle', '--full', '--actor', 'test', '--json');
    expect(compare.code, compare.stderr).toBe(0);
    expect(JSON.parse(compare.stdout)).toMatchObject({ done: true, mismatches: 0 });
    const spot = await sw('compare', '--tenant', 'idle', '--json');
    expect(spot.code, spot.stderr).toBe(0);

    await expectNoNewErrors('check and compare');
  }, 60_000);
});
