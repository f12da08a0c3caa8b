import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCluster, useReplicated, useStandalone } from '../support/topologies.js';
import { buildCli, type CliRun, linesOf, runCli, tempFiles } from './cliHarness.js';

// The config-driven commands (tick, status, actions, replay, compare) as a user runs them: the built
// dist/cli.js against a Sentinel-fronted legacy, a 3-master cluster target and a standalone state store.
const legacy = useReplicated({ replicas: 1, sentinels: 1 });
const target = useCluster({ masters: 3, replicasPerMaster: 0, config: { maxmemory: '64mb' } });
const store = useStandalone();

const DB_MAP = { '0': '', '1': 'svc1:', '2': 'svc2:' };
const COUNTS: Record<string, number> = { '0': 30, '1': 20, '2': 10 };
const T0 = Date.parse('2026-01-01T00:00:00Z');
const SECOND = 1_000;

/** The live policy: compressed to seconds so a whole migration runs in the test. */
const LIVE_POLICY = {
  sampleInterval: '1s',
  minCoverage: 0.5,
  maxResets: 3,
  replication: {
    readyAfter: '3s',
    criteria: [{ id: 'key-drift', metric: 'keyDrift', aggregate: 'max', window: '3s', threshold: 3 }],
  },
  soak: {
    duration: '3s',
    criteria: [
      { id: 'evictions', metric: 'targetEvictions', aggregate: 'sum', window: '3s', threshold: 0 },
      {
        id: 'memory',
        metric: 'targetMemoryPct',
        aggregate: 'max',
        window: '3s',
        threshold: 90,
        severity: 'warn',
      },
    ],
  },
};

/** Stricter: any drift at all, zero included, breaches — the tenant could never have been ready. */
const STRICT_POLICY = {
  ...LIVE_POLICY,
  replication: {
    readyAfter: '3s',
    criteria: [
      { id: 'key-drift', metric: 'keyDrift', aggregate: 'max', window: '3s', op: '>=', threshold: 0 },
    ],
  },
};

let cli: string;
let cleanupCli: () => void;
const files = tempFiles();
let config: string;
const legacyDbs: Redis[] = [];
let targetClient: Cluster;

function tenant(id: string) {
  const sentinel = legacy().sentinels[0];
  return {
    id,
    legacy: {
      sentinel: { hosts: [`127.0.0.1:${sentinel?.port ?? 0}`], name: legacy().masterName },
      dbs: [0, 1, 2],
      // No CDC tool runs here: a heartbeat would never arrive on the target.
      heartbeat: { enabled: false },
    },
    target: { url: target().url, cluster: true, dbMap: DB_MAP },
    soak: LIVE_POLICY,
  };
}

function sw(...args: (string | { interruptOn: RegExp })[]): Promise<CliRun> {
  const last = args.at(-1);
  const opts = typeof last === 'object' ? last : {};
  const words = args.filter((a): a is string => typeof a === 'string');
  return runCli(cli, ['--config', config, ...words], opts);
}
const at = (ms: number) => String(T0 + ms);
const jsonOf = (run: CliRun) => JSON.parse(run.stdout);

beforeAll(async () => {
  ({ cli, cleanup: cleanupCli } = await buildCli());
  config = files.write('soakwatch.config.yml', {
    stateStore: { url: store().node.url },
    sampling: { budgetMs: 3_000, spotCheckKeys: 20 },
    tenants: [tenant('acme'), tenant('beta')],
  });
  targetClient = new Cluster([{ host: '127.0.0.1', port: target().masters[0]?.port ?? 0 }]);
  for (const db of [0, 1, 2]) legacyDbs[db] = new Redis({ port: legacy().primary.port, db });
  const writes: Promise<unknown>[] = [];
  for (const [db, prefix] of Object.entries(DB_MAP))
    for (let i = 0; i < (COUNTS[db] ?? 0); i++) {
      writes.push(legacyDbs[Number(db)]?.set(`k:${i}`, `v${i}`) ?? Promise.resolve());
      writes.push(targetClient.set(`${prefix}k:${i}`, `v${i}`));
    }
  await Promise.all(writes);
  // compare reads legacy from the replica: it must hold the data too.
  await legacyDbs[0]?.call('WAIT', '1', '2000');
});

afterAll(() => {
  for (const c of legacyDbs) c.disconnect();
  targetClient?.disconnect();
  cleanupCli?.();
  files.cleanup();
});

