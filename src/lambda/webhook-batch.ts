import { parseDeliveryMessage } from '../adapters/aws/sqs-webhook-queue.ts';
import { attemptDelivery, reportAttempt } from '../core/webhook-attempt.ts';
import type { WebhookPost } from '../core/webhook-post.ts';
import type { Clock } from '../ports/clock.ts';
import type { DeliveryRef, WebhookStore } from '../ports/webhooks.ts';

/** What the webhook function logs with: Powertools' Logger fits (message first, then fields). */
export interface WebhookLog {
  debug(message: string, fields: Record<string, unknown>): void;
  info(message: string, fields: Record<string, unknown>): void;
  warn(message: string, fields: Record<string, unknown>): void;
}

export interface WebhookBatchDeps {
  store: WebhookStore;
  /** Sends a delivery's next message, held back until `dueAt` (SqsWebhookQueue). */
  schedule(refs: DeliveryRef[], dueAt: number | null): Promise<void>;
  clock: Clock;
  post: WebhookPost;
  retryBaseMs: number;
  log: WebhookLog;
}

/** What a message did, for metrics. */
export type WebhookOutcome = 'succeeded' | 'retrying' | 'failed' | 'waiting' | 'gone' | 'duplicate';

/** SQS's delays are whole seconds, rounded up: a message is never early by more than this. */
const EARLY_MS = 1000;

/**
 * One message of the webhook queue: the delivery it names is attempted if it is due and
 * still pending; sent on (another hop of at most 900 s) if it is not due yet; dropped if it
 * is done or its webhook is gone. Throws only when the store or the queue fails: the
 * message then comes back after the visibility timeout, and the store says where it stands.
 */
export async function handleWebhookMessage(body: string, deps: WebhookBatchDeps): Promise<WebhookOutcome> {
  const ref = parseDeliveryMessage(body);
  if ('error' in ref) throw new Error(`not a webhook delivery message (${ref.error}); left for the DLQ`);
  const delivery = await deps.store.pending(ref);
  if (!delivery) return 'gone';
  if (delivery.nextAttemptAt > deps.clock.now() + EARLY_MS) {
    await deps.schedule([ref], delivery.nextAttemptAt);
    return 'waiting';
  }
  const { attempt, recorded } = await attemptDelivery(delivery, deps);
  // Another copy of this message attempted it first: that copy schedules what comes next.
  if (!recorded) return 'duplicate';
  const report = reportAttempt(attempt);
  deps.log[report.level](report.message, { ...report.fields, webhookId: ref.webhookId });
  if (report.outcome === 'retrying') await deps.schedule([ref], attempt.nextAttemptAt);
  return report.outcome;
}
