import type { SqsWebhookQueue } from '../adapters/aws/sqs-webhook-queue.ts';
import type { CoreDeps } from '../core/deps.ts';
import { imageEventFor } from '../http/image-event.ts';
import type { WebhookStore } from '../ports/webhooks.ts';

export interface PublishDeps {
  core: CoreDeps;
  store: WebhookStore;
  queue: Pick<SqsWebhookQueue, 'schedule'>;
}

/**
 * An image's job ended for good (completed, or failed for good): its tenant's subscribed
 * webhooks each get a pending delivery, and the webhook queue a message for each, due now.
 * Returns how many deliveries were queued.
 */
export async function publishImageEvent(deps: PublishDeps, imageId: string): Promise<number> {
  const event = await imageEventFor(deps.core, imageId, deps.core.clock.now());
  if (!event) return 0;
  const refs = await deps.store.enqueue(event);
  if (refs.length > 0) await deps.queue.schedule(refs, null);
  return refs.length;
}
