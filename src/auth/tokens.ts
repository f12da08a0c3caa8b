import { createHash, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import { TokenTableError } from './errors.js';

/** What a token may do: `read` every GET (JSON API and pages), `action` the POSTs (actions, mute, fence). */
export type Scope = 'read' | 'action';

/** One principal's token: the SHA-256 of it, its scopes, and the tenants it may see (`*`: all). */
export interface TokenEntry {
  hash: Buffer;
  scopes: readonly Scope[];
  tenants: '*' | readonly string[];
}

/** principal → the principal's token entry. */
export type TokenTable = ReadonlyMap<string, TokenEntry>;

/** What an authenticated request may do: who, which scopes, which tenants. */
export interface Grant {
  principal: string;
  scopes: readonly Scope[];
  tenants: '*' | readonly string[];
}

const principalSchema = z
  .string()
  .regex(/^[A-Za-z0-9._@:+-]{1,128}$/, 'principal: letters, digits, . _ @ : + -');
const hashSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, 'must be the SHA-256 of the token as 64 hex digits')
  .transform((h) => Buffer.from(h, 'hex'));
const tenantSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'tenant ids: letters, digits, _ . -');
// `action` implies `read`: a release manager who may act may see what they act on.
const scopesSchema = z
  .array(z.enum(['read', 'action'], { error: 'scopes are read and action' }))
  .min(1)
  .transform((s): Scope[] => (s.includes('action') ? ['read', 'action'] : ['read']));
const tenantsSchema = z.union([z.literal('*'), z.array(tenantSchema).min(1).max(1000)]);

/** Tokens configured before scopes existed were action tokens: every scope, every tenant. */
const FULL = { scopes: ['read', 'action'] as Scope[], tenants: '*' as const };

/**
 * Parses `alice=<sha256hex>[:read|read+action[:acme+beta]],bob=…` (SOAKWATCH_API_TOKEN_HASHES); an
 * entry without scopes has both, without tenants every tenant. Throws naming the bad entry; a hash is not
 * a secret, but the message still shows only the principal.
 */
export function parseTokenHashes(text: string | undefined): TokenTable {
  const table = new Map<string, TokenEntry>();
  if (!text?.trim()) return table;
  for (const [i, entry] of text.split(',').entries()) {
    const at = entry.indexOf('=');
    const [hashText = '', scopesText, tenantsText, ...rest] = entry
      .slice(at + 1)
      .trim()
      .split(':');
    const principal = principalSchema.safeParse(entry.slice(0, at).trim());
    const hash = hashSchema.safeParse(hashText);
    const scopes = scopesSchema.safeParse(scopesText === undefined ? FULL.scopes : scopesText.split('+'));
    const tenants = tenantsSchema.safeParse(
      tenantsText === undefined || tenantsText === '*' ? '*' : tenantsText.split('+'),
    );
    const problem =
      at < 0
        ? 'missing "="'
        : !principal.success
          ? principal.error.issues[0]?.message
          : !hash.success
            ? hash.error.issues[0]?.message
            : !scopes.success
              ? scopes.error.issues[0]?.message
              : !tenants.success
                ? tenants.error.issues[0]?.message
                : rest.length > 0
                  ? 'too many ":" parts'
                  : undefined;
    if (problem || !principal.success || !hash.success || !scopes.success || !tenants.success)
      throw new TokenTableError(
        `SOAKWATCH_API_TOKEN_HASHES entry ${i + 1}: expected principal=<sha256 hex>[:scopes[:tenants]] (${problem})`,
      );
    table.set(principal.data, { hash: hash.data, scopes: scopes.data, tenants: tenants.data });
  }
  return table;
}

const secretEntrySchema = z.union([
  hashSchema.transform((hash) => ({ hash, ...FULL })),
  z.strictObject({
    hash: hashSchema,
    scopes: scopesSchema.default(FULL.scopes),
    tenants: tenantsSchema.default('*'),
  }),
]);

/**
 * Parses a Secrets Manager secret `{"alice": "<sha256hex>", "bob": {"hash": "…", "scopes": ["read"],
 * "tenants": ["acme"]}}` into a table.
 */
export function parseTokenSecret(secret: unknown): TokenTable {
  const result = z.record(principalSchema, secretEntrySchema).safeParse(secret);
  if (!result.success)
    throw new TokenTableError(
      `API token secret: ${result.error.issues[0]?.path.join('.') ?? ''} ${result.error.issues[0]?.message ?? ''}`,
    );
  return new Map(Object.entries(result.data));
}

/** Tables merged in order: a later one wins for a principal it names (the secret over the environment). */
export function mergeTokenTables(tables: readonly TokenTable[]): TokenTable {
  const table = new Map<string, TokenEntry>();
  for (const t of tables) for (const [principal, entry] of t) table.set(principal, entry);
  return table;
}

/** SHA-256 of a token (what an operator stores: `printf %s "$TOKEN" | sha256sum`). */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * The grant of the principal whose token this is, or undefined. Every entry is compared, in constant
 * time, whether or not an earlier one matched, so timing tells nothing about which principals or how many
 * bytes matched.
 */
export function grantForToken(token: string, table: TokenTable): Grant | undefined {
  if (!token) return undefined;
  const digest = hashToken(token);
  let found: Grant | undefined;
  for (const [principal, entry] of table) {
    if (timingSafeEqual(digest, entry.hash) && found === undefined)
      found = { principal, scopes: entry.scopes, tenants: entry.tenants };
  }
  return found;
}

/** The principal whose token this is, or undefined. */
export function principalForToken(token: string, table: TokenTable): string | undefined {
  return grantForToken(token, table)?.principal;
}

/** The token of an `Authorization: Bearer <token>` value ('' when absent or another scheme). */
export function bearerToken(authorization: string | undefined): string {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1] ?? '';
}

/** The session cookie the browser flow sets (HttpOnly; Secure; SameSite=Strict; Path=/). */
export const SESSION_COOKIE = 'soakwatch_session';

/** The token of the `soakwatch_session` cookie among a request's cookies ('' when absent). */
export function sessionToken(cookies: readonly string[] | string | undefined): string {
  const all = typeof cookies === 'string' ? cookies.split(';') : (cookies ?? []).flatMap((c) => c.split(';'));
  for (const c of all) {
    const eq = c.indexOf('=');
    if (eq > 0 && c.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = c.slice(eq + 1).trim();
      if (/^[A-Za-z0-9._~+/=-]{1,512}$/.test(value)) return value;
    }
  }
  return '';
}
