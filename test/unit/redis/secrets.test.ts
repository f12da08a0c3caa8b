import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSecretResolver, SecretResolutionError } from '../../../src/redis/index.js';

const sm = mockClient(SecretsManagerClient);
afterEach(() => {
  sm.reset();
  vi.useRealTimers();
});

describe('createSecretResolver', () => {
  it('returns an inline secret as it is and reads an environment variable', async () => {
    const secrets = createSecretResolver({ env: { REDIS_PW: 'from-env' } });

    expect(await secrets.resolve('inline')).toBe('inline');
    expect(await secrets.resolve({ env: 'REDIS_PW' })).toBe('from-env');
  });

  it('names a missing environment variable', async () => {
    const secrets = createSecretResolver({ env: {} });

    await expect(secrets.resolve({ env: 'REDIS_PW' })).rejects.toThrow(
      'environment variable REDIS_PW is not set',
    );
  });

  it('reads a JSON field of a Secrets Manager secret and caches it for the TTL', async () => {
    sm.on(GetSecretValueCommand, { SecretId: 'acme/redis' }).resolves({
      SecretString: JSON.stringify({ password: 'pw-1' }),
    });
    // Powertools' cache reads the clock itself: only Date is faked (the SDK's own timers stay real).
    vi.useFakeTimers({ toFake: ['Date'], now: 0 });
    const secrets = createSecretResolver({ secretsManager: new SecretsManagerClient({}), ttlMs: 60_000 });

    expect(await secrets.resolve({ secretId: 'acme/redis', field: 'password' })).toBe('pw-1');
    vi.setSystemTime(59_000);
    expect(await secrets.resolve({ secretId: 'acme/redis', field: 'password' })).toBe('pw-1');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(secrets.stats()).toEqual({ lookups: 2, fetches: 1 });
    vi.setSystemTime(61_000);
    await secrets.resolve({ secretId: 'acme/redis', field: 'password' });
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(secrets.stats()).toEqual({ lookups: 3, fetches: 2 });
  });

  it('does not cache a failed read and wraps it with the secret id, not its value', async () => {
    sm.on(GetSecretValueCommand).rejectsOnce(new Error('AccessDenied')).resolves({ SecretString: 'whole' });
    const secrets = createSecretResolver({ secretsManager: new SecretsManagerClient({}) });

    const failure = await secrets.resolve({ secretId: 'acme/redis' }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SecretResolutionError);
    expect((failure as Error).message).toBe('could not read secret "acme/redis" from Secrets Manager');
    expect((failure as Error).cause).toBeInstanceOf(Error);

    expect(await secrets.resolve({ secretId: 'acme/redis' })).toBe('whole');
  });

  it('names a missing field without showing the secret', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ user: 'x', token: 'hunter2' }) });
    const secrets = createSecretResolver({ secretsManager: new SecretsManagerClient({}) });

    const failure = await secrets.resolve({ secretId: 'acme/redis', field: 'password' }).then(
      () => new Error('resolved'),
      (e: Error) => e,
    );

    expect(failure.message).toBe('secret "acme/redis" has no string field "password"');
    expect(failure.message).not.toContain('hunter2');
  });
});
