export type { ConfigIssue } from './errors.js';
export { ConfigError } from './errors.js';
export { formatPath, loadConfig, parseConfig, parseConfigText } from './load.js';
export type {
  Config,
  Criterion,
  Hook,
  LegacyConfig,
  Policy,
  SecretRef,
  TargetConfig,
  TenantConfig,
  TlsOptions,
} from './schema.js';
export {
  configSchema,
  criterionSchema,
  DEFAULT_REPLICATION_CRITERIA,
  DEFAULT_SOAK_CRITERIA,
  durationSchema,
  hookSchema,
  policySchema,
  tenantSchema,
} from './schema.js';
