import type { Policy } from '../config/index.js';
import { offlineReadiness } from './offline.js';
import { onlineReadiness } from './online.js';
import type { ReadinessRules } from './readiness.js';

/** The readiness rules of a policy's mode. */
export function readinessRules(mode: Policy['mode']): ReadinessRules {
  return mode === 'offline' ? offlineReadiness : onlineReadiness;
}
