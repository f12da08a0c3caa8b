import { afterAll, beforeAll, describe, it } from 'vitest';
import { Fleet } from '../support/scenario/fleet.js';
import { ForgottenService } from '../support/scenario/load.js';
import '../support/topologies.js';
import { assertFault, OBSERVE_SLACK_INTERVALS } from './faults.js';

// Faults seen on the legacy side, each on its own legacy (both would show on every tenant of a shared
// one): a service nobody moved keeps writing to legacy after the cutover, and the CDC reconnects with
// a full resync during replication.
const WRITER = 'legacy-writer';
const RESYNC = 'cdc-resync';

let fleet: Fleet;
let forgotten: ForgottenService | undefined;
let markedAt: number;
let soakUntil: number;
let replicationUntil: number;
let resyncedAt: Promise<number>;

beforeAll(async () => {
  fleet = await Fleet.start({
    legacies: 2,
    tenants: [
      { id: WRITER, legacy: 0 },
      { id: RESYNC, legacy: 1 },
    ],
  });
  // The forgotten service writes all along, like the rest of the application did before the cutover.
  forgotten = await ForgottenService.start(fleet.tenant(WRITER).legacy.topo.primary, { db: 1, perSec: 5 });
  const startedAt = Date.now();
  fleet.startTicking();
  const { policy } = fleet;
  replicationUntil =
    startedAt + policy.replication.readyAfter + OBSERVE_SLACK_INTERVALS * policy.sampleInterval;
  const resync = fleet.tenant(RESYNC);
  resyncedAt = resync.ticker
    .waitFor((r) => r.index >= 1, 60_000)
    .then(async () => {
      const at = Date.now();
      await resync.cdc.resync();
      return at;
    });
  await fleet.tenant(WRITER).ticker.waitFor((r) => r.index >= 1, 60_000);
  ({ markedAt } = await fleet.cutover([WRITER], { force: true }));
  soakUntil = markedAt + policy.soak.duration + OBSERVE_SLACK_INTERVALS * policy.sampleInterval;
});

afterAll(async () => {
  await forgotten?.stop();
  await fleet?.stop();
});

describe('legacy-side faults: caught within 2 ticks by the right criterion', () => {
  it('a service still writing to legacy after the cutover is caught by legacy-writes, and the soak never passes', async () => {
    await fleet.tenant(WRITER).ticker.until(soakUntil);
    assertFault(fleet, {
      name: 'legacy writer after the cutover',
      tenant: WRITER,
      onsetAt: markedAt,
      // The first interval that began after the cutover mark holds its writes.
      evidenceAt: markedAt + fleet.policy.sampleInterval,
      criteria: ['legacy-writes'],
      never: 'PASSED',
    });
  }, 200_000);

  it('a CDC reconnecting with a full resync is caught by stream-restart, and readiness starts over', async () => {
    await fleet.tenant(RESYNC).ticker.until(replicationUntil);
    const at = await resyncedAt;
    assertFault(fleet, {
      name: 'CDC full resync',
      tenant: RESYNC,
      onsetAt: at,
      evidenceAt: at,
      criteria: ['stream-restart'],
      // The copy restarted from scratch: readiness must be earned again after it.
      never: 'CUTOVER_READY',
      neverBefore: at + fleet.policy.replication.readyAfter,
    });
  }, 200_000);
});
