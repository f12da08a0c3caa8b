import {
  bearerToken,
  type Grant,
  grantForToken,
  mergeTokenTables,
  type Scope,
  sessionToken,
  type TokenTable,
} from './tokens.js';

/** The request's view the authorizer needs (HTTP API payload 2.0): headers, cookies, method, path id. */
export interface AuthorizationRequest {
  identitySource?: readonly string[] | undefined;
  headers?: Record<string, string | undefined> | undefined;
  cookies?: readonly string[] | undefined;
  requestContext?: { http?: { method?: string } } | undefined;
  routeKey?: string | undefined;
  pathParameters?: Record<string, string | undefined> | undefined;
}

/** The scope a route needs: `read` for every GET (and HEAD), `action` for anything else. */
export function requiredScope(method: string | undefined): Scope {
  const m = (method ?? '').toUpperCase();
  return m === 'GET' || m === 'HEAD' ? 'read' : 'action';
}

/** Whether a grant allows `scope` on `tenant` (no tenant: a route across tenants, filtered by the API). */
export function allows(grant: Grant, scope: Scope, tenant?: string): boolean {
  if (!grant.scopes.includes(scope)) return false;
  return tenant === undefined || grant.tenants === '*' || grant.tenants.includes(tenant);
}

export type AuthorizeOutcome =
  | { ok: true; grant: Grant }
  | { ok: false; reason: 'no-credentials' | 'unknown-token' | 'scope' | 'tenant'; principal?: string };

/**
 * Who the request is, and whether that principal may do what it asks: a token from `Authorization:
 * Bearer` or the `soakwatch_session` cookie (the header wins), matched against the tables merged in order
 * (a later one wins for a principal it names: the secret over the environment), then the route's scope
 * and the path's tenant. Never a token in a URL.
 */
export function authorizeRequest(
  request: AuthorizationRequest,
  tables: readonly TokenTable[],
): AuthorizeOutcome {
  const table = mergeTokenTables(tables);
  const header = headerOf(request.headers, 'authorization');
  const token = bearerToken(header) || sessionToken(request.cookies ?? headerOf(request.headers, 'cookie'));
  if (!token) return { ok: false, reason: 'no-credentials' };
  const grant = grantForToken(token, table);
  if (!grant) return { ok: false, reason: 'unknown-token' };
  const method = request.requestContext?.http?.method ?? request.routeKey?.split(' ')[0];
  const scope = requiredScope(method);
  if (!allows(grant, scope)) return { ok: false, reason: 'scope', principal: grant.principal };
  const tenant = request.pathParameters?.id;
  if (tenant !== undefined && !allows(grant, scope, tenant))
    return { ok: false, reason: 'tenant', principal: grant.principal };
  return { ok: true, grant };
}

/** The authorizer's simple-response context (strings only: API Gateway passes flat string values). */
export function grantContext(grant: Grant): { principal: string; scopes: string; tenants: string } {
  return {
    principal: grant.principal,
    scopes: grant.scopes.join(','),
    tenants: grant.tenants === '*' ? '*' : grant.tenants.join(','),
  };
}

function headerOf(headers: Record<string, string | undefined> | undefined, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers ?? {})) if (key.toLowerCase() === name) return value;
  return undefined;
}
