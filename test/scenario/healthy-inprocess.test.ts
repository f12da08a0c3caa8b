import { afterAll, beforeAll, describe, it } from 'vitest';
import { type Migration, startMigration } from '../support/scenario/migration.js';
import '../support/topologies.js';
import { healthyReplicationGetsReady, healthySoakPasses } from './healthy.js';

// A healthy migration under production-like load, ticked in-process (one warm container).
let m: Migration;

beforeAll(async () => {
  m = await startMigration({ driver: 'in-process' });
});

afterAll(async () => {
  await m?.stop();
});

describe('a healthy tenant, ticked in-process', () => {
  it('replicating under load reaches CUTOVER_READY with no on-call alert', async () => {
    await healthyReplicationGetsReady(m, 'in-process');
  }, 180_000);

  it('soaking under load after the cutover reaches PASSED with no on-call alert', async () => {
    await healthySoakPasses(m, 'in-process');
  }, 180_000);
});
