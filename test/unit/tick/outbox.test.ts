import { describe, expect, it } from 'vitest';
import { deliverOutbox, deliveryOf, OUTBOX_ALERT_AFTER } from '../../../src/tick/outbox.js';
import { memoryStore } from '../../support/memoryStore.js';
import { recordingLog, T0, tenantInput, unitConfig, unitTickDeps } from '../../support/unitTick.js';

// The outbox's delivery on the in-memory store (the Lua write is tested on Redis in test/integration/outbox).
const config = unitConfig([tenantInput('acme')]);
const [tenant] = config.tenants;
if (!tenant) throw new Error('no tenant');

/** An abort committed with its outbox entry (its release milestone owed), as casState writes it. */
async function owedAbort(store: ReturnType<typeof memoryStore>) {
  const entry = deliveryOf(
    'acme',
    {
      state: {} as never,
      verdict: {} as never,
      transitions: [{ at: T0, kind: 'aborted', from: 'REPLICATING', to: 'ABORTED', reason: 'test' } as never],
    },
    {
      tenant: 'acme',
      now: T0,
      state: 'ABORTED',
      firing: [],
      transitions: [],
      coverage: null,
      remainingMs: null,
    },
  );
  if (!entry) throw new Error('no entry');
  await store.casState('acme', 0, { any: 1 }, [], [entry]);
  return entry;
}

describe('deliverOutbox', () => {
  it('keeps an entry owed while SNS fails, logs an error from the third attempt, then delivers it once', async () => {
    const store = memoryStore({ now: T0 });
    const log = recordingLog();
    const { deps, recorded } = unitTickDeps(config, store);
    const entry = await owedAbort(store);

    let down = true;
    const publish = async (m: Parameters<typeof deps.publish>[0]) => {
      if (down)
        throw Object.assign(new Error('arn:aws:iam::123456789012:role/x'), { name: 'ServiceUnavailable' });
      await deps.publish(m);
    };
    for (let i = 1; i <= OUTBOX_ALERT_AFTER; i++) {
      const r = await deliverOutbox({ ...deps, publish, log }, tenant, T0 + i);
      expect(r).toMatchObject({ messages: 0, pending: 1 });
    }
    const [owed] = await store.outbox<typeof entry>('acme');
    expect(owed).toMatchObject({ attempts: OUTBOX_ALERT_AFTER, lastError: 'publish: ServiceUnavailable' });
    expect(log.lines.filter((l) => l.level === 'error').map((l) => l.message)).toEqual([
      'outbox delivery keeps failing; retried on the next tick',
    ]);
    expect(JSON.stringify(log.lines)).not.toContain('123456789012');

    down = false;
    expect(await deliverOutbox({ ...deps, publish, log }, tenant, T0 + 10)).toMatchObject({
      messages: 1,
      pending: 0,
    });
    expect(await deliverOutbox({ ...deps, publish, log }, tenant, T0 + 11)).toMatchObject({
      messages: 0,
      pending: 0,
    });
    expect(recorded.published.filter((m) => m.topic === 'release')).toHaveLength(1);
    expect(await store.outbox('acme')).toEqual([]);
  });
  it('plans a milestone with the same options as the tick: the tenant page linked', async () => {
    const linked = {
      ...config,
      notifications: { ...config.notifications, statusPageUrl: 'https://soak.example.com' },
    };
    const store = memoryStore({ now: T0 });
    const { deps, recorded } = unitTickDeps(linked, store);
    await owedAbort(store);
    expect(await deliverOutbox(deps, tenant, T0 + 1)).toMatchObject({ messages: 1, pending: 0 });
    const [message] = recorded.published.filter((m) => m.topic === 'release');
    expect(JSON.stringify(message)).toContain('https://soak.example.com/tenants/acme');
  });
});

describe('a failed hook of a firing criterion', () => {
  it('gives its claim back, so the next tick runs it again (an unreadable webhook secret, then readable)', async () => {
    const { createHookRunner } = await import('../../../src/hooks/index.js');
    const { runTick } = await import('../../../src/tick/index.js');
    const { fakeSample } = await import('../../support/unitTick.js');
    const cfg = unitConfig([
      tenantInput('acme', {
        hooks: [
          {
            id: 'drift-hook',
            on: ['criterion:key-drift'],
            action: { type: 'webhook', url: 'https://hooks.example.com/x', secret: { env: 'WH' } },
          },
        ],
      }),
    ]);
    const store = memoryStore({ now: T0 });
    let secretReadable = false;
    const posts: string[] = [];
    const runHooks = createHookRunner({
      store,
      log: recordingLog(),
      clients: () =>
        Promise.resolve({
          secrets: () =>
            secretReadable ? Promise.resolve('s3cret') : Promise.reject(new Error('no secret')),
          fetch: ((url: string) => {
            posts.push(url);
            return Promise.resolve(new Response(null, { status: 204 }));
          }) as typeof fetch,
        } as never),
    });
    const { deps } = unitTickDeps(cfg, store, {
      runHooks,
      sample: (t, now) => fakeSample(t, now, { derived: { keyDrift: 50 } }),
    });
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      if (i === 4) secretReadable = true;
      const report = await runTick(deps, { now: T0 + i * 1_000 });
      outcomes.push(...(report.tenants[0]?.hooks.map((h) => h.status) ?? []));
    }
    // Failed while the secret could not be read, fired once it could, then never again for this breach.
    expect(outcomes.filter((o) => o === 'failed').length).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o === 'fired')).toEqual(['fired']);
    expect(posts).toHaveLength(1);
  });
});
