export { getTenantStatus, listTenants, performAction, renderStatusPage } from './handlers.js';
export { renderStatusHtml } from './statusPage.js';
