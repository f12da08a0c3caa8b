export type { OpenStateStore } from './connect.js';
export { openStateStore } from './connect.js';
export type { StoreErrorContext } from './errors.js';
export { StoreError, StoreLostError } from './errors.js';
export type { TenantKeys } from './keys.js';
export { claimKey, DEFAULT_KEY_PREFIX, epochKey, tenantKeys, tenantsKey } from './keys.js';
export { stateStoreRedisOptions } from './options.js';
export { createStateStore } from './store.js';
export type {
  AuditEntry,
  CasResult,
  ConnectionReport,
  Lock,
  OutboxEntry,
  StateStore,
  StateStoreClient,
  StateStoreOptions,
  StoredState,
  StoreEpoch,
  StoreEpochDoc,
} from './types.js';
