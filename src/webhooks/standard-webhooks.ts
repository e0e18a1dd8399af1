import { createHmac, randomBytes } from 'node:crypto';

/** Bytes of a signing secret: 32, as the Standard Webhooks reference libraries generate. */
const SECRET_BYTES = 32;
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/**
 * A fresh endpoint signing secret in the Standard Webhooks form `whsec_<base64>`.
 *
 * @example newWebhookSecret() // 'whsec_9xX…='
 */
export function newWebhookSecret(random: (n: number) => Buffer = randomBytes): string {
  return `${WEBHOOK_SECRET_PREFIX}${random(SECRET_BYTES).toString('base64')}`;
}

/** The headers of one signed delivery. */
export interface WebhookSignatureHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * Signs a delivery the Standard Webhooks way: `v1,` and the base64 HMAC-SHA256 of
 * `id.timestamp.body` keyed with the base64-decoded part of the `whsec_…` secret. The timestamp
 * is in whole seconds.
 *
 * @example signWebhook('whsec_…', 'msg_…', 1767225600, '{"type":"key.revoked"}')['webhook-signature'] // 'v1,K5o…='
 */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): WebhookSignatureHeaders {
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) throw new RangeError('a webhook secret starts with whsec_');
  const key = Buffer.from(secret.slice(WEBHOOK_SECRET_PREFIX.length), 'base64');
  const timestamp = String(Math.floor(timestampSeconds));
  const mac = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  key.fill(0);
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${mac}` };
}
