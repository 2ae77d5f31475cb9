import type { DynamoWebhookStore } from '../adapters/aws/dynamo-webhook-store.ts';
import type { SqsWebhookQueue } from '../adapters/aws/sqs-webhook-queue.ts';
import type { Clock } from '../ports/clock.ts';

export interface SweepUnscheduledDeps {
  store: Pick<DynamoWebhookStore, 'unscheduled' | 'markScheduled' | 'pending'>;
  queue: Pick<SqsWebhookQueue, 'schedule'>;
  clock: Clock;
}

export interface SweepUnscheduledOptions {
  /** A marker this old is a send that failed, not one under way (the SDK retries take seconds). */
  olderThanMs?: number;
  /** At most this many markers a run; the next hourly run takes the rest. */
  limit?: number;
}

export interface SweepUnscheduledResult {
  /** Deliveries that got their first queue message now. */
  scheduled: number;
  /** Markers dropped without a message: the delivery is done, gone, or already attempted. */
  stale: number;
}

export const UNSCHEDULED_AFTER_MS = 10 * 60_000;
export const SWEEP_LIMIT = 1000;
/** Markers read, checked and cleared together: a page of pending() reads side by side. */
const PAGE = 100;

/**
 * The net under publishImageEvent: a delivery still marked "not yet scheduled" after
 * `olderThanMs` gets the queue message it never got, and loses its mark. Only a delivery
 * still pending with no attempt yet is sent: one with attempts had a message already (the
 * mark outlived it because its deletion failed), and its chain goes on by itself. A message
 * sent twice all the same is deduplicated by the webhook function's conditional record, and
 * at worst reaches the receiver twice under one webhook-id: delivery is at least once.
 * Throws if the store or the queue fails; the markers left are taken by the next run.
 */
export async function sweepUnscheduledDeliveries(
  deps: SweepUnscheduledDeps,
  options: SweepUnscheduledOptions = {},
): Promise<SweepUnscheduledResult> {
  const cutoff = deps.clock.now() - (options.olderThanMs ?? UNSCHEDULED_AFTER_MS);
  const limit = options.limit ?? SWEEP_LIMIT;
  const result: SweepUnscheduledResult = { scheduled: 0, stale: 0 };
  while (result.scheduled + result.stale < limit) {
    const size = Math.min(PAGE, limit - result.scheduled - result.stale);
    const refs = await deps.store.unscheduled(cutoff, size);
    if (refs.length === 0) break;
    const pending = await Promise.all(refs.map((ref) => deps.store.pending(ref)));
    const due = refs.filter((_, i) => pending[i]?.attempts === 0);
    if (due.length > 0) await deps.queue.schedule(due, null);
    await deps.store.markScheduled(refs);
    result.scheduled += due.length;
    result.stale += refs.length - due.length;
    if (refs.length < size) break;
  }
  return result;
}
