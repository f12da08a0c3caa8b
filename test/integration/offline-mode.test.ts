import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import type { SoakEvent } from '../../src/soak/index.js';
import { useCluster, useStandalone } from '../support/topologies.js';
import { buildCli, type CliRun, runCli, tempFiles } from './cliHarness.js';
import { compressedPolicy, type Harness, messagesOf, openHarness } from './scenarios/fixture.js';

// An offline migration (no CDC): the data is copied once, then `soakwatch compare --full` compares
// every key. The tenant is ready for cutover at the first tick after a clean full compare, never on
// the spot-checks alone; a compare that finds mismatches keeps it back and fires as `full-compare`.
// Real Redis: a standalone legacy (2 dbs), a 2-master cluster target (db 1 under a prefix), the
// built command line for the compare and the real tick (runtime) for the judge.

const legacy = useStandalone();
const target = useCluster({ masters: 2, replicasPerMaster: 0 });
const store = useStandalone();

const DB_MAP = { '0': '', '1': 'svc1:' };
const KEYS = { 0: 30, 1: 20 } as const;
const TOTAL = KEYS[0] + KEYS[1];

let cli: string;
let cleanupCli: () => void;
const files = tempFiles();
let configFile: string;
let h: Harness;
const legacyDbs: Redis[] = [];
let targetClient: Cluster;

/** An offline tenant: no heartbeat (nothing replicates), replication criteria only as evidence. */
function tenant(id: string) {
  return {
    id,
    legacy: { url: legacy().node.url, dbs: [0, 1], heartbeat: { enabled: false } },
    target: { url: target().url, cluster: true, dbMap: DB_MAP },
    soak: compressedPolicy({
      mode: 'offline',
      // Ticks here come when a compare has finished (seconds apart, irregular), not once a second: with
      // the interval saying so and key-drift on the latest sample, each tick is judged on its own sample
      // (not found short of samples, nor holding a drift the target no longer has).
      sampleInterval: '1m',
      replication: {
        readyAfter: '3s',
        criteria: [
          { id: 'key-drift', metric: 'keyDrift', aggregate: 'last', window: '3s', threshold: 0 },
          { id: 'spot-check', metric: 'spotCheckMismatches', aggregate: 'sum', window: '3s', threshold: 0 },
        ],
      },
    }),
  };
}

beforeAll(async () => {
  ({ cli, cleanup: cleanupCli } = await buildCli());
  configFile = files.write('soakwatch.config.yml', {
    stateStore: { url: store().node.url, keyPrefix: 'offline-mode:' },
    notifications: {
      alertTopicArn: 'arn:aws:sns:us-east-1:000000000000:soakwatch-alerts',
      releaseTopicArn: 'arn:aws:sns:us-east-1:000000000000:soakwatch-release',
      repeatEvery: '30m',
    },
    sampling: { commandTimeoutMs: 800, connectTimeoutMs: 1_000, budgetMs: 3_000, spotCheckKeys: 10 },
    tenants: [tenant('clean'), tenant('dirty'), tenant('stopped')],
  });
  h = await openHarness(loadConfig(configFile));
  targetClient = new Cluster([{ host: '127.0.0.1', port: target().masters[0]?.port ?? 0 }]);
  for (const db of [0, 1]) legacyDbs[db] = new Redis({ port: legacy().node.port, db });
  // The one-time copy of an offline migration: the same keys on both sides.
  const writes: Promise<unknown>[] = [];
  for (const [db, prefix] of Object.entries(DB_MAP))
    for (let i = 0; i < KEYS[Number(db) as 0 | 1]; i++) {
      writes.push(legacyDbs[Number(db)]?.set(`k:${i}`, `v${i}`) ?? Promise.resolve());
      writes.push(targetClient.set(`${prefix}k:${i}`, `v${i}`));
    }
  await Promise.all(writes);
});

afterAll(async () => {
  for (const c of legacyDbs) c.disconnect();
  targetClient?.disconnect();
  await h?.close();
  cleanupCli?.();
  files.cleanup();
});

function compareFull(tenantId: string, ...more: (string | { interruptOn: RegExp })[]): Promise<CliRun> {
  const last = more.at(-1);
  const opts = typeof last === 'object' ? last : {};
  const words = more.filter((a): a is string => typeof a === 'string');
  return runCli(cli, ['--config', configFile, 'compare', '--tenant', tenantId, '--full', ...words], {
    ...opts,
    timeoutMs: 30_000,
  });
}

