import { createHash, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import { TokenTableError } from './errors.js';

/** principal → SHA-256 of the principal's API token (32 bytes). */
export type TokenTable = ReadonlyMap<string, Buffer>;

const principalSchema = z
  .string()
  .regex(/^[A-Za-z0-9._@:+-]{1,128}$/, 'principal: letters, digits, . _ @ : + -');
const hashSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, 'must be the SHA-256 of the token as 64 hex digits')
  .transform((h) => Buffer.from(h, 'hex'));

/**
 * Parses `alice=<sha256hex>,bob=<sha256hex>` (SOAKWATCH_API_TOKEN_HASHES). Throws naming the bad entry;
 * a hash is not a secret, but the message still shows only the principal.
 */
export function parseTokenHashes(text: string | undefined): TokenTable {
  const table = new Map<string, Buffer>();
  if (!text?.trim()) return table;
  for (const [i, entry] of text.split(',').entries()) {
    const at = entry.indexOf('=');
    const principal = principalSchema.safeParse(entry.slice(0, at).trim());
    const hash = hashSchema.safeParse(entry.slice(at + 1).trim());
    if (at < 0 || !principal.success || !hash.success)
      throw new TokenTableError(
        `SOAKWATCH_API_TOKEN_HASHES entry ${i + 1}: expected principal=<sha256 hex> (${
          principal.success
            ? (hash.error?.issues[0]?.message ?? 'missing "="')
            : principal.error.issues[0]?.message
        })`,
      );
    table.set(principal.data, hash.data);
  }
  return table;
}

/** Parses a Secrets Manager secret `{"alice": "<sha256hex>", …}` into a table. */
export function parseTokenSecret(secret: unknown): TokenTable {
  const result = z.record(principalSchema, hashSchema).safeParse(secret);
  if (!result.success)
    throw new TokenTableError(
      `API token secret: ${result.error.issues[0]?.path.join('.') ?? ''} ${result.error.issues[0]?.message ?? ''}`,
    );
  return new Map(Object.entries(result.data));
}

/** SHA-256 of a token (what an operator stores: `printf %s "$TOKEN" | sha256sum`). */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * The principal whose token this is, or undefined. Every entry is compared, in constant time, whether or
 * not an earlier one matched, so timing tells nothing about which principals or how many bytes matched.
 */
export function principalForToken(token: string, table: TokenTable): string | undefined {
  if (!token) return undefined;
  const digest = hashToken(token);
  let found: string | undefined;
  for (const [principal, expected] of table) {
    if (timingSafeEqual(digest, expected) && found === undefined) found = principal;
  }
  return found;
}

/** The token of an `Authorization: Bearer <token>` value ('' when absent or another scheme). */
export function bearerToken(authorization: string | undefined): string {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1] ?? '';
}
