import type { CoreDeps } from '../core/deps.ts';
import { isFinished } from '../core/image.ts';
import type { WebhookEventInput } from '../ports/webhooks.ts';
import { presentImage } from './presenters.ts';

/**
 * The webhook event for an image whose job ended for good, as both homes send it: its type
 * from the status, and a body holding the image as GET /images/{id} shows it. Null while
 * the image is not completed or failed (or is gone).
 */
export async function imageEventFor(
  core: CoreDeps,
  imageId: string,
  now: number,
): Promise<WebhookEventInput | null> {
  const record = await core.repo.getById(imageId);
  if (!record || !isFinished(record.status)) return null;
  const type = `image.${record.status}` as const;
  const data = await presentImage(core, record);
  const body = JSON.stringify({ type, imageId, occurredAt: new Date(now).toISOString(), data });
  return { tenant: record.tenant, type, imageId, body, now };
}