describe('soakwatch tick and status', () => {
  it('samples, stores and judges one tenant like the Lambda, and prints JSON with --json', async () => {
    const run = await sw('tick', '--tenant', 'acme', '--now', at(0), '--json');

    expect(run.code).toBe(0);
    const report = jsonOf(run);
    expect(report.at).toBe(T0);
    expect(report.tenants).toHaveLength(1);
    expect(report.tenants[0]).toMatchObject({
      tenant: 'acme',
      ok: true,
      state: 'REPLICATING',
      sample: { at: T0, complete: true, failedNodes: [] },
    });
    expect(report.tenants[0].verdict.criteria[0]).toMatchObject({ id: 'key-drift', status: 'ok', value: 0 });
  });

  it('reaches CUTOVER_READY after readyAfter of clean ticks stepped with --now', async () => {
    const states: string[] = [];
    for (let i = 1; i <= 5 && states.at(-1) !== 'CUTOVER_READY'; i++) {
      const run = await sw('tick', '--tenant', 'acme', '--now', at(i * SECOND), '--json');
      expect(run.code).toBe(0);
      states.push(jsonOf(run).tenants[0].state);
    }

    expect(states.at(-1)).toBe('CUTOVER_READY');
    expect(states.length).toBeGreaterThanOrEqual(3);
  });

  it('reports the status as JSON with tenant, state, coverage, clock, criteria and resets', async () => {
    const run = await sw('status', '--tenant', 'acme', '--json', '--now', at(4 * SECOND));

    expect(run.code).toBe(0);
    const status = jsonOf(run);
    expect(status).toMatchObject({ tenant: 'acme', state: 'CUTOVER_READY', judged: true, resets: [] });
    expect(status.coverage).toBeGreaterThanOrEqual(0.5);
    expect(typeof status.elapsedMs).toBe('number');
    expect(status).toHaveProperty('remainingMs');
    expect(status.criteria).toEqual([expect.objectContaining({ id: 'key-drift', status: 'ok', value: 0 })]);
    expect(status.lastSample).toMatchObject({ complete: true });
  });

  it('prints every tenant, and a readable status, without --tenant and --json', async () => {
    const all = await sw('status', '--json', '--now', at(4 * SECOND));
    const human = await sw('status', '--tenant', 'acme', '--now', at(4 * SECOND));

    expect(all.code).toBe(0);
    expect(jsonOf(all).map((s: { tenant: string }) => s.tenant)).toEqual(['acme', 'beta']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^tenant acme: CUTOVER_READY/);
    expect(human.stdout).toMatch(/key-drift\s+keyDrift\s+ok\s+0\s+0\s+max > 3/);
  });

  it('runs a whole migration: cutover, soak to PASSED, approve, scaled-down', async () => {
    const cutover = await sw(
      'cutover',
      '--tenant',
      'acme',
      '--actor',
      'rm@acme',
      '--reason',
      'window 42',
      '--now',
      at(4_500),
    );
    expect(cutover.code).toBe(0);
    expect(cutover.stdout.trim()).toBe('acme: CUTOVER_READY → SOAKING (cutover) by rm@acme');

    let state = 'SOAKING';
    for (let i = 5; i <= 10 && state !== 'PASSED'; i++) {
      const run = await sw('tick', '--tenant', 'acme', '--now', at(i * SECOND), '--json');
      expect(run.code).toBe(0);
      state = jsonOf(run).tenants[0].state;
    }
    expect(state).toBe('PASSED');
    const passedAt = jsonOf(await sw('status', '--tenant', 'acme', '--json', '--now', at(11 * SECOND)));
    expect(passedAt).toMatchObject({ state: 'PASSED', remainingMs: 0 });

    const approve = await sw('approve', '--tenant', 'acme', '--actor', 'rm@acme', '--now', at(11 * SECOND));
    const done = await sw(
      'scaled-down',
      '--tenant',
      'acme',
      '--actor',
      'ops@acme',
      '--now',
      at(12 * SECOND),
      '--json',
    );

    expect(approve.code).toBe(0);
    expect(approve.stdout).toContain('PASSED → SCALE_DOWN_APPROVED');
    expect(done.code).toBe(0);
    expect(jsonOf(done)).toMatchObject({ tenant: 'acme', state: 'SCALED_DOWN' });
  });

  it('exits 2 naming an unknown tenant', async () => {
    const tick = await sw('tick', '--tenant', 'nope');
    const status = await sw('status', '--tenant', 'nope');

    expect(tick.code).toBe(2);
    expect(linesOf(tick.stderr)).toEqual(['soakwatch: unknown tenant "nope"']);
    expect(status.code).toBe(2);
    expect(linesOf(status.stderr)).toEqual(['soakwatch: unknown tenant "nope"']);
  });

  it('exits 2 with a bad --now', async () => {
    const run = await sw('tick', '--tenant', 'acme', '--now', 'yesterday');

    expect(run.code).toBe(2);
    expect(linesOf(run.stderr)).toEqual([
      'soakwatch: --now: "yesterday" is not a time (epoch ms or ISO-8601)',
    ]);
  });

  it('exits 2 on a bad config file, listing every invalid path and no password', async () => {
    const bad = files.write('bad.yml', {
      stateStore: { url: 'http://:store-secret-pw@127.0.0.1:1' },
      tenants: [
        {
          id: 'Acme',
          legacy: { url: 'redis://:legacy-secret-pw@127.0.0.1:1', dbs: [0, 1] },
          target: { url: 'ftp://x', dbMap: { '0': 'a:', '1': 'a:b:' } },
          soak: { minCoverage: 3, sampleInterval: 'soon' },
        },
        {
          id: 'acme2',
          legacy: { url: 'redis://127.0.0.1:1' },
          target: { url: 'redis://127.0.0.1:1' },
          extra: 1,
        },
      ],
    });

    const run = await runCli(cli, ['tick', '--config', bad]);

    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    const lines = linesOf(run.stderr);
    expect(lines[0]).toBe(`soakwatch: invalid configuration ${bad}:`);
    for (const path of [
      'stateStore.url',
      'tenants[0].id',
      'tenants[0].target.url',
      'tenants[0].soak.minCoverage',
      'tenants[0].soak.sampleInterval',
      'tenants[1]',
    ])
      expect(lines).toContainEqual(
        expect.stringMatching(new RegExp(`^  ${path.replace(/[[\].]/g, '\\$&')}: `)),
      );
    expect(run.stderr).not.toMatch(/secret-pw/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 naming a missing config file', async () => {
    const run = await runCli(cli, ['status', '--config', '/nonexistent/soakwatch.yml']);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /invalid configuration \/nonexistent\/soakwatch\.yml:\n {2}\(root\): cannot read the file \(ENOENT\)/,
    );
  });

  it('exits 2 with one line naming an unreachable state store, and still ends', async () => {
    const noStore = files.write('no-store.yml', {
      stateStore: { url: 'redis://:store-secret-pw@127.0.0.1:1' },
      tenants: [tenant('acme')],
    });

    const run = await runCli(cli, ['status', '--config', noStore], { timeoutMs: 10_000 });

    expect(run.code).toBe(2);
    expect(linesOf(run.stderr)).toEqual([
      expect.stringMatching(/^soakwatch: cannot connect to the state store redis:\/\/\*+@127\.0\.0\.1:1: /),
    ]);
    expect(run.stderr).not.toContain('store-secret-pw');
  });
});

