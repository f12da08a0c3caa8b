import { bearerToken, principalForToken, type TokenTable } from './tokens.js';

/** The request's view the authorizer needs: the identity source or the headers (any case). */
export interface AuthorizationRequest {
  identitySource?: readonly string[] | undefined;
  headers?: Record<string, string | undefined> | undefined;
  /** HTTP API payload 2.0 carries cookies here (serverless offline leaves them in the Cookie header). */
  cookies?: readonly string[] | undefined;
}

/** The browser's session cookie (set by POST /login): the same token as a bearer, for the pages. */
export const SESSION_COOKIE = 'soakwatch_session';

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
  const header = request.identitySource?.[0] || headerOf(request.headers, 'authorization');
  const token = bearerToken(header) || sessionToken(request);
  return principalForToken(token, table);
}

/** The session cookie's token ('' when absent). */
export function sessionToken(request: Pick<AuthorizationRequest, 'headers' | 'cookies'>): string {
  const pairs = [...(request.cookies ?? []), ...(headerOf(request.headers, 'cookie') ?? '').split(';')];
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at > 0 && pair.slice(0, at).trim() === SESSION_COOKIE) return pair.slice(at + 1).trim();
  }
  return '';
}

function headerOf(headers: Record<string, string | undefined> | undefined, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers ?? {})) if (key.toLowerCase() === name) return value;
  return undefined;
}
