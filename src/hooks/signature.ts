import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-soakwatch-signature';
export const TIMESTAMP_HEADER = 'x-soakwatch-timestamp';

/** `sha256=<hex>` of HMAC-SHA256(secret, `<timestamp>.<body>`); the timestamp is Unix seconds. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface VerifyWebhookInput {
  secret: string;
  body: string;
  timestamp: string | undefined;
  signature: string | undefined;
  /** Epoch ms of the receiver's clock. */
  now: number;
  /** How old (or early) a timestamp may be; default 5 minutes, against replays. */
  toleranceMs?: number;
}

/** For receivers (and tests): true when the signature matches and the timestamp is fresh. */
export function verifyWebhookSignature(input: VerifyWebhookInput): boolean {
  const { secret, body, timestamp, signature, now, toleranceMs = 5 * 60_000 } = input;
  if (!timestamp || !signature || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(now - Number(timestamp) * 1_000) > toleranceMs) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
