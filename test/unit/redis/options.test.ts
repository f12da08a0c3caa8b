import { describe, expect, it } from 'vitest';
import {
  CONNECTION_NAME,
  clusterOptions,
  createSecretResolver,
  nodeOptions,
  parseAddress,
  resolveSideAuth,
} from '../../../src/redis/index.js';

const timeouts = { connectTimeoutMs: 2_000, commandTimeoutMs: 1_000 };

describe('resolveSideAuth', () => {
  it('turns TLS on for rediss:// and takes credentials from the URL when none are configured', async () => {
    const auth = await resolveSideAuth(
      { url: 'rediss://app:p%40ss@cache.example:6380' },
      createSecretResolver(),
    );

    expect(auth).toEqual({ username: 'app', password: 'p@ss', tls: { rejectUnauthorized: true } });
  });

  it('prefers configured credentials and keeps verification on with a private CA', async () => {
    const auth = await resolveSideAuth(
      {
        url: 'redis://u:url-pw@h:1',
        username: 'soakwatch',
        password: { env: 'PW' },
        tls: { ca: 'PEM', servername: 'cfg.example' },
      },
      createSecretResolver({ env: { PW: 'env-pw' } }),
    );

    expect(auth).toEqual({
      username: 'soakwatch',
      password: 'env-pw',
      tls: { rejectUnauthorized: true, ca: 'PEM', servername: 'cfg.example' },
    });
  });

  it('names a CA file that cannot be read', async () => {
    await expect(
      resolveSideAuth({ url: 'redis://h:1', tls: { caFile: '/nonexistent/ca.pem' } }, createSecretResolver()),
    ).rejects.toThrow('could not read the TLS CA file /nonexistent/ca.pem');
  });
});

describe('nodeOptions', () => {
  it('names the connection, bounds every wait and fails fast instead of queueing', () => {
    const opts = nodeOptions(
      { host: 'node-1.cache.example', port: 6379 },
      { tls: { rejectUnauthorized: true } },
      timeouts,
      3,
    );

    expect(opts).toMatchObject({
      host: 'node-1.cache.example',
      port: 6379,
      db: 3,
      connectionName: CONNECTION_NAME,
      connectTimeout: 2_000,
      commandTimeout: 1_000,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: true,
      tls: { rejectUnauthorized: true, servername: 'node-1.cache.example' },
    });
    expect(opts.retryStrategy?.(1)).toBeNull();
  });

  it('sends no SNI for an IP address', () => {
    const opts = nodeOptions(
      { host: '10.0.0.1', port: 6379 },
      { tls: { rejectUnauthorized: true } },
      timeouts,
    );

    expect(opts.tls).toEqual({ rejectUnauthorized: true });
  });
});

describe('clusterOptions', () => {
  it('passes node host names through dnsLookup with TLS, so certificates match', () => {
    const opts = clusterOptions({ password: 'x', tls: { rejectUnauthorized: true } }, timeouts);
    let resolved = '';
    opts.dnsLookup?.('node-2.cache.example', (_err, address) => {
      resolved = address;
    });

    expect(resolved).toBe('node-2.cache.example');
    expect(opts.redisOptions).toMatchObject({
      password: 'x',
      connectionName: CONNECTION_NAME,
      commandTimeout: 1_000,
    });
    expect(opts.enableOfflineQueue).toBe(false);
  });

  it('sends no CLIENT SETINFO from any node connection of the cluster client (Redis < 7.2 answers it with ERR)', () => {
    expect(clusterOptions({}, timeouts).redisOptions?.disableClientInfo).toBe(true);
    expect(nodeOptions({ host: 'h', port: 1 }, {}, timeouts).disableClientInfo).toBe(true);
  });

  it('leaves DNS alone without TLS', () => {
    expect(clusterOptions({}, timeouts).dnsLookup).toBeUndefined();
  });
});

describe('parseAddress', () => {
  it('reads host:port and bracketed IPv6', () => {
    expect(parseAddress('10.0.0.1:6379')).toEqual({ host: '10.0.0.1', port: 6379 });
    expect(parseAddress('[::1]:6380')).toEqual({ host: '::1', port: 6380 });
    expect(parseAddress('nope')).toBeUndefined();
  });
});
