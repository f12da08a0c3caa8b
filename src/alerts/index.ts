export { AlertError } from './errors.js';
export { formatTime, formatValue, safeSubject } from './format.js';
export { milestoneOf } from './milestones.js';
export type { Mute } from './mute.js';
export { MUTES_DOC } from './mute.js';
export type { SnsPublisher } from './publish.js';
export { createSnsPublisher } from './publish.js';
export { emptyAlertMemory, planAlerts } from './renderAlert.js';
export type { RootCause } from './rootCause.js';
export { rootCauseOf } from './rootCause.js';
export type { AlertPayload } from './structure.js';
export { ALERT_PAYLOAD_SCHEMA, chatbotNotification, snsStructure, tenantLink } from './structure.js';
export type {
  AlertInput,
  AlertKind,
  AlertMemory,
  AlertPlan,
  AlertPlanOptions,
  AlertTransition,
  FiringCriterion,
  Milestone,
  OutgoingMessage,
  Severity,
} from './types.js';
