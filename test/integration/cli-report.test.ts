import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStateStore } from '../../src/store/index.js';
import { type Standalone, startStandalone } from '../../tools/local/index.js';
import { buildCli, runCli } from './cliHarness.js';

// `soakwatch report`, `mute` and `unmute` as built for users (dist/cli.js), over a real Redis state store.

const PREFIX = 'soakwatch-cli-report:';
let state: Standalone | undefined;
/** Legacy with ACL users: soakwatch's (may change ACLs), the application's, the CDC tool's. */
let legacy: Standalone | undefined;
let built: { cli: string; cleanup(): void } | undefined;
let dir = '';
let config = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'soakwatch-cli-report-'));
  [state, legacy, built] = await Promise.all([
    startStandalone(),
    startStandalone({
      aclUsers: [
        'user default off',
        'user admin on >admin-pw ~* &* +@all',
        'user soak on >soak-pw ~* &* +@all',
        'user app on >app-pw ~* &* +@all',
        'user cdc on >cdc-pw ~* &* +@all',
      ],
    }),
    buildCli(),
  ]);
  const legacyUrl = `redis://soak:soak-pw@${legacy.node.host}:${legacy.node.port}`;
  config = join(dir, 'soakwatch.config.yml');
  writeFileSync(
    config,
    `stateStore: { url: "${state.node.url}/0", keyPrefix: "${PREFIX}" }
tenants:
  - id: acme
    legacy: { url: "${state.node.url}/1", heartbeat: { enabled: false } }
    target: { url: "${state.node.url}/2" }
  - id: fenced
    legacy: { url: "${legacyUrl}", heartbeat: { enabled: false }, fenceExclude: [cdc, admin] }
    target: { url: "${state.node.url}/2" }
`,
  );
  const redis = new Redis(`${state.node.url}/0`);
  await createStateStore(redis, { keyPrefix: PREFIX }).appendAudit('acme', {
    at: Date.now() - 1000,
    actor: 'alice',
    action: 'cutover',
    from: 'CUTOVER_READY',
    to: 'SOAKING',
    reason: '<script>window 42</script>',
  });
  redis.disconnect();
}, 120_000);

