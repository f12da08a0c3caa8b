import type { SecretsGetOptions } from '@aws-lambda-powertools/parameters/secrets/types';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretRef } from '../config/schema.js';
import { SecretResolutionError } from './errors.js';

/** Turns a `SecretRef` into the secret's value. */
export interface SecretResolver {
  resolve(ref: SecretRef): Promise<string>;
  /**
   * Secrets Manager lookups so far: every `{ secretId }` resolved, and the reads that went to Secrets
   * Manager (the rest were served by the cache). What a test or a dashboard checks the cache by.
   */
  stats(): { lookups: number; fetches: number };
}

export interface SecretResolverOptions {
  /**
   * The Secrets Manager client to read through (a test's mocked client). By default Powertools builds
   * its own, which honours the SDK's endpoint settings (AWS_ENDPOINT_URL_SECRETS_MANAGER).
   */
  secretsManager?: SecretsManagerClient;
  env?: NodeJS.ProcessEnv;
  /** How long a Secrets Manager value is reused (default 5 minutes; whole seconds). */
  ttlMs?: number;
}

/** What soakwatch uses of the Powertools SecretsProvider. */
interface Provider {
  get(name: string, options: { maxAge: number }): Promise<unknown>;
}

/**
 * Resolves inline strings, `{ env }` and `{ secretId, field }`. Secrets Manager values are read through
 * Powertools Parameters' SecretsProvider — one library and one cache for every secret of the process (the
 * state store's password, the tenants', webhook secrets, the API's token table) — so a warm Lambda does
 * not call Secrets Manager every minute. The provider (and with it the SDK client, a big module) is
 * imported on the first `{ secretId }`: most processes never read one, and module init stays small.
 * Messages name the reference, never the value.
 */
export function createSecretResolver(opts: SecretResolverOptions = {}): SecretResolver {
  const env = opts.env ?? process.env;
  // Powertools counts maxAge in seconds; at least one, so a value is shared by one tick's tenants.
  const maxAge = Math.max(1, Math.round((opts.ttlMs ?? 5 * 60_000) / 1000));
  let lookups = 0;
  let fetches = 0;
  let provider: Promise<Provider> | undefined;
  // Concurrent lookups of one secret (a tick's tenants sharing a password) share one read.
  const inFlight = new Map<string, Promise<string>>();

  const providerOf = (): Promise<Provider> => {
    provider ??= import('@aws-lambda-powertools/parameters/secrets').then(({ SecretsProvider }) => {
      // Counts the reads that miss Powertools' cache (`_get` is what its `get` calls on a miss).
      class CountingProvider extends SecretsProvider {
        protected override _get(name: string, options?: SecretsGetOptions) {
          fetches++;
          return super._get(name, options);
        }
      }
      return new CountingProvider(opts.secretsManager ? { awsSdkV3Client: opts.secretsManager } : {});
    });
    provider.catch(() => {
      provider = undefined;
    });
    return provider;
  };

  async function fetchSecret(secretId: string): Promise<string> {
    let value: unknown;
    try {
      value = await (await providerOf()).get(secretId, { maxAge });
    } catch (error) {
      // Powertools caches only values, never a failure: the next sample tries again.
      throw new SecretResolutionError(`could not read secret "${secretId}" from Secrets Manager`, {
        cause: error,
      });
    }
    if (typeof value !== 'string')
      throw new SecretResolutionError(`secret "${secretId}" has no string value`);
    return value;
  }

  function secretText(secretId: string): Promise<string> {
    const pending = inFlight.get(secretId);
    if (pending) return pending;
    const read = fetchSecret(secretId).finally(() => inFlight.delete(secretId));
    inFlight.set(secretId, read);
    return read;
  }

  return {
    stats: () => ({ lookups, fetches }),
    async resolve(ref) {
      if (typeof ref === 'string') return ref;
      if ('env' in ref) {
        const value = env[ref.env];
        if (value === undefined || value === '')
          throw new SecretResolutionError(`environment variable ${ref.env} is not set`);
        return value;
      }
      lookups++;
      const text = await secretText(ref.secretId);
      if (ref.field === undefined) return text;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        throw new SecretResolutionError(
          `secret "${ref.secretId}" is not JSON, so it has no field "${ref.field}"`,
          // The parser's message quotes the text: never let it travel as a cause.
          { cause: error instanceof Error ? new Error(error.name) : undefined },
        );
      }
      const value =
        typeof parsed === 'object' && parsed !== null && Object.hasOwn(parsed, ref.field)
          ? Reflect.get(parsed, ref.field)
          : undefined;
      if (typeof value !== 'string' || value === '')
        throw new SecretResolutionError(`secret "${ref.secretId}" has no string field "${ref.field}"`);
      return value;
    },
  };
}