const fullCompareEvents = async (tenantId: string) =>
  (await h.clients.store.events<SoakEvent>(tenantId, 0, Date.now() + 60_000)).filter(
    (e) => e.type === 'FullCompare',
  );

describe('offline mode on real Redis', () => {
  it('becomes CUTOVER_READY at the first tick after a clean compare --full, not on spot-checks', async () => {
    const before = [await h.tick('clean', Date.now()), await h.tick('clean', Date.now() + 1)];
    expect(before.map((r) => r.state)).toEqual(['REPLICATING', 'REPLICATING']);
    expect(before[1]?.verdict?.criteria.find((c) => c.id === 'full-compare')).toMatchObject({
      status: 'nodata',
    });

    const run = await compareFull('clean', '--actor', 'alice');
    const after = await h.tick('clean', Date.now());

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(`^full compare of clean: ${TOTAL} keys compared in [\\d.]+ s, 0 mismatches`),
    );
    expect(run.stdout).toMatch(
      /recorded for tenant clean by alice as event FullCompare \(full-compare:\d+\); offline mode: the next tick judges it/,
    );
    expect(await fullCompareEvents('clean')).toEqual([
      expect.objectContaining({
        source: 'manual',
        actor: 'alice',
        checked: TOTAL,
        mismatches: 0,
        unverified: 0,
      }),
    ]);
    expect(await h.audit('clean')).toContainEqual(
      expect.objectContaining({
        actor: 'alice',
        action: 'full-compare',
        detail: expect.objectContaining({ checked: TOTAL, mismatches: 0 }),
      }),
    );
    expect(after.state).toBe('CUTOVER_READY');
    expect(after.transitions).toEqual([
      expect.objectContaining({
        kind: 'ready',
        reason: expect.stringMatching(
          new RegExp(`^full compare clean: ${TOTAL} keys compared, 0 mismatches \\(completed \\d{4}-`),
        ),
      }),
    ]);
    expect(after.verdict?.firing).toEqual([]);
  });

  it('keeps a tenant back when the full compare finds mismatches, alerts on full-compare, and a clean one releases it', async () => {
    await h.tick('dirty', Date.now());
    // The target lost a key and holds a different value: what a broken one-time copy leaves behind.
    await targetClient.del('k:5');
    await targetClient.set('svc1:k:3', 'changed');

    let run: CliRun;
    let report: Awaited<ReturnType<Harness['tick']>>;
    try {
      run = await compareFull('dirty');
      report = await h.tick('dirty', Date.now());
    } finally {
      await targetClient.set('k:5', 'v5');
      await targetClient.set('svc1:k:3', 'v3');
    }

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/, 2 mismatches/);
    expect(report.state).toBe('REPLICATING');
    expect(report.transitions).toEqual([]);
    expect(report.verdict?.firing).toContainEqual(
      expect.objectContaining({ id: 'full-compare', status: 'breach', value: 2, severity: 'critical' }),
    );
    // The lost key is also seen by the live key counts (and the changed value may be by a spot-check):
    // true alarms of the same damage, nothing else.
    for (const f of report.verdict?.firing ?? [])
      expect(['full-compare', 'key-drift', 'spot-check']).toContain(f.id);
    expect(report.verdict?.fullCompare?.summary).toMatch(
      /2 mismatches \((missing 1, value 1|value 1, missing 1)\)/,
    );
    const alerts = messagesOf(h, 'dirty', 'alert');
    expect(alerts.at(-1)?.body).toContain('full-compare: fullCompareMismatches is 2, threshold > 0');

    const again = await compareFull('dirty');
    const released = await h.tick('dirty', Date.now());

    expect(again.code).toBe(0);
    expect(released.state).toBe('CUTOVER_READY');
    expect(released.verdict?.firing).toEqual([]);
    expect(messagesOf(h, 'dirty', 'resolved')).toHaveLength(1);
  });

  it('records nothing when the compare is interrupted (Ctrl-C), and the tenant stays REPLICATING', async () => {
    await h.tick('stopped', Date.now());

    const run = await compareFull('stopped', '--keys-per-second', '10', { interruptOn: /%/ });
    const report = await h.tick('stopped', Date.now());

    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/^full compare of stopped interrupted after \d+ keys/);
    expect(run.stdout).not.toContain('recorded');
    expect(await fullCompareEvents('stopped')).toEqual([]);
    expect((await h.audit('stopped')).filter((a) => a.action === 'full-compare')).toEqual([]);
    expect(report.state).toBe('REPLICATING');
  });
});
