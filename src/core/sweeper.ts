import type { CoreDeps } from './deps.ts';
import { imagePrefix } from './image.ts';

/** Grace after an upload URL expires before its pending record is swept, for transfers still running. */
const PENDING_GRACE_MS = 15 * 60_000;

/**
 * Removes images past their retention date and pending uploads nobody completed: records,
 * files and queued jobs. Works in batches so one sweep never holds the database for long.
 */
export async function sweepExpired(deps: CoreDeps, batchSize = 200): Promise<number> {
  const now = deps.clock.now();
  const pendingBefore = now - deps.settings.uploadUrlTtlSeconds * 1000 - PENDING_GRACE_MS;
  let removed = 0;
  for (;;) {
    const expired = await deps.repo.findExpired(now, pendingBefore, batchSize);
    for (const { tenant, imageId } of expired) {
      if (await deps.repo.delete(tenant, imageId)) removed++;
      await deps.queue.deleteJobsFor(imageId);
      await deps.blobs.deletePrefix(imagePrefix(tenant, imageId));
    }
    if (expired.length < batchSize) return removed;
  }
}
