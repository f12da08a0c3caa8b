import { z } from 'zod';

/**
 * The environment, read once through one schema at first use; a bad value fails naming the variable.
 * Everything else comes from the configuration file.
 */
const envSchema = z.object({
  SOAKWATCH_CONFIG: z.string().min(1).default('soakwatch.config.yml'),
  /** Override the configuration's topics (serverless.yml passes the ARNs of the topics it creates). */
  SOAKWATCH_ALERT_TOPIC_ARN: z.string().min(1).optional(),
  SOAKWATCH_RELEASE_TOPIC_ARN: z.string().min(1).optional(),
  /** Override the configuration's state store URL. */
  SOAKWATCH_STATE_URL: z.string().min(1).optional(),
  AWS_REGION: z.string().min(1).default('us-east-1'),
});
export type Env = z.infer<typeof envSchema>;

let cached: Env | undefined;

/** The parsed environment (memoized). */
export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  if (source !== process.env) return parse(source);
  cached ??= parse(source);
  return cached;
}

function parse(source: NodeJS.ProcessEnv): Env {
  const result = envSchema.safeParse(source);
  if (result.success) return result.data;
  const what = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  throw new Error(`invalid environment: ${what}`);
}