describe('soakwatch release-manager actions', () => {
  it('refuses approve from REPLICATING with the reason and exit code 1', async () => {
    const run = await sw('approve', '--tenant', 'beta', '--actor', 'alice');

    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(linesOf(run.stderr)).toEqual([
      'soakwatch: approve refused for tenant beta: approve is possible from PASSED only; the state is REPLICATING',
    ]);
  });

  it('refuses a forced cutover without a reason, and scaled-down before approval', async () => {
    const cutover = await sw('cutover', '--tenant', 'beta', '--actor', 'alice', '--force');
    const scaled = await sw('scaled-down', '--tenant', 'beta', '--actor', 'alice');

    expect(cutover.code).toBe(1);
    expect(cutover.stderr).toMatch(/a forced cutover from REPLICATING needs a reason/);
    expect(scaled.code).toBe(1);
    expect(scaled.stderr).toMatch(/scaled-down is possible from SCALE_DOWN_APPROVED only/);
  });

  it('cuts over from REPLICATING with --force and a reason, and audits it', async () => {
    const run = await sw(
      'cutover',
      '--tenant',
      'beta',
      '--actor',
      'alice',
      '--force',
      '--reason',
      'hotfix 7',
    );
    const status = jsonOf(await sw('status', '--tenant', 'beta', '--json'));

    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe('beta: REPLICATING → SOAKING (cutover) by alice');
    expect(status.state).toBe('SOAKING');
    expect(status.audit).toContainEqual(
      expect.objectContaining({
        actor: 'alice',
        action: 'cutover',
        from: 'REPLICATING',
        to: 'SOAKING',
        reason: expect.stringContaining('hotfix 7'),
      }),
    );
  });

  it('aborts, then restarts back to REPLICATING, both audited', async () => {
    const abort = await sw('abort', '--tenant', 'beta', '--actor', 'bob', '--reason', 'rollback');
    const restart = await sw('restart', '--tenant', 'beta', '--actor', 'bob', '--json');
    const status = jsonOf(await sw('status', '--tenant', 'beta', '--json'));

    expect(abort.code).toBe(0);
    expect(abort.stdout.trim()).toBe('beta: SOAKING → ABORTED (aborted) by bob');
    expect(restart.code).toBe(0);
    expect(jsonOf(restart)).toMatchObject({
      tenant: 'beta',
      state: 'REPLICATING',
      transition: { from: 'ABORTED', to: 'REPLICATING', kind: 'restarted', actor: 'bob' },
    });
    expect(status.state).toBe('REPLICATING');
    expect(status.audit.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(['cutover', 'aborted', 'restarted']),
    );
  });

  it('exits 2 for an unknown tenant and for a missing --actor', async () => {
    const unknown = await sw('abort', '--tenant', 'nope', '--actor', 'bob');
    const noActor = await sw('abort', '--tenant', 'beta');
    const blankActor = await sw('abort', '--tenant', 'beta', '--actor', ' ');

    expect(unknown.code).toBe(2);
    expect(linesOf(unknown.stderr)).toEqual(['soakwatch: unknown tenant "nope"']);
    expect(noActor.code).toBe(2);
    expect(noActor.stderr).toMatch(/required option '--actor <name>' not specified/);
    expect(blankActor.code).toBe(2);
    expect(blankActor.stderr).toMatch(/actor/);
  });
});

