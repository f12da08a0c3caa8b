export type { AuthorizationRequest, AuthorizeOutcome } from './authorize.js';
export { allows, authorizeRequest, grantContext, requiredScope } from './authorize.js';
export { AuthError, TokenTableError } from './errors.js';
export { principalOf } from './principal.js';
export type { Grant, Scope, TokenEntry, TokenTable } from './tokens.js';
export {
  bearerToken,
  grantForToken,
  hashToken,
  mergeTokenTables,
  parseTokenHashes,
  parseTokenSecret,
  principalForToken,
  SESSION_COOKIE,
  sessionToken,
} from './tokens.js';