afterAll(async () => {
  built?.cleanup();
  await Promise.all([state?.stop(), legacy?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('soakwatch report / mute / unmute', () => {
  it('writes a self-contained HTML evidence pack and prints the JSON one', async () => {
    if (!built) throw new Error('not built');
    const out = join(dir, 'evidence.html');
    const html = await runCli(built.cli, ['--config', config, 'report', '--tenant', 'acme', '--out', out]);
    expect(html.code, html.stderr).toBe(0);
    expect(html.stdout).toMatch(/^wrote the evidence pack of acme to .* \(policy sha256 [0-9a-f]{64}\)/);
    const text = readFileSync(out, 'utf8');
    expect(text).toContain('<style>');
    expect(text).not.toMatch(/<link|<script/);
    expect(text).toContain('&lt;script&gt;window 42&lt;/script&gt;');

    const json = await runCli(built.cli, ['--config', config, 'report', '--tenant', 'acme', '--json']);
    const report = JSON.parse(json.stdout) as { policy: { sha256: string }; actions: { actor: string }[] };
    expect(text).toContain(report.policy.sha256);
    expect(report.actions.map((a) => a.actor)).toEqual(['alice']);

    const unknown = await runCli(built.cli, ['--config', config, 'report', '--tenant', 'nobody']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('nobody');
  });

  it('mutes and unmutes, refusing a mute in the past with the field named', async () => {
    if (!built) throw new Error('not built');
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const args = ['--config', config, 'mute', '--tenant', 'acme', '--criterion', 'evictions'];
    const muted = await runCli(built.cli, [
      ...args,
      '--until',
      until,
      '--reason',
      'resharding',
      '--actor',
      'bob',
    ]);
    expect(muted.code, muted.stderr).toBe(0);
    expect(muted.stdout).toContain(`evictions muted until ${until}: resharding`);
    const past = await runCli(built.cli, [...args, '--until', '1000', '--reason', 'x', '--actor', 'bob']);
    expect(past.code).not.toBe(0);
    expect(past.stderr).toContain('until: must be in the future');
    const lifted = await runCli(built.cli, [
      '--config',
      config,
      'unmute',
      '--tenant',
      'acme',
      '--criterion',
      'evictions',
      '--actor',
      'bob',
    ]);
    expect(lifted.stdout).toContain('acme: nothing muted');
  });

  it('fences legacy: the application user cannot write, soakwatch and the CDC user can; undone exactly', async () => {
    if (!built || !legacy) throw new Error('not started');
    const as = (user: string) =>
      new Redis({ host: legacy?.node.host, port: legacy?.node.port, username: user, password: `${user}-pw` });
    const [app, cdc] = [as('app'), as('cdc')];
    try {
      await app.set('k', 'before');
      // Before the cutover the fence is not offered: applications still write to legacy then.
      const early = await runCli(built.cli, [
        '--config',
        config,
        'fence',
        '--tenant',
        'fenced',
        '--actor',
        'bob',
        '--reason',
        'too early',
      ]);
      expect(early.code).toBe(1);
      expect(early.stderr).toContain('the state is REPLICATING');
      const cutover = await runCli(built.cli, [
        '--config',
        config,
        'cutover',
        '--tenant',
        'fenced',
        '--actor',
        'bob',
        '--reason',
        'maintenance window',
        '--force',
      ]);
      expect(cutover.code, cutover.stderr).toBe(0);
      const fence = await runCli(built.cli, [
        '--config',
        config,
        'fence',
        '--tenant',
        'fenced',
        '--actor',
        'bob',
        '--reason',
        'cutover done',
      ]);
      expect(fence.code, fence.stderr).toBe(0);
      expect(fence.stdout).toMatch(/writes fenced off for app on /);
      await expect(app.set('k', 'forgotten writer')).rejects.toThrow(/NOPERM/);
      expect(await app.get('k')).toBe('before');
      await cdc.set('k', 'replicated');

      const status = await runCli(built.cli, [
        '--config',
        config,
        'fence',
        '--tenant',
        'fenced',
        '--status',
        '--json',
      ]);
      const s = JSON.parse(status.stdout) as {
        rejected: { username: string; command: string }[];
        nopermTotal: number;
      };
      expect(s.rejected).toEqual([expect.objectContaining({ username: 'app', command: 'set' })]);
      expect(s.nopermTotal).toBeGreaterThanOrEqual(1);
      const twice = await runCli(built.cli, [
        '--config',
        config,
        'fence',
        '--tenant',
        'fenced',
        '--actor',
        'bob',
        '--reason',
        'again',
      ]);
      expect(twice.code).toBe(1);
      expect(twice.stderr).toContain('already fenced');

      const undo = await runCli(built.cli, [
        '--config',
        config,
        'fence',
        '--tenant',
        'fenced',
        '--undo',
        '--actor',
        'bob',
      ]);
      expect(undo.code, undo.stderr).toBe(0);
      await app.set('k', 'after');
      expect(await app.get('k')).toBe('after');
    } finally {
      app.disconnect();
      cdc.disconnect();
    }
  });

  it('does not offer a fence where soakwatch may not change ACLs', async () => {
    if (!built || !legacy) throw new Error('not started');
    const admin = new Redis({
      host: legacy.node.host,
      port: legacy.node.port,
      username: 'admin',
      password: 'admin-pw',
    });
    await admin.call('ACL', 'SETUSER', 'soak', '-@admin');
    admin.disconnect();
    const fence = await runCli(built.cli, [
      '--config',
      config,
      'fence',
      '--tenant',
      'fenced',
      '--actor',
      'bob',
      '--reason',
      'x',
    ]);
    expect(fence.code).toBe(1);
    expect(fence.stderr).toContain('may not read or change ACLs');
  });
});