describe('soakwatch replay', () => {
  it('replays the live policy into the live timeline', async () => {
    const policy = files.write('live.yml', LIVE_POLICY);

    const run = await sw('replay', '--tenant', 'acme', '--policy', policy, '--json');

    expect(run.code).toBe(0);
    const replay = jsonOf(run);
    expect(replay.timeline.map((t: { from: string; to: string }) => `${t.from}→${t.to}`)).toEqual([
      'REPLICATING→CUTOVER_READY',
      'CUTOVER_READY→SOAKING',
      'SOAKING→PASSED',
      'PASSED→SCALE_DOWN_APPROVED',
      'SCALE_DOWN_APPROVED→SCALED_DOWN',
    ]);
    expect(replay.refused).toEqual([]);
    expect(replay.final.state).toBe('SCALED_DOWN');
  });

  it('prints a different verdict timeline with a stricter policy: the threshold breaches, the cutover is refused', async () => {
    const policy = files.write('strict.yml', STRICT_POLICY);

    const human = await sw('replay', '--tenant', 'acme', '--policy', policy);
    const json = await sw('replay', '--tenant', 'acme', '--policy', policy, '--json');

    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^replayed \d+ samples from 2026-01-01T00:00:00Z to /);
    expect(human.stdout).toMatch(/\ntimeline \(0 transitions\):\n {2}\(no transitions\)/);
    expect(human.stdout).toMatch(
      /verdicts \(1 changes over \d+ samples\):\n.*Z {2}REPLICATING {2}firing: key-drift/,
    );
    // The release manager's actions of the live run meet a state that never became ready.
    expect(human.stdout).toMatch(
      /refused actions \(3\):\n.*cutover by rm@acme: cutover is possible from CUTOVER_READY only/,
    );
    expect(human.stdout).toMatch(/approve by rm@acme: approve is possible from PASSED only/);
    expect(json.code).toBe(0);
    const replay = jsonOf(json);
    expect(replay.timeline).toEqual([]);
    expect(replay.verdicts[0]).toMatchObject({ at: T0, state: 'REPLICATING', firing: ['key-drift'] });
    expect(replay.refused.map((r: { action: { type: string } }) => r.action.type)).toEqual([
      'cutover',
      'approve',
      'scaled-down',
    ]);
    expect(replay.refused[0]).toMatchObject({ at: T0 + 4_500 });
    expect(replay.final).toMatchObject({ state: 'REPLICATING' });
  });

  it('replays only the samples between --from and --to', async () => {
    const policy = files.write('live.yml', LIVE_POLICY);

    const run = await sw(
      'replay',
      '--tenant',
      'acme',
      '--policy',
      policy,
      '--from',
      at(0),
      '--to',
      at(2 * SECOND),
      '--json',
    );

    expect(run.code).toBe(0);
    const replay = jsonOf(run);
    expect(replay.timeline).toEqual([]);
    expect(replay.final).toMatchObject({ state: 'REPLICATING', lastSampleAt: T0 + 2 * SECOND });
  });

  it('exits 2 on a bad policy file, listing every invalid path', async () => {
    const policy = files.write('bad-policy.yml', {
      sampleInterval: 'soon',
      minCoverage: 2,
      replication: { criteria: [{ id: 'x', metric: 'nope', threshold: 1 }] },
      bogus: true,
    });

    const run = await sw('replay', '--tenant', 'acme', '--policy', policy);

    expect(run.code).toBe(2);
    const lines = linesOf(run.stderr);
    expect(lines[0]).toBe(`soakwatch: invalid configuration ${policy}:`);
    for (const path of ['sampleInterval', 'minCoverage', 'replication.criteria[0].metric', '(root)'])
      expect(lines).toContainEqual(
        expect.stringMatching(new RegExp(`^  ${path.replace(/[[\]().]/g, '\\$&')}: `)),
      );
  });

  it('exits 2 naming --policy when the file cannot be read', async () => {
    const run = await sw('replay', '--tenant', 'acme', '--policy', '/nonexistent/policy.yml');

    expect(run.code).toBe(2);
    expect(linesOf(run.stderr)).toEqual([
      expect.stringMatching(/^soakwatch: --policy: cannot read \/nonexistent\/policy\.yml: ENOENT/),
    ]);
  });
});

