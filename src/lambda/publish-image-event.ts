import type { DynamoWebhookStore } from '../adapters/aws/dynamo-webhook-store.ts';
import type { SqsWebhookQueue } from '../adapters/aws/sqs-webhook-queue.ts';
import type { CoreDeps } from '../core/deps.ts';
import { imageEventFor } from '../http/image-event.ts';

export interface PublishDeps {
  core: CoreDeps;
  store: Pick<DynamoWebhookStore, 'enqueue' | 'markScheduled'>;
  queue: Pick<SqsWebhookQueue, 'schedule'>;
  log: (line: string) => void;
}

/**
 * An image's job ended for good (completed, or failed for good): its tenant's subscribed
 * webhooks each get a pending delivery, marked "not yet scheduled", and the webhook queue a
 * message for each, due now; then the marks go. If the send fails (or the function dies
 * before it), the marks stay and the cleanup function's hourly sweep sends those messages.
 * Returns how many deliveries were queued.
 */
export async function publishImageEvent(deps: PublishDeps, imageId: string): Promise<number> {
  const event = await imageEventFor(deps.core, imageId, deps.core.clock.now());
  if (!event) return 0;
  const refs = await deps.store.enqueue(event);
  if (refs.length === 0) return 0;
  await deps.queue.schedule(refs, null);
  // Harmless if it fails: the sweep sends these a second message, which the webhook function
  // drops once the delivery is done, and at worst attempts twice under one webhook-id.
  await deps.store.markScheduled(refs).catch((error: unknown) => {
    deps.log(
      `webhooks of image ${imageId} are queued but still marked unscheduled (the sweep may send them again): ${error instanceof Error ? error.message : String(error)}`,
    );
  });
  return refs.length;
}
