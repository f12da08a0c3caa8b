import { afterAll, beforeAll, describe, it } from 'vitest';
import { buildCli, tempFiles } from '../integration/cliHarness.js';
import type { Fleet } from '../support/scenario/fleet.js';
import '../support/topologies.js';
import { healthyReplicationGetsReady, healthySoakPasses, startHealthy } from './healthy.js';

// The same healthy migration, but every tick is a fresh `soakwatch tick` process (cold connections,
// as a Lambda cold start or a cron job), and the release manager's cutover is the CLI command.
let fleet: Fleet;
let cleanupCli: (() => void) | undefined;
const files = tempFiles();

beforeAll(async () => {
  const built = await buildCli();
  cleanupCli = built.cleanup;
  fleet = await startHealthy({ driver: 'cli', cli: { path: built.cli, write: files.write } });
});

afterAll(async () => {
  await fleet?.stop();
  cleanupCli?.();
  files.cleanup();
});

describe('a healthy tenant, ticked by fresh CLI processes', () => {
  it('replicating under load reaches CUTOVER_READY with no on-call alert', async () => {
    await healthyReplicationGetsReady(fleet, 'cli');
  }, 180_000);

  it('soaking under load after the cutover reaches PASSED with no on-call alert', async () => {
    await healthySoakPasses(fleet, 'cli');
  }, 180_000);
});
