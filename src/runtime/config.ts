import { type Config, loadConfig } from '../config/index.js';
import type { Env } from './env.js';

/**
 * The configuration of a process, the same for every Lambda and the command line: the file at `path`
 * (the CLI's --config), else SOAKWATCH_CONFIG, else ./soakwatch.config.yml, with the environment's
 * overrides (state store URL, topic ARNs) on top. One function, so a CLI run and a Lambda given the
 * same environment read the same state store and publish to the same topics.
 */
export function loadConfigFromEnv(env: Env, path?: string): Config {
  const config = loadConfig(path ?? env.SOAKWATCH_CONFIG);
  return {
    ...config,
    stateStore: {
      ...config.stateStore,
      ...(env.SOAKWATCH_STATE_URL ? { url: env.SOAKWATCH_STATE_URL } : {}),
    },
    notifications: {
      ...config.notifications,
      ...(env.SOAKWATCH_ALERT_TOPIC_ARN ? { alertTopicArn: env.SOAKWATCH_ALERT_TOPIC_ARN } : {}),
      ...(env.SOAKWATCH_RELEASE_TOPIC_ARN ? { releaseTopicArn: env.SOAKWATCH_RELEASE_TOPIC_ARN } : {}),
    },
  };
}
