import { afterAll, beforeAll, describe, it } from 'vitest';
import type { RedisProcess } from '../../tools/local/index.js';
import { breakReplicaLink, freezeFor, startEvictions } from '../support/scenario/faults.js';
import { Fleet } from '../support/scenario/fleet.js';
import { replicaOf } from '../support/scenario/world.js';
import '../support/topologies.js';
import { assertFault } from './faults.js';

// Faults of the target during the soak. One legacy feeds three cluster targets; all three are cut
// over together (forced: the soak is the subject here), the application then writes to each target,
// and each target gets one fault two ticks into the soak.
const EVICTING = 'evicting';
const FROZEN = 'frozen-node';
const LINK_DOWN = 'replica-link-down';

let fleet: Fleet;
let markedAt: number;
let observeUntil: number;
let faults: Promise<{
  evictionsAt: number;
  frozen: { node: RedisProcess; at: number };
  linkDownAt: number;
}>;

beforeAll(async () => {
  fleet = await Fleet.start({
    legacies: 1,
    tenants: [
      { id: EVICTING, legacy: 0 },
      { id: FROZEN, legacy: 0 },
      { id: LINK_DOWN, legacy: 0 },
    ],
  });
  fleet.startTicking();
  const { policy } = fleet;
  await fleet.tenant(EVICTING).ticker.waitFor((r) => r.index >= 1, 60_000);
  ({ markedAt } = await fleet.cutover([EVICTING, FROZEN, LINK_DOWN], { force: true }));
  // Half a soak blind, then seen again: long enough after it that a soak could have passed.
  observeUntil = markedAt + 1.5 * policy.soak.duration + policy.sampleInterval;
  const injectAt = markedAt + 2 * policy.sampleInterval;
  faults = (async () => {
    await new Promise((resolve) => setTimeout(resolve, injectAt - Date.now()));
    const evicting = fleet.tenant(EVICTING).target;
    const frozenTarget = fleet.tenant(FROZEN).target;
    const node = await replicaOf(frozenTarget, frozenTarget.masters[2] as RedisProcess);
    const [evictions, linkDown] = await Promise.all([
      startEvictions(evicting.masters[1] as RedisProcess),
      breakReplicaLink(
        fleet.tenant(LINK_DOWN).target,
        fleet.tenant(LINK_DOWN).target.masters[1] as RedisProcess,
      ),
    ]);
    const frozen = freezeFor(node, policy.soak.duration / 2);
    return {
      evictionsAt: evictions.firstEvictionAt,
      frozen: { node, at: frozen.frozenAt },
      linkDownAt: linkDown.downAt,
    };
  })();
});

afterAll(async () => {
  await fleet?.stop();
});

describe('target faults during the soak: never passed, caught within 2 ticks by the right criterion', () => {
  it('evictions on one master are caught by evictions', async () => {
    await fleet.tenant(EVICTING).ticker.until(observeUntil);
    const { evictionsAt } = await faults;
    assertFault(fleet, {
      name: 'target evictions',
      tenant: EVICTING,
      onsetAt: evictionsAt,
      evidenceAt: evictionsAt,
      criteria: ['evictions'],
      never: 'PASSED',
    });
  }, 200_000);

  it('a target node frozen for half the soak never passes, and on-call is told which node', async () => {
    await fleet.tenant(FROZEN).ticker.until(observeUntil);
    const { frozen } = await faults;
    assertFault(fleet, {
      name: 'target node frozen for half the soak',
      tenant: FROZEN,
      onsetAt: frozen.at,
      evidenceAt: frozen.at,
      criteria: ['sampler'],
      never: 'PASSED',
      alertMentions: `127.0.0.1:${frozen.node.port}`,
    });
  }, 200_000);

  it('one replica link down is caught by target-replication', async () => {
    await fleet.tenant(LINK_DOWN).ticker.until(observeUntil);
    const { linkDownAt } = await faults;
    assertFault(fleet, {
      name: 'one replica link down',
      tenant: LINK_DOWN,
      onsetAt: linkDownAt,
      evidenceAt: linkDownAt,
      criteria: ['target-replication'],
      never: 'PASSED',
    });
  }, 200_000);
});
