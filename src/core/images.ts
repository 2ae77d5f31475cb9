import type { Readable } from 'node:stream';
import type { BlobInfo, ByteRange } from '../ports/blob-store.ts';
import type { ListQuery } from '../ports/image-repository.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import type { CoreDeps } from './deps.ts';
import { FileChangedError, NotFoundError } from './errors.ts';
import {
  type ImageRecord,
  type ImageSummary,
  imagePrefix,
  isFinished,
  storageKey,
  type Variant,
  variantContentType,
} from './image.ts';
import { downloadExpiry } from './url-expiry.ts';

export interface ImagePage {
  images: ImageSummary[];
  lastEvaluatedKey?: string;
}

/** Newest first, keyset-paginated so pages stay stable while new images arrive. */
export async function listImages(
  deps: CoreDeps,
  tenant: string,
  query: { limit: number; cursor?: string | undefined } & Omit<ListQuery, 'tenant' | 'limit' | 'after'>,
): Promise<ImagePage> {
  const { cursor, limit, ...filters } = query;
  const after = cursor ? decodeCursor(cursor) : undefined;
  // One extra row tells whether another page exists without a COUNT query.
  const rows = await deps.repo.list({ ...filters, tenant, limit: limit + 1, after });
  const images = rows.slice(0, limit);
  const last = images.at(-1);
  const more = rows.length > limit && last;
  return more ? { images, lastEvaluatedKey: encodeCursor(last) } : { images };
}

export async function getImage(deps: CoreDeps, tenant: string, imageId: string): Promise<ImageRecord> {
  const record = await deps.repo.get(tenant, imageId);
  if (!record) throw new NotFoundError(`Image ${imageId} not found`);
  return record;
}

/** SQS's own ceiling for a long poll, and well inside API Gateway's 29-second limit. */
export const MAX_STATUS_WAIT_SECONDS = 20;
/** A waiting request re-reads the record at least this often, in case a notice was missed. */
const RECHECK_MS = 1000;

/**
 * The image once it has finished (completed or failed), or after `waitSeconds`, whichever
 * comes first; at once with 0. Clients long-poll with this instead of polling in a loop.
 */
export async function awaitFinished(
  deps: CoreDeps,
  tenant: string,
  imageId: string,
  waitSeconds: number,
): Promise<ImageRecord> {
  // Elapsed real time, not deps.clock: this is how long a socket is held, not business time.
  let deadline = performance.now() + waitSeconds * 1000;
  for (;;) {
    const record = await getImage(deps, tenant, imageId);
    const left = deadline - performance.now();
    if (isFinished(record.status) || left <= 0) return record;
    // Draining: answer with the freshest record now rather than hold the shutdown up.
    if ((await deps.events.next(imageId, Math.min(left, RECHECK_MS))) === 'closed') deadline = 0;
  }
}

/** Removes the record, queued jobs and every stored file; a job still running notices and cleans up. */
export async function deleteImage(deps: CoreDeps, tenant: string, imageId: string): Promise<void> {
  if (!(await deps.repo.delete(tenant, imageId))) throw new NotFoundError(`Image ${imageId} not found`);
  deps.storage?.release(imageId);
  deps.events.changed(imageId);
  await deps.queue.deleteJobsFor(imageId);
  await deps.blobs.deletePrefix(imagePrefix(tenant, imageId));
}

/** Signed download URL for a stored variant, or null while it does not exist yet. */
export async function variantUrl(
  deps: CoreDeps,
  record: Pick<ImageRecord, 'imageId' | 'tenant' | 'status' | 'variants' | 'fileType'>,
  variant: Variant,
): Promise<string | null> {
  if (variant === 'original' ? record.status === 'pending' : !record.variants.includes(variant)) return null;
  const expires = downloadExpiry(deps.clock.now(), deps.settings.downloadUrlTtlSeconds);
  const object = {
    imageId: record.imageId,
    variant,
    key: storageKey(record.tenant, record.imageId, variant),
    contentType: variantContentType(variant, record.fileType),
  };
  return deps.urls.download(object, expires);
}

export interface VariantFile extends BlobInfo {
  contentType: string;
  /** The bytes, or only `range` of them, of the very version described here. */
  open(range?: ByteRange): Promise<Readable>;
}

/**
 * A stored original or variant for a download URL the caller has verified; 404 once
 * deleted. Finds the file without opening it, so answers without a body (304, 416, HEAD)
 * hold no file open.
 */
export async function findVariant(deps: CoreDeps, imageId: string, variant: Variant): Promise<VariantFile> {
  const record = await deps.repo.getById(imageId);
  const key = record ? storageKey(record.tenant, imageId, variant) : null;
  const info = key ? await deps.blobs.stat(key) : null;
  if (!record || !key || !info) throw new NotFoundError(`Image ${imageId} has no ${variant}`);
  const open = async (range?: ByteRange) => {
    const blob = await deps.blobs.read(key, range);
    if (!blob) throw new NotFoundError(`Image ${imageId} has no ${variant}`);
    // The caller chose its status, length and range from `info`; other bytes would not fit them.
    if (blob.etag !== info.etag) {
      blob.body.destroy();
      throw new FileChangedError(`${variant}: the file changed while it was being opened; ask again`);
    }
    return blob.body;
  };
  return { ...info, contentType: variantContentType(variant, record.fileType), open };
}
