import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Fleet } from '../support/scenario/fleet.js';
import '../support/topologies.js';
import { healthyReplicationGetsReady, healthySoakPasses, startHealthy } from './healthy.js';

// A healthy migration under production-like load, ticked in-process (one warm container).
let fleet: Fleet;

beforeAll(async () => {
  fleet = await startHealthy({ driver: 'in-process' });
});

afterAll(async () => {
  await fleet?.stop();
});

describe('a healthy tenant, ticked in-process', () => {
  it('replicating under load reaches CUTOVER_READY with no on-call alert', async () => {
    await healthyReplicationGetsReady(fleet, 'in-process');
  }, 180_000);

  it('soaking under load after the cutover reaches PASSED with no on-call alert', async () => {
    await healthySoakPasses(fleet, 'in-process');
  }, 180_000);
});
