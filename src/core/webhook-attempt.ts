import type { Clock } from '../ports/clock.ts';
import type { DeliveryAttempt, DueDelivery, WebhookStore } from '../ports/webhooks.ts';
import type { WebhookPost } from './webhook-post.ts';
import { nextAttemptAt, signWebhook } from './webhooks.ts';

export interface AttemptDeps {
  store: Pick<WebhookStore, 'recordAttempt'>;
  clock: Clock;
  post: WebhookPost;
  /** The retry schedule's unit (core/webhooks.ts); tests shrink it. */
  retryBaseMs: number;
}

export interface AttemptOutcome {
  attempt: DeliveryAttempt;
  /** False when another sender recorded this delivery first: this one must not schedule it again. */
  recorded: boolean;
}

/**
 * One attempt of one delivery, the same on both homes: sign (Standard Webhooks; the message
 * id is the delivery id, the same on every attempt), POST, then record success, the next
 * attempt on the nextAttemptAt schedule, or failure for good once that gives up.
 */
export async function attemptDelivery(delivery: DueDelivery, deps: AttemptDeps): Promise<AttemptOutcome> {
  const timestamp = Math.floor(deps.clock.now() / 1000);
  const headers = signWebhook(delivery.secret, delivery.deliveryId, timestamp, delivery.body);
  const result = await deps.post(delivery.url, headers, delivery.body);
  const now = deps.clock.now();
  const ok = result.status !== null && result.status >= 200 && result.status < 300;
  const next = ok ? null : nextAttemptAt(delivery.createdAt, delivery.attempts + 1, now, deps.retryBaseMs);
  const { tenant, webhookId, deliveryId, createdAt } = delivery;
  const attempt: DeliveryAttempt = {
    ref: { tenant, webhookId, deliveryId, createdAt },
    attemptsBefore: delivery.attempts,
    status: ok ? 'succeeded' : next === null ? 'failed' : 'pending',
    lastStatus: result.status,
    lastError: result.error,
    nextAttemptAt: next,
    now,
  };
  return { attempt, recorded: await deps.store.recordAttempt(attempt) };
}

/** What an attempt means for what comes next, and the line both homes log about it. */
export interface AttemptReport {
  outcome: 'succeeded' | 'failed' | 'retrying';
  level: 'debug' | 'info' | 'warn';
  message: string;
  fields: Record<string, unknown>;
}

/** Debug when delivered, info when it will be retried (and when), warn when given up. */
export function reportAttempt(attempt: DeliveryAttempt): AttemptReport {
  const fields = {
    deliveryId: attempt.ref.deliveryId,
    attempts: attempt.attemptsBefore + 1,
    status: attempt.lastStatus,
    error: attempt.lastError,
  };
  if (attempt.status === 'succeeded')
    return { outcome: 'succeeded', level: 'debug', message: 'webhook delivered', fields };
  if (attempt.status === 'failed' || attempt.nextAttemptAt === null)
    return { outcome: 'failed', level: 'warn', message: 'webhook delivery failed for good', fields };
  return {
    outcome: 'retrying',
    level: 'info',
    message: 'webhook delivery failed; will retry',
    fields: { ...fields, retryAt: new Date(attempt.nextAttemptAt).toISOString() },
  };
}
