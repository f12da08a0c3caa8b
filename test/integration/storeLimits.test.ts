import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createSecretResolver } from '../../src/redis/secrets.js';
import { openStateStore } from '../../src/store/connect.js';
import { createStateStore, tenantKeys } from '../../src/store/index.js';
import { useStandalone } from '../support/topologies.js';

// Bounded keys and honest TLS settings on the real state store.
const store = useStandalone();
const tls = useStandalone({ tls: true });
const T0 = Date.parse('2026-03-01T00:00:00Z');

describe('the events key is bounded', () => {
  it('drops events older than a week without being asked, and keeps at most 10,000', async () => {
    const redis = new Redis(store().node.url);
    try {
      const s = createStateStore(redis);
      await s.appendEvent('acme', { at: T0, type: 'old' });
      await s.appendEvent('acme', { at: T0 + 8 * 86_400_000, type: 'new' });
      expect(
        (await s.events<{ type: string }>('acme', 0, Number.MAX_SAFE_INTEGER)).map((e) => e.type),
      ).toEqual(['new']);

      // 10,050 distinct events within the week: the oldest 50 (and 'new') go.
      const key = tenantKeys('soakwatch:', 'acme').events;
      const at0 = T0 + 9 * 86_400_000;
      for (let i = 0; i < 10_050; i += 500) {
        await Promise.all(
          Array.from({ length: Math.min(500, 10_050 - i) }, (_, j) =>
            s.appendEvent('acme', { at: at0 + i + j, type: 'flood', n: i + j }),
          ),
        );
      }
      expect(await redis.zcard(key)).toBe(10_000);
      const [oldest] = await s.events<{ n: number }>('acme', 0, Number.MAX_SAFE_INTEGER);
      expect(oldest?.n).toBe(50);
    } finally {
      redis.disconnect();
    }
  });
});

describe('stateStore.tls.caFile', () => {
  it('is read and verified against, and a missing file is an error naming the field', async () => {
    const secrets = createSecretResolver();
    const url = tls().node.url;
    const caFile = tls().tls?.caFile ?? '';
    const open = await openStateStore(
      { url, keyPrefix: 'soakwatch:', historyRetention: 1, tls: { caFile } },
      secrets,
    );
    try {
      await open.store.ping();
    } finally {
      open.close();
    }
    await expect(
      openStateStore(
        { url, keyPrefix: 'soakwatch:', historyRetention: 1, tls: { caFile: '/nonexistent/ca.pem' } },
        secrets,
      ),
    ).rejects.toThrow('stateStore.tls.caFile: could not read the TLS CA file /nonexistent/ca.pem');
    // Without the CA the self-signed server is refused: verification stays on.
    await expect(
      openStateStore({ url, keyPrefix: 'soakwatch:', historyRetention: 1, tls: true }, secrets),
    ).rejects.toThrow(/could not connect to the state store/);
  });
});
