import type { Hook } from '../config/schema.js';
import type { HookContext } from './types.js';

/**
 * Where a webhook goes, safe for audit lines and errors: webhook URLs often carry a token in the path
 * or query (chat integrations), so only scheme and host are shown.
 */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '(invalid URL)';
  }
}

/** A one-line description of what the hook does, for dry-run audit entries ("would have …"). */
export function describeAction(hook: Hook, ctx: HookContext): string {
  const a = hook.action;
  switch (a.type) {
    case 'sns':
      return `published to SNS topic ${a.topicArn}`;
    case 'lambda':
      return `invoked Lambda ${a.functionName} (InvocationType Event)`;
    case 'webhook':
      return `POSTed a signed webhook to ${describeUrl(a.url)}`;
    case 'elasticache':
      return `run ElastiCache ${a.operation} +${a.count} on replication group ${ctx.replicationGroupId ?? '(none configured)'}`;
  }
}
