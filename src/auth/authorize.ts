import { bearerToken, principalForToken, type TokenTable } from './tokens.js';

/** The request's view the authorizer needs: the identity source or the headers (any case). */
export interface AuthorizationRequest {
  identitySource?: readonly string[] | undefined;
  headers?: Record<string, string | undefined> | undefined;
}

/**
 * The principal a request's bearer token belongs to, or undefined. The tables are merged in order (a
 * later one wins for a principal it names: the secret over the environment).
 */
export function authorizeRequest(
  request: AuthorizationRequest,
  tables: readonly TokenTable[],
): string | undefined {
  const table = new Map<string, Buffer>();
  for (const t of tables) for (const [principal, hash] of t) table.set(principal, hash);
  const header = request.identitySource?.[0] ?? headerOf(request.headers, 'authorization');
  return principalForToken(bearerToken(header), table);
}

function headerOf(headers: Record<string, string | undefined> | undefined, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers ?? {})) if (key.toLowerCase() === name) return value;
  return undefined;
}
