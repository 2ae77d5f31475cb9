import type { JobQueue } from '../../ports/job-queue.ts';
import type { SqliteDatabase } from './sqlite-database.ts';

/** Images accepted but not yet processed, with their originals' sizes. */
export function unprocessedImages(db: SqliteDatabase): Array<{ imageId: string; size: number }> {
  return db
    .prepare<[], { imageId: string; size: number }>(
      `SELECT image_id AS imageId, COALESCE(size, 0) AS size FROM images WHERE status IN ('uploaded', 'processing')`,
    )
    .all();
}

/**
 * Finds images that are `uploaded` but have no job, which only a crash between storing the
 * upload and enqueueing its job can cause, and enqueues them again. Local only: the images
 * and jobs share one SQLite file, so one query can see both. (On AWS, S3 retries its event
 * when the call that handled it failed, and completeUpload queues an image left uploaded.)
 */
export async function requeueStrandedUploads(
  db: SqliteDatabase,
  queue: JobQueue,
  olderThan: number,
): Promise<number> {
  const stranded = db
    .prepare<[number], { tenant: string; image_id: string }>(
      `SELECT tenant, image_id FROM images i WHERE status = 'uploaded' AND updated_at < ?
       AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.image_id = i.image_id) LIMIT 500`,
    )
    .all(olderThan);
  for (const row of stranded) {
    await queue.send({ name: 'process-image', data: { tenant: row.tenant, imageId: row.image_id } });
  }
  return stranded.length;
}
