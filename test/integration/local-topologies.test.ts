import { existsSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import {
  LocalRedisStartError,
  livePids,
  type RedisProcess,
  startStandalone,
} from '../../tools/local/index.js';
import { useCluster, useReplicated, useStandalone } from '../support/topologies.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function client(node: RedisProcess, extra: RedisOptions = {}): Redis {
  const c = new Redis({
    host: node.host,
    port: node.port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    ...extra,
  });
  c.on('error', () => {
    // asserted through command promises
  });
  return c;
}

async function roleOf(node: RedisProcess, password?: string): Promise<string | undefined> {
  const c = client(node, { password });
  try {
    return /role:(\w+)/.exec(await c.info('replication'))?.[1];
  } finally {
    c.disconnect();
  }
}

describe('startStandalone', () => {
  const redis = useStandalone({ password: 's3cret', aclUsers: ['user alice on >alicepw ~app:* +@all'] });

  it('serves commands to a client holding the password and refuses one without', async () => {
    const { node } = redis();
    const good = client(node, { password: 's3cret' });
    const anonymous = client(node);
    try {
      await good.set('local:k', 'v');
      expect(await good.get('local:k')).toBe('v');
      await expect(anonymous.get('local:k')).rejects.toThrow(/NOAUTH/);
    } finally {
      good.disconnect();
      anonymous.disconnect();
    }
  });

  it('loads ACL users restricted to their key patterns', async () => {
    const alice = client(redis().node, { username: 'alice', password: 'alicepw' });
    try {
      await alice.set('app:1', 'x');
      await expect(alice.set('other:1', 'x')).rejects.toThrow(/NOPERM/);
    } finally {
      alice.disconnect();
    }
  });

  it('times a command out while frozen and serves again after thaw', async () => {
    const { node } = redis();
    const c = client(node, { password: 's3cret', commandTimeout: 300 });
    try {
      await c.ping();
      node.freeze();
      await expect(c.ping()).rejects.toThrow(/timed out/i);
      node.thaw();
      expect(await c.ping()).toBe('PONG');
    } finally {
      node.thaw();
      c.disconnect();
    }
  });

  it('leaves no process and no temp dir behind after stop', async () => {
    const standalone = await startStandalone();
    const { pid } = standalone.node;
    expect(isAlive(pid)).toBe(true);
    expect(existsSync(standalone.node.logFile)).toBe(true);

    await standalone.stop();

    expect(isAlive(pid)).toBe(false);
    expect(existsSync(standalone.node.dir)).toBe(false);
  });
});

describe('startStandalone with a bad directive', () => {
  it('fails with the log tail that names the problem and leaves nothing running', async () => {
    const before = livePids();

    const start = startStandalone({ config: { 'no-such-directive': 'yes' } });

    await expect(start).rejects.toThrow(LocalRedisStartError);
    await expect(start).rejects.toThrow(/Bad directive|no-such-directive/);
    expect(livePids()).toEqual(before);
  });
});

describe('startStandalone when another process takes the port first', () => {
  it('retries on a fresh port after "Address already in use"', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const taken = (squatter.address() as AddressInfo).port;
    let calls = 0;
    vi.resetModules();
    vi.doMock('../../tools/local/ports.js', async (importOriginal) => {
      const real = await importOriginal<typeof import('../../tools/local/ports.js')>();
      return { freePort: () => (calls++ === 0 ? Promise.resolve(taken) : real.freePort()) };
    });
    const local = await import('../../tools/local/index.js');
    try {
      const standalone = await local.startStandalone();

      expect(standalone.node.port).not.toBe(taken);
      expect(calls).toBe(2);
      await standalone.stop();
    } finally {
      vi.doUnmock('../../tools/local/ports.js');
      await local.stopAll();
      squatter.close();
    }
  });
});

describe('startStandalone with tls', () => {
  const redis = useStandalone({ tls: true });

  it('serves a rediss:// client that verifies the server with the generated CA', async () => {
    const { node, tls } = redis();
    expect(node.url).toBe(`rediss://127.0.0.1:${node.port}`);
    expect(tls && existsSync(tls.caFile)).toBe(true);
    const c = client(node, { tls: { ca: tls?.caPem } });
    try {
      expect(await c.ping()).toBe('PONG');
    } finally {
      c.disconnect();
    }
  });

  it('is rejected by a client that does not trust the CA', async () => {
    const c = client(redis().node, { tls: {}, retryStrategy: () => null });
    // ioredis rejects connect() with a generic "Connection is closed."; the TLS reason is the error event.
    const tlsError = new Promise<Error>((resolve) => c.once('error', resolve));
    try {
      await expect(c.connect()).rejects.toThrow();
      expect((await tlsError).message).toMatch(/self.signed|certificate/i);
    } finally {
      c.disconnect();
    }
  });
});

