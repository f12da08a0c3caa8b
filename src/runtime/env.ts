import * as z from 'zod';

/**
 * The environment of every soakwatch process (each Lambda and the command line), read through one
 * schema; a bad value fails naming the variable. Everything else comes from the configuration file.
 */
const envSchema = z.object({
  SOAKWATCH_CONFIG: z.string().min(1).default('soakwatch.config.yml'),
  /** Override the configuration's topics (serverless.yml passes the ARNs of the topics it creates). */
  SOAKWATCH_ALERT_TOPIC_ARN: z.string().min(1).optional(),
  SOAKWATCH_RELEASE_TOPIC_ARN: z.string().min(1).optional(),
  /** Override the configuration's state store URL. */
  SOAKWATCH_STATE_URL: z.string().min(1).optional(),
  /** The API authorizer's token hashes: `alice=<sha256 hex>,…` (src/auth). */
  SOAKWATCH_API_TOKEN_HASHES: z.string().optional(),
  /** A Secrets Manager secret holding more token hashes (`{"alice": "<sha256 hex>"}`); blank: none. */
  SOAKWATCH_API_TOKENS_SECRET_ID: z.string().optional(),
  /** The per-tenant tick function the scheduled tick fans out to (serverless.yml sets it); blank: in-process. */
  SOAKWATCH_TICK_TENANT_FUNCTION: z.string().optional(),
  AWS_REGION: z.string().min(1).default('us-east-1'),
});
export type Env = z.infer<typeof envSchema>;

/** Parses the environment; handlers call it once, at module load. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const result = envSchema.safeParse(source);
  if (result.success) return result.data;
  const what = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  throw new Error(`invalid environment: ${what}`);
}
