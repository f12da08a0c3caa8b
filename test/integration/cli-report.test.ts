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
let built: { cli: string; cleanup(): void } | undefined;
let dir = '';
let config = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'soakwatch-cli-report-'));
  [state, built] = await Promise.all([startStandalone(), buildCli()]);
  config = join(dir, 'soakwatch.config.yml');
  writeFileSync(
    config,
    `stateStore: { url: "${state.node.url}/0", keyPrefix: "${PREFIX}" }
tenants:
  - id: acme
    legacy: { url: "${state.node.url}/1", heartbeat: { enabled: false } }
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
  await state?.stop();
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
});