describe('soakwatch compare', () => {
  it('finds 0 mismatches on identical data with a spot-check and with --full (exit 0)', async () => {
    const spot = await sw('compare', '--tenant', 'acme');
    const full = await sw('compare', '--tenant', 'acme', '--full', '--json');

    expect(spot.code).toBe(0);
    expect(spot.stdout).toMatch(/^spot-check of acme: \d+ keys checked, 0 mismatches/);
    expect(full.code).toBe(0);
    expect(jsonOf(full)).toMatchObject({ done: true, mismatches: 0, checked: 60 });
  });

  it('exits 1 and shows the class when a value differs', async () => {
    // Every key of db 2 differs on the target, so a random spot-check cannot miss it.
    await Promise.all(Array.from({ length: 10 }, (_, i) => targetClient.set(`svc2:k:${i}`, 'changed')));
    try {
      const spot = await sw('compare', '--tenant', 'acme', '--json');
      const full = await sw('compare', '--tenant', 'acme', '--full');

      expect(spot.code).toBe(1);
      const result = jsonOf(spot);
      expect(result.mismatches).toBeGreaterThan(0);
      expect(result.byClass.value.count).toBe(result.mismatches);
      expect(full.code).toBe(1);
      expect(full.stdout).toMatch(/^full compare of acme: 60 keys compared in [\d.]+ s, 10 mismatches/);
      expect(full.stdout).toMatch(/^value\s+10\s+\[db2\] k:\d/m);
      expect(full.stdout).toMatch(/^missing\s+0\s/m);
    } finally {
      await Promise.all(Array.from({ length: 10 }, (_, i) => targetClient.set(`svc2:k:${i}`, `v${i}`)));
    }
  });

  it('saves the cursor of --full on Ctrl-C (exit 2) and resumes from it on the next run', async () => {
    const interrupted = await sw('compare', '--tenant', 'acme', '--full', '--keys-per-second', '20', {
      interruptOn: /%/,
    });
    const resumed = await sw('compare', '--tenant', 'acme', '--full', '--json');

    expect(interrupted.code).toBe(2);
    expect(interrupted.stdout).toMatch(
      /^full compare of acme interrupted after \d+ keys; run again to resume \(--restart to start over\)/,
    );
    expect(resumed.code).toBe(0);
    expect(jsonOf(resumed)).toMatchObject({ done: true, mismatches: 0, checked: 60 });
  });

  it('exits 2 on a bad --keys-per-second', async () => {
    const run = await sw('compare', '--tenant', 'acme', '--full', '--keys-per-second', 'fast');

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--keys-per-second.*must be a number above 0/);
  });
});

describe('soakwatch process', () => {
  it('ends on its own after tick, status, an action, replay and compare (the exit guard never fires)', async () => {
    const policy = files.write('live.yml', LIVE_POLICY);
    const runs = [
      await sw('-v', 'tick', '--tenant', 'beta'),
      await sw('-v', 'status'),
      await sw('-v', 'abort', '--tenant', 'beta', '--actor', 'bob'),
      await sw('-v', 'replay', '--tenant', 'acme', '--policy', policy),
      await sw('-v', 'compare', '--tenant', 'acme'),
    ];

    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0, 0]);
    for (const run of runs) expect(run.stderr).not.toContain('open handles');
  });
});
