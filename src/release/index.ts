export type { ActionInput, ActionOutcome } from './actions.js';
export { actionInputSchema, performAction } from './actions.js';
export { ReleaseError } from './errors.js';
export type { TenantStatus } from './status.js';
export { criterionWhy, findTenant, getStatus, inconclusiveReasonsOf, listStatuses } from './status.js';
