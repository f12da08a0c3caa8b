import { parseTokenHashes, type TokenTable } from '../auth/index.js';
import type { Env } from './env.js';

/** What the API authorizer holds: the token hashes of the environment, and the secret that has more. */
export interface AuthorizeRuntime {
  /** SOAKWATCH_API_TOKEN_HASHES, parsed at cold start (a bad entry fails it, naming the entry). */
  fromEnv: TokenTable;
  /** SOAKWATCH_API_TOKENS_SECRET_ID, trimmed; undefined when blank (no secret is read). */
  secretId: string | undefined;
}

/** The authorizer's runtime: no client of its own (the Secrets Manager middleware has its own). */
export function authorizeRuntime(env: Env): AuthorizeRuntime {
  const secretId = env.SOAKWATCH_API_TOKENS_SECRET_ID?.trim();
  return {
    fromEnv: parseTokenHashes(env.SOAKWATCH_API_TOKEN_HASHES),
    secretId: secretId ? secretId : undefined,
  };
}
