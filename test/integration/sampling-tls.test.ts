import { describe, expect, it } from 'vitest';
import { type TenantConfig, tenantSchema } from '../../src/config/schema.js';
import { createConnectionPool, createSecretResolver, SOAKWATCH_ACL_RULES } from '../../src/redis/index.js';
import { collectSample, createSamplingCache } from '../../src/sampling/index.js';
import { useCluster, useStandalone } from '../support/topologies.js';

// The sampler's per-process cache, as a warm container keeps it (one for the whole file).
const cache = createSamplingCache();

const SOAKWATCH_ACL = SOAKWATCH_ACL_RULES;

const server = useStandalone({
  tls: true,
  password: 'admin-secret',
  aclUsers: [
    `user soakwatch on >sw-secret ${SOAKWATCH_ACL}`,
    // The same without CLIENT LIST: a sample must still succeed.
    `user soakwatch-nolist on >sw-secret ${SOAKWATCH_ACL.replace('+client|list ', '')}`,
  ],
});

function tenant(username: string, passwordEnv: string): TenantConfig {
  const { node, tls } = server();
  const url = `rediss://127.0.0.1:${node.port}`;
  return tenantSchema.parse({
    id: 'tls-tenant',
    legacy: { url, username, password: { env: passwordEnv }, tls: { caFile: tls?.caFile } },
    target: { url, username, password: { env: passwordEnv }, tls: { ca: tls?.caPem } },
  });
}

describe('collectSample over TLS with a least-privilege ACL user', () => {
  it('samples with verification on, a private CA and the password from the environment', async () => {
    const pool = createConnectionPool({
      commandTimeoutMs: 1_000,
      connectTimeoutMs: 2_000,
      secrets: createSecretResolver({ env: { SW_PASSWORD: 'sw-secret' } }),
    });
    try {
      const first = await collectSample(tenant('soakwatch', 'SW_PASSWORD'), { pool, cache, now: Date.now });

      const second = await collectSample(tenant('soakwatch', 'SW_PASSWORD'), {
        pool,
        cache,
        now: Date.now,
        previous: first,
        phase: 'replication',
        extras: { heartbeatBudgetMs: 500, spotCheckKeys: 5 },
      });

      expect(first.complete).toBe(true);
      expect(first.legacy.nodes[0]?.clients?.some((c) => c.isSoakwatch)).toBe(true);
      expect(second.complete).toBe(true);
      // Legacy and target are the same server here: the heartbeat is seen at once.
      expect(second.checks?.heartbeat).toMatchObject({ censored: false });
      expect(second.derived.cdcLagMs).toBeLessThan(500);
      expect(second.checks?.spotCheck).not.toHaveProperty('error');
      expect(second.derived.targetAclDenials).toBe(0);
    } finally {
      await pool.closeAll();
    }
  });

  it('still samples when CLIENT LIST is refused, with application clients as no data', async () => {
    const pool = createConnectionPool({
      commandTimeoutMs: 1_000,
      connectTimeoutMs: 2_000,
      secrets: createSecretResolver({ env: { SW_PASSWORD: 'sw-secret' } }),
    });
    try {
      const sample = await collectSample(tenant('soakwatch-nolist', 'SW_PASSWORD'), {
        pool,
        cache,
        now: Date.now,
      });

      expect(sample.complete).toBe(true);
      expect(sample.legacy.nodes[0]?.clientsError).toMatch(/NOPERM/);
      expect(sample.derived.legacyAppClients).toBeNull();
      expect(sample.keys['0']?.legacy).toBe(sample.keys['0']?.target);
    } finally {
      await pool.closeAll();
    }
  });

  it('fails a node that presents a certificate of another CA, naming the node and not the password', async () => {
    const pool = createConnectionPool({
      commandTimeoutMs: 1_000,
      connectTimeoutMs: 2_000,
      secrets: createSecretResolver({ env: { SW_PASSWORD: 'sw-secret' } }),
    });
    const t = tenant('soakwatch', 'SW_PASSWORD');
    const untrusted = tenantSchema.parse({ ...t, legacy: { ...t.legacy, tls: true } });
    try {
      const sample = await collectSample(untrusted, { pool, cache, now: Date.now });

      const legacy = sample.legacy.nodes[0];
      expect(legacy?.ok).toBe(false);
      expect(legacy?.error).toMatch(/certificate/i);
      expect(JSON.stringify(sample)).not.toContain('sw-secret');
      expect(sample.target.nodes[0]?.ok).toBe(true);
    } finally {
      await pool.closeAll();
    }
  });
});

describe('collectSample of a TLS cluster-mode target', () => {
  const cluster = useCluster({ masters: 3, replicasPerMaster: 0, tls: true, password: 'cluster-secret' });

  it('discovers the nodes on their TLS ports and opens the cluster client with the dnsLookup passthrough', async () => {
    const { url, tls, masters } = cluster();
    const pool = createConnectionPool({ commandTimeoutMs: 1_000, connectTimeoutMs: 2_000 });
    const t = tenantSchema.parse({
      id: 'tls-cluster',
      legacy: {
        url: server().node.url,
        username: 'soakwatch',
        password: 'sw-secret',
        tls: { ca: server().tls?.caPem },
      },
      target: { url, cluster: true, password: 'cluster-secret', tls: { ca: tls?.caPem } },
    });
    try {
      const sample = await collectSample(t, { pool, cache, now: Date.now });
      const main = await (await pool.target(t)).main();
      await main.set('tls:probe', '1');

      expect(sample.target.nodes.map((n) => n.address).sort()).toEqual(
        masters.map((m) => `127.0.0.1:${m.port}`).sort(),
      );
      expect(sample.target.nodes.every((n) => n.ok)).toBe(true);
      expect(await main.get('tls:probe')).toBe('1');
    } finally {
      await pool.closeAll();
    }
  });
});
