import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { SqliteDatabase } from '../../adapters/local/sqlite-database.ts';
import { SqliteImageRepository } from '../../adapters/local/sqlite-image-repository.ts';
import { SqliteJobQueue } from '../../adapters/local/sqlite-job-queue.ts';
import { imagePrefix, storageKey, type Variant } from '../../core/image.ts';
import { systemClock } from '../../ports/clock.ts';
import { readImages, type SnapshotImage } from './snapshot-images.ts';

export interface ReconcileResult {
  /** Images deleted from the live server during the backup, removed from the copy. */
  dropped: string[];
  /** Images kept without some of their files because the live server lacks them too. */
  incomplete: string[];
}

/**
 * The files a record promises: the original once the image has left `pending` (the upload
 * stores it before changing the status), and every listed variant (processing stores a
 * variant before listing it).
 */
export function promisedFiles(image: SnapshotImage): Variant[] {
  const variants = new Set<Variant>(image.variants);
  if (image.status !== 'pending') variants.add('original');
  return [...variants];
}

/**
 * Makes the copy's records agree with its files. The database was copied first, then the
 * files, so a record whose files the copy lacks is an image deleted from the live server in
 * between: its record, queued jobs and whatever files were copied are removed from the copy,
 * as the server's own delete would. A record that is still on the live server keeps what it
 * has: its files are missing there too (an upload refused after its bytes were removed, a
 * file deleted by hand), and the copy should not be tidier than the original.
 */
export async function reconcileCopy(
  copy: SqliteDatabase,
  copyFilesRoot: string,
  stillLive: (imageId: string) => boolean,
): Promise<ReconcileResult> {
  const repo = new SqliteImageRepository(copy);
  // Only deleteJobsFor is used: the attempt limit does not matter to it.
  const queue = new SqliteJobQueue(copy, systemClock, 1);
  const result: ReconcileResult = { dropped: [], incomplete: [] };
  for (const image of readImages(copy)) {
    const prefix = imagePrefix(image.tenant, image.imageId);
    const present = await readdir(join(copyFilesRoot, prefix)).catch(emptyIfMissing);
    const names = new Set(present.map((name) => `${prefix}${name}`));
    const missing = promisedFiles(image).filter(
      (variant) => !names.has(storageKey(image.tenant, image.imageId, variant)),
    );
    if (missing.length === 0) continue;
    if (stillLive(image.imageId)) {
      result.incomplete.push(image.imageId);
      continue;
    }
    await repo.delete(image.tenant, image.imageId);
    await queue.deleteJobsFor(image.imageId);
    await rm(join(copyFilesRoot, prefix), { recursive: true, force: true });
    result.dropped.push(image.imageId);
  }
  return result;
}

function emptyIfMissing(error: NodeJS.ErrnoException): string[] {
  if (error.code === 'ENOENT') return [];
  throw error;
}
