import { describe, expect, it } from 'vitest';
import {
  ActionRefusedError,
  CompareNotRecordedError,
  ConcurrentChangeError,
  getStatus,
  InvalidInputError,
  listStatuses,
  loadHistory,
  NoHistoryError,
  performAction,
  recordFullCompare,
  UnknownTenantError,
} from '../../../src/release/index.js';
import { emptyByClass } from '../../../src/sampling/consistency/index.js';
import type { SoakEvent, SoakState } from '../../../src/soak/index.js';
import { runTick } from '../../../src/tick/index.js';
import { memoryStore } from '../../support/memoryStore.js';
import { fakeSample, SECOND, T0, tenantInput, unitConfig, unitTickDeps } from '../../support/unitTick.js';

// The release service (what the CLI, the API and the status page call) over the in-memory state store.

const config = unitConfig([tenantInput('acme'), tenantInput('beta')]);
const RM = 'release-manager@test';

describe('getStatus', () => {
  it('is the initial state, marked not judged, before any tick', async () => {
    const store = memoryStore({ now: T0 });

    const status = await getStatus({ config, store }, 'acme', T0);

    expect(status).toMatchObject({
      tenant: 'acme',
      state: 'REPLICATING',
      judged: false,
      version: 0,
      lastSample: null,
      audit: [],
    });
    expect(status.inconclusive).toBe(true);
    expect(status.inconclusiveReasons.length).toBeGreaterThan(0);
  });

  it('shows the stored state, the latest sample with the nodes it could not read, and the audit trail', async () => {
    const store = memoryStore({ now: T0 + 10 * SECOND });
    const { deps } = unitTickDeps(config, store, {
      sample: (tenant, now) => fakeSample(tenant, now, { unread: ['10.0.1.1:6379'] }),
    });
    for (let i = 0; i < 5; i++) await runTick(deps, { now: T0 + i * SECOND, tenantId: 'acme' });

    const status = await getStatus({ config, store }, 'acme', T0 + 4 * SECOND);

    expect(status).toMatchObject({ judged: true, version: 5 });
    expect(status.lastSample).toEqual({
      at: T0 + 4 * SECOND,
      durationMs: 5,
      complete: false,
      failedNodes: ['10.0.1.1:6379'],
    });
  });

  it('refuses a tenant the configuration does not name', async () => {
    await expect(getStatus({ config, store: memoryStore() }, 'nobody', T0)).rejects.toThrow(
      new UnknownTenantError('nobody'),
    );
  });

  it('lists every configured tenant, in configuration order', async () => {
    const statuses = await listStatuses({ config, store: memoryStore({ now: T0 }) }, T0);

    expect(statuses.map((s) => s.tenant)).toEqual(['acme', 'beta']);
  });
});

