import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCluster, useReplicated, useStandalone } from '../support/topologies.js';
import { buildCli, type CliRun, linesOf, runCli } from './cliHarness.js';

// `soakwatch check` as a user runs it: the built dist/cli.js in a child process, against a
// Sentinel-fronted legacy (its primary URL) and a 3-master cluster target.
const legacy = useReplicated({ replicas: 1, sentinels: 1 });
const target = useCluster({ masters: 3, replicasPerMaster: 0 });
const secured = useStandalone({ password: 'hunter2-secret' });

const DB_MAP = '0=,1=svc1:,2=svc2:';
const PREFIX: Record<number, string> = { 0: '', 1: 'svc1:', 2: 'svc2:' };
const COUNTS: Record<number, number> = { 0: 30, 1: 20, 2: 10 };

let cli: string;
let cleanup: () => void;
const legacyDbs: Redis[] = [];
let targetClient: Cluster;

const check = (...args: string[]): Promise<CliRun> => runCli(cli, ['check', ...args]);
const both = () => ['--legacy', legacy().primary.url, '--target', target().url, '--cluster'];

beforeAll(async () => {
  ({ cli, cleanup } = await buildCli());
  targetClient = new Cluster([{ host: '127.0.0.1', port: target().masters[0]?.port ?? 0 }]);
  for (const db of [0, 1, 2]) legacyDbs[db] = new Redis({ port: legacy().primary.port, db });
  for (const db of [0, 1, 2]) {
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < (COUNTS[db] ?? 0); i++) {
      writes.push(legacyDbs[db]?.set(`k:${i}`, `v${i}`) ?? Promise.resolve());
      writes.push(targetClient.set(`${PREFIX[db]}k:${i}`, `v${i}`));
    }
    await Promise.all(writes);
  }
});

afterAll(() => {
  for (const c of legacyDbs) c.disconnect();
  targetClient?.disconnect();
  cleanup?.();
});

