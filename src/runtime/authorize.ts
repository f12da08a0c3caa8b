import { parseTokenHashes, type TokenTable } from '../auth/index.js';
import { createSecretResolver, type SecretResolver } from '../redis/secrets.js';
import type { Env } from './env.js';

/** What the API authorizer holds: the token hashes of the environment, and the secret that has more. */
export interface AuthorizeRuntime {
  /** SOAKWATCH_API_TOKEN_HASHES, parsed at cold start (a bad entry fails it, naming the entry). */
  fromEnv: TokenTable;
  /** SOAKWATCH_API_TOKENS_SECRET_ID, trimmed; undefined when blank (no secret is read). */
  secretId: string | undefined;
  /** The one secret resolver of every soakwatch process (Powertools Parameters, cached 5 minutes). */
  secrets: SecretResolver;
}

/** The authorizer's runtime: the secret resolver builds its Secrets Manager client on the first read. */
export function authorizeRuntime(
  env: Env,
  secrets: SecretResolver = createSecretResolver(),
): AuthorizeRuntime {
  const secretId = env.SOAKWATCH_API_TOKENS_SECRET_ID?.trim();
  return {
    fromEnv: parseTokenHashes(env.SOAKWATCH_API_TOKEN_HASHES),
    secretId: secretId ? secretId : undefined,
    secrets,
  };
}
