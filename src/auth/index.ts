export type { AuthorizationRequest } from './authorize.js';
export { authorizeRequest, SESSION_COOKIE, sessionToken } from './authorize.js';
export { TokenTableError } from './errors.js';
export type { TokenTable } from './tokens.js';
export { bearerToken, hashToken, parseTokenHashes, parseTokenSecret, principalForToken } from './tokens.js';
