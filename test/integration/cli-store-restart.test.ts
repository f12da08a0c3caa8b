import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { createSecretResolver } from '../../src/redis/secrets.js';
import { STORE_RESTART_ACTION } from '../../src/release/index.js';
import { openStateStore } from '../../src/store/connect.js';
import { useStandalone } from '../support/topologies.js';
import { buildCli, type CliRun, runCli, tempFiles } from './cliHarness.js';

// `soakwatch restart-store` as an operator runs it after the state store was lost: the built CLI against
// real Redis. The loss is detected the way production detects it, by a process that had seen the store
// (a warm container): a cold process alone cannot tell an emptied store from a new one.
const legacy = useStandalone();
const target = useStandalone();
const store = useStandalone();

let cli: string;
let cleanupCli: () => void;
const files = tempFiles();
let config: string;

const sw = (...words: string[]): Promise<CliRun> => runCli(cli, ['--config', config, ...words]);

beforeAll(async () => {
  ({ cli, cleanup: cleanupCli } = await buildCli());
  config = files.write('soakwatch.config.yml', {
    stateStore: { url: store().node.url },
    tenants: [
      {
        id: 'acme',
        legacy: { url: legacy().node.url, heartbeat: { enabled: false } },
        target: { url: target().node.url },
      },
    ],
  });
});

afterAll(() => {
  cleanupCli?.();
  files.cleanup();
});

describe('soakwatch restart-store', () => {
  it('is refused on a store that is new or still has its identity, and starts the soaks over after a loss, audited', async () => {
    const first = await sw('restart-store', '--actor', 'ops@test', '--reason', 'just checking');
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/store restart refused: the state store had no identity/);

    expect((await sw('tick', '--tenant', 'acme')).code).toBe(0);
    const notLost = await sw('restart-store', '--actor', 'ops@test', '--reason', 'just checking');
    expect(notLost.code).toBe(1);
    expect(notLost.stderr).toMatch(/the state store is not lost .*a restart would throw its soaks away/);

    // A warm process sees the store emptied under it and records the loss in the store.
    const parsed = configSchema.parse({
      stateStore: { url: store().node.url },
      tenants: [{ id: 'acme', legacy: { url: legacy().node.url }, target: { url: target().node.url } }],
    });
    const warm = await openStateStore(parsed.stateStore, createSecretResolver());
    const admin = new Redis({ port: store().node.port });
    try {
      expect((await warm.store.checkEpoch(Date.now())).status).toBe('ok');
      await admin.flushall();
      expect((await warm.store.checkEpoch(Date.now())).status).toBe('lost');

      const refusedTick = await sw('tick', '--tenant', 'acme');
      expect(refusedTick.code).not.toBe(0);
      expect(refusedTick.stderr + refusedTick.stdout).toMatch(/lost/);

      const noReason = await sw('restart-store', '--actor', 'ops@test');
      expect(noReason.code).toBe(2);
      expect(noReason.stderr).toMatch(/--reason/);

      const restart = await sw(
        'restart-store',
        '--actor',
        'ops@test',
        '--reason',
        'store flushed by a runbook step',
        '--json',
      );
      expect(restart.code, restart.stderr).toBe(0);
      const outcome = JSON.parse(restart.stdout);
      expect(outcome).toMatchObject({ tenants: ['acme'], lost: { reason: expect.any(String) } });

      const tick = await sw('tick', '--tenant', 'acme', '--json');
      expect(tick.code, tick.stderr).toBe(0);
      expect(JSON.parse(tick.stdout).tenants[0]).toMatchObject({
        tenant: 'acme',
        ok: true,
        state: 'REPLICATING',
      });
      const audit = await warm.store.auditTrail('acme');
      expect(audit.filter((e) => e.action === STORE_RESTART_ACTION)).toEqual([
        expect.objectContaining({ actor: 'ops@test', reason: 'store flushed by a runbook step' }),
      ]);
      // A warm process that remembers the lost identity follows the restart: not a second loss.
      expect(await warm.store.checkEpoch(Date.now())).toMatchObject({ status: 'ok', id: outcome.id });
      expect((await sw('tick', '--tenant', 'acme')).code).toBe(0);
      expect((await warm.store.checkEpoch(Date.now())).status).toBe('ok');
      // A second restart is refused: the store has its (new) identity.
      expect((await sw('restart-store', '--actor', 'ops@test', '--reason', 'again')).code).toBe(1);
    } finally {
      admin.disconnect();
      warm.close();
    }
  });
});
