import {
  type Grant,
  grantForToken,
  mergeTokenTables,
  parseTokenHashes,
  parseTokenSecret,
  type TokenTable,
} from '../auth/index.js';
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

/**
 * Every token table in force: the environment's and, when SOAKWATCH_API_TOKENS_SECRET_ID names one, the
 * secret's (read through the resolver's cache: a revocation is seen within five minutes). The one source
 * of tokens for the authorizer and for POST /login.
 */
export async function tokenTables(rt: AuthorizeRuntime): Promise<TokenTable[]> {
  if (!rt.secretId) return [rt.fromEnv];
  return [rt.fromEnv, parseTokenSecret(parseJsonSecret(await rt.secrets.resolve({ secretId: rt.secretId })))];
}

/** The grant of a token by those tables, merged as the authorizer merges them; undefined when none knows it. */
export async function grantOfToken(rt: AuthorizeRuntime, token: string): Promise<Grant | undefined> {
  return grantForToken(token, mergeTokenTables(await tokenTables(rt)));
}

/** The token secret's JSON; its parse error is replaced (it would quote the secret's text). */
function parseJsonSecret(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error('API token secret: not JSON');
  }
}