describe('performAction', () => {
  it('applies an allowed action: state and audit written together, the milestone announced, hooks run', async () => {
    const store = memoryStore({ now: T0 });
    const { deps, recorded } = unitTickDeps(config, store);

    const outcome = await performAction(
      deps,
      'acme',
      { action: 'cutover', actor: RM, reason: 'maintenance window', force: true },
      T0,
    );

    expect(outcome).toMatchObject({ tenant: 'acme', state: 'SOAKING', messages: 1, hooks: [] });
    expect(outcome.transition).toMatchObject({ from: 'REPLICATING', to: 'SOAKING', actor: RM });
    expect((await store.getState<SoakState>('acme'))?.state.state).toBe('SOAKING');
    expect(await store.auditTrail('acme')).toEqual([
      expect.objectContaining({ actor: RM, action: 'cutover', from: 'REPLICATING', to: 'SOAKING' }),
    ]);
    expect(recorded.published.map((m) => [m.topic, m.attributes.kind])).toEqual([['release', 'cutover']]);
    expect(recorded.hooks).toEqual([{ tenant: 'acme', triggers: [], now: T0 }]);
  });

  it("refuses what the state does not allow with the judge's reason, and writes nothing", async () => {
    const store = memoryStore({ now: T0 });
    const { deps, recorded } = unitTickDeps(config, store);

    const refused = await performAction(deps, 'beta', { action: 'approve', actor: RM }, T0).catch(
      (error: unknown) => error,
    );

    expect(refused).toBeInstanceOf(ActionRefusedError);
    expect((refused as Error).message).toBe(
      'approve refused for tenant beta: approve is possible from PASSED only; the state is REPLICATING',
    );
    expect(await store.getState('beta')).toBeUndefined();
    expect(await store.auditTrail('beta')).toEqual([]);
    expect(recorded.published).toEqual([]);
  });

  it('refuses an action the state moved under (another tick or action), and writes nothing', async () => {
    const store = memoryStore({ now: T0 });
    const { deps } = unitTickDeps(config, {
      ...store,
      // Another writer stores a state between the read and the compare-and-set.
      getState: async <T>(tenant: string) => {
        const read = await store.getState<T>(tenant);
        await store.casState(tenant, 0, { intruder: true });
        return read;
      },
    });

    await expect(performAction(deps, 'acme', { action: 'abort', actor: RM }, T0)).rejects.toThrow(
      new ConcurrentChangeError('acme', 'abort'),
    );
    expect(await store.auditTrail('acme')).toEqual([]);
  });

  it('names every invalid field of the request', async () => {
    const { deps } = unitTickDeps(config, memoryStore({ now: T0 }));

    const invalid = await performAction(
      deps,
      'acme',
      { action: 'explode', actor: ' ', reason: 'x'.repeat(1001) },
      T0,
    ).catch((error: unknown) => error);

    expect(invalid).toBeInstanceOf(InvalidInputError);
    expect((invalid as InvalidInputError).issues.map((i) => i.path)).toEqual(['action', 'actor', 'reason']);
    expect((invalid as Error).message).toMatch(/^action: .*; actor: actor is required; reason: /);
  });

  it('refuses a tenant the configuration does not name before reading the request', async () => {
    const { deps } = unitTickDeps(config, memoryStore({ now: T0 }));

    await expect(performAction(deps, 'nobody', { action: 'explode', actor: '' }, T0)).rejects.toThrow(
      UnknownTenantError,
    );
  });
});

describe('recordFullCompare', () => {
  const result = {
    checked: 1_000,
    mismatches: 0,
    unverified: 0,
    unstable: 0,
    byClass: emptyByClass(),
    durationMs: 12_000,
  };

  it('records the event the judge reads at the next tick, and an audit entry by the actor', async () => {
    const store = memoryStore({ now: T0 });

    const event = await recordFullCompare(store, 'acme', result, RM, T0);

    expect(await store.events<SoakEvent>('acme', 0, T0)).toEqual([event]);
    expect(event).toMatchObject({ type: 'FullCompare', at: T0 });
    expect(await store.auditTrail('acme')).toEqual([
      expect.objectContaining({
        at: T0,
        actor: RM,
        action: 'full-compare',
        detail: expect.objectContaining({ event: event.id, checked: 1_000, mismatches: 0 }),
      }),
    ]);
  });

  it('says the compare must run again when the store cannot record it', async () => {
    const store = memoryStore({ now: T0 });
    store.fail('appendEvent');

    const failed = await recordFullCompare(store, 'acme', result, RM, T0).catch((error: unknown) => error);

    expect(failed).toBeInstanceOf(CompareNotRecordedError);
    expect((failed as Error).message).toBe(
      'the full compare of acme finished (1000 keys, 0 mismatches) but could not be recorded; run it again',
    );
  });
});

describe('loadHistory', () => {
  it('reads what the judge read over the range, and refuses a range without samples', async () => {
    const store = memoryStore({ now: T0 + 10 * SECOND });
    const { deps } = unitTickDeps(config, store);
    for (let i = 0; i < 3; i++) await runTick(deps, { now: T0 + i * SECOND, tenantId: 'acme' });

    const history = await loadHistory({ config, store }, 'acme', T0, T0 + SECOND);

    expect(history.samples.map((s) => s.at)).toEqual([T0, T0 + SECOND]);
    await expect(loadHistory({ config, store }, 'acme', 0, T0 - 1)).rejects.toThrow(NoHistoryError);
  });
});
