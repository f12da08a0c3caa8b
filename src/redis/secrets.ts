import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretRef } from '../config/schema.js';
import { SecretResolutionError } from './errors.js';

/** Turns a `SecretRef` into the secret's value. */
export interface SecretResolver {
  resolve(ref: SecretRef): Promise<string>;
}

export interface SecretResolverOptions {
  /** Needed only for `{ secretId }` references. */
  secretsManager?: SecretsManagerClient;
  env?: NodeJS.ProcessEnv;
  /** How long a Secrets Manager value is reused (default 5 minutes). */
  ttlMs?: number;
  now?: () => number;
}

/**
 * Resolves inline strings, `{ env }` and `{ secretId, field }` (AWS Secrets Manager, cached so a
 * warm Lambda does not call Secrets Manager every minute). Messages name the reference, never the value.
 */
export function createSecretResolver(opts: SecretResolverOptions = {}): SecretResolver {
  const env = opts.env ?? process.env;
  const ttlMs = opts.ttlMs ?? 5 * 60_000;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, { at: number; value: Promise<string> }>();

  async function fetchSecret(secretId: string): Promise<string> {
    if (!opts.secretsManager)
      throw new SecretResolutionError(`secret "${secretId}" needs a Secrets Manager client`);
    try {
      // Imported when a secret is first read: most processes never read one, and the SDK module is big.
      const { GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
      const out = await opts.secretsManager.send(new GetSecretValueCommand({ SecretId: secretId }));
      if (out.SecretString === undefined)
        throw new SecretResolutionError(`secret "${secretId}" has no string value`);
      return out.SecretString;
    } catch (error) {
      if (error instanceof SecretResolutionError) throw error;
      throw new SecretResolutionError(`could not read secret "${secretId}" from Secrets Manager`, {
        cause: error,
      });
    }
  }

  return {
    async resolve(ref) {
      if (typeof ref === 'string') return ref;
      if ('env' in ref) {
        const value = env[ref.env];
        if (value === undefined || value === '')
          throw new SecretResolutionError(`environment variable ${ref.env} is not set`);
        return value;
      }
      const hit = cache.get(ref.secretId);
      let secret: Promise<string>;
      if (hit && now() - hit.at < ttlMs) secret = hit.value;
      else {
        secret = fetchSecret(ref.secretId);
        cache.set(ref.secretId, { at: now(), value: secret });
        // A failed read is not cached: the next sample tries again.
        secret.catch(() => {
          if (cache.get(ref.secretId)?.value === secret) cache.delete(ref.secretId);
        });
      }
      const text = await secret;
      if (ref.field === undefined) return text;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        throw new SecretResolutionError(
          `secret "${ref.secretId}" is not JSON, so it has no field "${ref.field}"`,
          {
            cause: error,
          },
        );
      }
      const value =
        typeof parsed === 'object' && parsed !== null ? Reflect.get(parsed, ref.field) : undefined;
      if (typeof value !== 'string' || value === '')
        throw new SecretResolutionError(`secret "${ref.secretId}" has no string field "${ref.field}"`);
      return value;
    },
  };
}
