import { createHmac, randomBytes } from 'node:crypto';

export const WEBHOOK_EVENTS = ['image.completed', 'image.failed'] as const;
/** Webhooks one key (tenant) may have: each is a POST per image event from our servers. */
export const MAX_WEBHOOKS_PER_TENANT = 20;
/** How long a finished delivery (delivered, or given up) stays listed on either home. */
export const DELIVERY_RETENTION_MS = 30 * 24 * 3600_000;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** A signing secret as Standard Webhooks writes it: `whsec_` + base64 of 24 random bytes. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

export const generateWebhookId = () => `wh_${randomBytes(12).toString('hex')}`;
/** The `webhook-id` of a message; the same on every attempt, so receivers can deduplicate. */
export const generateMessageId = () => `msg_${randomBytes(16).toString('hex')}`;

/**
 * The Standard Webhooks signature headers (https://www.standardwebhooks.com/): HMAC-SHA256
 * over `${id}.${timestamp}.${body}` keyed with the secret's base64-decoded bytes, sent as
 * `v1,<base64>`; the timestamp is in whole seconds.
 */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': `v1,${signature}`,
  };
}

/**
 * Waits between attempts, in units of the base delay (5 s by default): 5 s, 5 min, 30 min,
 * 2 h, 5 h, 10 h, 10 h, the schedule Standard Webhooks suggests. A delivery whose next attempt
 * would fall more than 24 h (in the same units) after the event is given up as failed.
 */
const RETRY_STEPS = [1, 60, 360, 1440, 3600, 7200, 7200];
const GIVE_UP_STEPS = 17_280;

export const DEFAULT_RETRY_BASE_MS = 5000;

/** When the attempt after `attempts` failed ones is due, or null to give up. */
export function nextAttemptAt(
  createdAt: number,
  attempts: number,
  now: number,
  baseMs = DEFAULT_RETRY_BASE_MS,
): number | null {
  const step = RETRY_STEPS[attempts - 1];
  if (step === undefined) return null;
  const at = now + step * baseMs;
  return at - createdAt > GIVE_UP_STEPS * baseMs ? null : at;
}