describe('startReplicated', () => {
  const topo = useReplicated({ replicas: 2, sentinels: 2, password: 'pw', masterName: 'legacy' });

  it('replicates writes from the primary and is known to Sentinel', async () => {
    const { primary, replicas, sentinels } = topo();
    const p = client(primary, { password: 'pw' });
    const r = client(replicas[0] as RedisProcess, { password: 'pw' });
    const s = client(sentinels[0] as RedisProcess);
    try {
      await p.set('repl:k', 'v');
      await p.call('WAIT', '2', '2000');
      expect(await r.get('repl:k')).toBe('v');
      expect(await s.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'legacy')).toEqual([
        '127.0.0.1',
        String(primary.port),
      ]);
    } finally {
      p.disconnect();
      r.disconnect();
      s.disconnect();
    }
  });

  it('moves the primary on failover and turns the old primary into a replica', async () => {
    const t = topo();
    const old = t.primary;

    const next = await t.failover();

    expect(next.port).not.toBe(old.port);
    expect(t.primary.port).toBe(next.port);
    expect(await roleOf(t.primary, 'pw')).toBe('master');
    expect(await roleOf(old, 'pw')).toBe('slave');
    const viaSentinel = new Redis({
      sentinels: t.sentinels.map((s) => ({ host: s.host, port: s.port })),
      name: 'legacy',
      password: 'pw',
      lazyConnect: true,
    });
    try {
      await viaSentinel.set('after:failover', '1');
      expect(await viaSentinel.get('after:failover')).toBe('1');
    } finally {
      viaSentinel.disconnect();
    }
  });

  it('leaves no primary, replica or Sentinel process alive after stop', async () => {
    const t = topo();
    const pids = [t.primary, ...t.replicas, ...t.sentinels].map((n) => n.pid);

    await t.stop();

    expect(pids.filter(isAlive)).toEqual([]);
  });
});

describe('startCluster', () => {
  const cluster = useCluster({ masters: 3, replicasPerMaster: 1, password: 'pw' });

  it('serves set/get over many slots through an ioredis Cluster client', async () => {
    const { masters } = cluster();
    const c = new Cluster(
      masters.map((m) => ({ host: m.host, port: m.port })),
      { redisOptions: { password: 'pw' } },
    );
    try {
      const keys = Array.from({ length: 200 }, (_, i) => `slot-spread:${i}`);
      await Promise.all(keys.map((k) => c.set(k, k)));
      const values = await Promise.all(keys.map((k) => c.get(k)));
      expect(values).toEqual(keys);
      const perMaster = await Promise.all(c.nodes('master').map((n) => n.dbsize()));
      expect(perMaster.every((n) => n > 0)).toBe(true);
    } finally {
      c.disconnect();
    }
  });

  it('lists every primary with its replica in every node view', async () => {
    const { masters, replicas } = cluster();
    const views = await Promise.all(
      [...masters, ...replicas].map(async (n) => {
        const c = client(n, { password: 'pw' });
        try {
          return (await c.call('CLUSTER', 'SLOTS')) as unknown[][];
        } finally {
          c.disconnect();
        }
      }),
    );
    for (const slots of views) {
      expect(slots).toHaveLength(3);
      for (const range of slots) expect(range).toHaveLength(4);
    }
  });

  it('leaves no node process alive after stop', async () => {
    const t = cluster();
    const pids = [...t.masters, ...t.replicas].map((n) => n.pid);

    await t.stop();

    expect(pids.filter(isAlive)).toEqual([]);
  });
});

describe('startCluster with tls', () => {
  const cluster = useCluster({ masters: 3, replicasPerMaster: 0, tls: true });

  it('serves a verifying TLS cluster client', async () => {
    const { masters, tls } = cluster();
    const c = new Cluster(
      masters.map((m) => ({ host: m.host, port: m.port })),
      { redisOptions: { tls: { ca: tls?.caPem } } },
    );
    try {
      await c.set('tls:a', '1');
      await c.set('tls:b', '2');
      expect(await c.mget('tls:a')).toEqual(['1']);
      expect(await c.get('tls:b')).toBe('2');
    } finally {
      c.disconnect();
    }
  });
});