describe('soakwatch check', () => {
  it('exits 0 with consistent: true and per-db legacyKeys/targetKeys when both sides match', async () => {
    const run = await check(...both(), '--db-map', DB_MAP, '--json');

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.consistent).toBe(true);
    expect(result.dbs).toEqual([
      expect.objectContaining({ db: 0, prefix: '', legacyKeys: 30, targetKeys: 30, drift: 0 }),
      expect.objectContaining({ db: 1, prefix: 'svc1:', legacyKeys: 20, targetKeys: 20, drift: 0 }),
      expect.objectContaining({ db: 2, prefix: 'svc2:', legacyKeys: 10, targetKeys: 10, drift: 0 }),
    ]);
    // Every node of both clusters was read: the legacy primary and replica, the three masters.
    expect(result.nodes.filter((n: { side: string }) => n.side === 'target')).toHaveLength(3);
    expect(result.nodes.every((n: { ok: boolean }) => n.ok)).toBe(true);
  });

  it('prints a readable table of key counts and nodes without --json', async () => {
    const run = await check(...both(), '--db-map', DB_MAP);

    expect(run.code).toBe(0);
    const lines = linesOf(run.stdout);
    expect(lines).toContainEqual(expect.stringMatching(/^db\s+prefix\s+legacy keys\s+target keys\s+drift/));
    expect(lines).toContainEqual(expect.stringMatching(/^\s*1\s+svc1:\s+20\s+20\s+0\s/));
    expect(lines).toContainEqual(expect.stringMatching(/^target\s+127\.0\.0\.1:\d+\s+master\s.*\sok$/));
    expect(lines.at(-1)).toMatch(/^CONSISTENT/);
  });

  it('exits 1 with consistent: false and the drift of the db that differs', async () => {
    await legacyDbs[2]?.set('k:only-on-legacy', 'x');
    try {
      const json = await check(...both(), '--db-map', DB_MAP, '--json');
      const human = await check(...both(), '--db-map', DB_MAP);

      expect(json.code).toBe(1);
      const result = JSON.parse(json.stdout);
      expect(result.consistent).toBe(false);
      expect(result.dbs[2]).toMatchObject({ db: 2, legacyKeys: 11, targetKeys: 10, drift: -1 });
      expect(result.dbs[0]).toMatchObject({ drift: 0 });
      expect(human.code).toBe(1);
      expect(linesOf(human.stdout).at(-1)).toMatch(/^NOT CONSISTENT/);
    } finally {
      await legacyDbs[2]?.del('k:only-on-legacy');
    }
  });

  it('exits 2 with one line naming the unreachable target, no stack trace', async () => {
    const run = await check('--legacy', legacy().primary.url, '--target', 'redis://127.0.0.1:1', '--cluster');

    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(linesOf(run.stderr)).toEqual([
      expect.stringMatching(/^soakwatch: cannot read the target cluster at 127\.0\.0\.1:1: .*ECONNREFUSED/),
    ]);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 naming --cluster when the target is not in cluster mode, and when it is but the flag is missing', async () => {
    const single = secured().node.url.replace('redis://', 'redis://:hunter2-secret@');
    const standalone = await check('--legacy', legacy().primary.url, '--target', single, '--cluster');
    const cluster = await check(
      '--legacy',
      legacy().primary.url,
      '--target',
      target().url,
      '--db-map',
      DB_MAP,
    );

    expect(standalone.code).toBe(2);
    expect(linesOf(standalone.stderr)).toEqual([expect.stringMatching(/^soakwatch: --cluster: /)]);
    expect(cluster.code).toBe(2);
    expect(linesOf(cluster.stderr)).toEqual([
      expect.stringMatching(/^soakwatch: --cluster: the target is a cluster-mode node/),
    ]);
  });

  it.each([
    ['0=,x', /--db-map: "x" is not db=prefix/],
    ['99=', /--db-map: "99=" is not db=prefix/],
    ['0=a:,0=b:', /--db-map: db 0 is mapped twice/],
    ['1=svc:,2=svc:orders:', /--db-map: prefix "svc:orders:" of db 2 overlaps prefix "svc:" of db 1/],
  ])('exits 2 naming --db-map for a bad map %s', async (map, message) => {
    const run = await check(...both(), '--db-map', map);

    expect(run.code).toBe(2);
    expect(linesOf(run.stderr)).toEqual([expect.stringMatching(message)]);
  });

  it('exits 2 naming the flag of a URL that is not redis:// and never echoes its password', async () => {
    const badLegacy = await check('--legacy', 'http://admin:s3cret-pw@127.0.0.1:1', '--target', target().url);
    const badTarget = await check('--legacy', legacy().primary.url, '--target', 'https://u:s3cret-pw@x');

    expect(badLegacy.code).toBe(2);
    expect(linesOf(badLegacy.stderr)).toEqual(['soakwatch: --legacy: must be redis:// or rediss://']);
    expect(badTarget.code).toBe(2);
    expect(linesOf(badTarget.stderr)).toEqual(['soakwatch: --target: must be redis:// or rediss://']);
  });

  it('never echoes a password in a URL: not in the output, not in a connection error', async () => {
    const url = secured().node.url.replace('redis://', 'redis://:hunter2-secret@');
    const wrong = secured().node.url.replace('redis://', 'redis://:wrong-secret-pw@');

    const ok = await check('--legacy', url, '--target', url, '--json');
    const human = await check('--legacy', url, '--target', url);
    const refused = await check('--legacy', wrong, '--target', url);

    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).legacy).toMatch(/^redis:\/\/:\*+@127\.0\.0\.1:\d+$/);
    expect(human.code).toBe(0);
    expect(refused.code).toBe(2);
    expect(linesOf(refused.stderr)).toEqual([
      expect.stringMatching(/^soakwatch: cannot read the legacy cluster/),
    ]);
    for (const run of [ok, human, refused]) {
      expect(run.stdout + run.stderr).not.toContain('hunter2-secret');
      expect(run.stdout + run.stderr).not.toContain('wrong-secret-pw');
    }
  });
});

describe('soakwatch (program)', () => {
  it('prints the commands with --help and exits 0', async () => {
    const run = await runCli(cli, ['--help']);

    expect(run.code).toBe(0);
    for (const command of ['check', 'tick', 'status', 'cutover', 'approve', 'replay', 'compare'])
      expect(run.stdout).toContain(`  ${command} `);
  });

  it('prints the options of a command with <command> --help', async () => {
    const run = await runCli(cli, ['check', '--help']);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('--db-map <map>');
  });

  it('exits 2 on an unknown command, a missing required option and an unknown option', async () => {
    const unknown = await runCli(cli, ['frobnicate']);
    const missing = await runCli(cli, ['check', '--legacy', 'redis://127.0.0.1:1']);
    const extra = await runCli(cli, ['status', '--colour']);

    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/required option '--target <url>' not specified/);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toMatch(/unknown option '--colour'/);
  });

  it('ends on its own with no open handle after check (the exit guard never fires)', async () => {
    const run = await check(...both(), '--db-map', DB_MAP, '-v');
    const failed = await check('--legacy', legacy().primary.url, '--target', 'redis://127.0.0.1:1', '-v');

    expect(run.code).toBe(0);
    expect(failed.code).toBe(2);
    expect(run.stderr + failed.stderr).not.toContain('open handles');
  });
});
