export type { AuthorizationRequest } from './authorize.js';
export { authorizeRequest } from './authorize.js';
export { TokenTableError } from './errors.js';
export type { TokenTable } from './tokens.js';
export { bearerToken, hashToken, parseTokenHashes, parseTokenSecret, principalForToken } from './tokens.js';
