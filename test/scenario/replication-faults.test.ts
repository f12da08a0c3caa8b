import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet } from '../support/scenario/fleet.js';
import '../support/topologies.js';
import { assertFault, OBSERVE_SLACK_INTERVALS, targetKeys } from './faults.js';

// Faults of the CDC during replication. One legacy and its application load feed five cluster
// targets, each through its own CDC stand-in playing one fault; one soakwatch watches the five.
const STALLED = 'cdc-stalled';
const NO_DB = 'db2-never-copied';
const LOST = 'keys-lost';
const NO_TTL = 'ttls-dropped';
const CHANGED = 'values-changed';

let fleet: Fleet;
let startedAt: number;
let observeUntil: number;
let stalledAt: Promise<number>;
/** Ticks one SCAN pass over the whole target takes (the prefix counts' evidence). */
let passTicks: number;

beforeAll(async () => {
  fleet = await Fleet.start({
    legacies: 1,
    tenants: [
      { id: STALLED, legacy: 0 },
      { id: NO_DB, legacy: 0, cdcFaults: { skipDbs: [2] } },
      { id: LOST, legacy: 0, cdcFaults: { loseFraction: 0.005 } },
      { id: NO_TTL, legacy: 0, cdcFaults: { dropTtl: true } },
      { id: CHANGED, legacy: 0, cdcFaults: { alterFraction: 0.02 } },
    ],
  });
  const keys = await targetKeys(fleet, LOST);
  passTicks = Math.ceil((1.2 * keys) / fleet.config.sampling.scanKeysPerTick);
  startedAt = Date.now();
  fleet.startTicking();
  const { policy } = fleet;
  observeUntil = startedAt + policy.replication.readyAfter + OBSERVE_SLACK_INTERVALS * policy.sampleInterval;
  // The stall starts after two clean ticks.
  const stalled = fleet.tenant(STALLED);
  stalledAt = stalled.ticker
    .waitFor((r) => r.index >= 1, 60_000)
    .then(() => {
      stalled.cdc.setFaults({ stalled: true });
      return Date.now();
    });
});

afterAll(async () => {
  await fleet?.stop();
});

const lagThreshold = () => fleet.policy.replication.criteria.find((c) => c.id === 'cdc-lag')?.threshold ?? 0;

describe('CDC faults during replication: never ready, caught within 2 ticks by the right criterion', () => {
  it('a stalled CDC (still ACKing what it receives) is caught by cdc-lag', async () => {
    const ticker = fleet.tenant(STALLED).ticker;
    await ticker.until(observeUntil);
    const onsetAt = await stalledAt;
    // The first heartbeat after the stall never arrives: its lag passes the threshold that long after
    // it was written. The tick exactly then reads about the threshold itself, so the evidence is
    // certain only half an interval later.
    const firstHeartbeat = ticker.sorted().find((r) => r.startedAt > onsetAt && !r.skipped);
    assertFault(fleet, {
      name: 'CDC stalled',
      tenant: STALLED,
      onsetAt,
      evidenceAt: (firstHeartbeat?.startedAt ?? onsetAt) + lagThreshold() + fleet.policy.sampleInterval / 2,
      criteria: ['cdc-lag'],
      never: 'CUTOVER_READY',
    });
  }, 200_000);

  it('one db never copied is caught by key-drift', async () => {
    await fleet.tenant(NO_DB).ticker.until(observeUntil);
    assertFault(fleet, {
      name: 'one db never copied',
      tenant: NO_DB,
      onsetAt: startedAt,
      // Within 2 ticks after the SCAN pass that sees it (the live totals may see it sooner).
      evidenceAt: startedAt + (passTicks - 1) * fleet.policy.sampleInterval,
      criteria: ['key-drift'],
      never: 'CUTOVER_READY',
      // The sample says which db: all of db 2 is missing.
      shows: (derived) => expect(derived['persistentKeyDriftRatio@db2']).toBeGreaterThan(0.5),
    });
  }, 200_000);

  it('0.5 % of the keys never copied is caught by key-drift or the spot-check', async () => {
    await fleet.tenant(LOST).ticker.until(observeUntil);
    assertFault(fleet, {
      name: '0.5 % of keys lost',
      tenant: LOST,
      onsetAt: startedAt,
      // Within 2 ticks after the SCAN pass that sees it; the spot-check may find it sooner.
      evidenceAt: startedAt + (passTicks - 1) * fleet.policy.sampleInterval,
      criteria: ['key-drift', 'spot-check'],
      never: 'CUTOVER_READY',
    });
  }, 200_000);

  it('TTLs dropped are caught by key-drift (persistent counts) or the spot-check', async () => {
    await fleet.tenant(NO_TTL).ticker.until(observeUntil);
    assertFault(fleet, {
      name: 'TTLs dropped',
      tenant: NO_TTL,
      onsetAt: startedAt,
      // Keys without expiry: the live INFO totals (keys - expires) differ from the first sample on.
      evidenceAt: startedAt,
      criteria: ['key-drift', 'spot-check'],
      never: 'CUTOVER_READY',
    });
  }, 200_000);

  it('2 % of the values changed, counts and types equal, are caught by the spot-check', async () => {
    await fleet.tenant(CHANGED).ticker.until(observeUntil);
    assertFault(fleet, {
      name: '2 % of values changed',
      tenant: CHANGED,
      onsetAt: startedAt,
      evidenceAt: startedAt,
      criteria: ['spot-check'],
      never: 'CUTOVER_READY',
    });
  }, 200_000);
});
