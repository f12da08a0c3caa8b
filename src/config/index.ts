export type { ConfigIssue } from './errors.js';
export { ConfigError } from './errors.js';
export { formatPath, loadConfig, parseConfig, parseConfigText } from './load.js';
export type {
  Config,
  Criterion,
  Hook,
  LegacyConfig,
  MilestoneTrigger,
  Policy,
  SecretRef,
  TargetConfig,
  TenantConfig,
  TlsOptions,
} from './schema.js';
export {
  CRITERION_TRIGGER_PREFIX,
  configSchema,
  criterionSchema,
  DEFAULT_REPLICATION_CRITERIA,
  DEFAULT_SOAK_CRITERIA,
  durationSchema,
  hookSchema,
  MAX_DURATION_MS,
  MILESTONE_TRIGGERS,
  policySchema,
  tenantIdSchema,
  tenantSchema,
} from './schema.js';
