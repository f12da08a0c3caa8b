export { httpStatusOf, releaseErrorsToHttp } from './errors.js';
export type { ApiHandlerOptions, ApiRuntime } from './handler.js';
export { createApiHandler } from './handler.js';
export { getTenantStatus, listTenants, performAction } from './handlers.js';
export { html, json, parseOr400 } from './http.js';
