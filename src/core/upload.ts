import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { AnalysisName } from './analysis.ts';
import type { CoreDeps } from './deps.ts';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
} from './errors.ts';
import { type ImageRecord, type ImageType, imagePrefix, initialSteps, storageKey } from './image.ts';
import { TRANSITIONS } from './image-state.ts';
import { UploadGuard } from './upload-guard.ts';

const DAY_MS = 24 * 3600 * 1000;

export interface CreatedUpload {
  imageId: string;
  uploadUrl: string;
  expiresIn: number;
}

/** Creates the pending record and the signed URL the client will PUT the bytes to. */
export async function createUpload(
  deps: CoreDeps,
  tenant: string,
  input: { fileName: string; fileType: ImageType; analysis?: AnalysisName[] | undefined },
): Promise<CreatedUpload> {
  const analyses = input.analysis ?? deps.settings.analyses;
  const disabled = analyses.filter((name) => !deps.settings.analyses.includes(name));
  if (disabled.length > 0) {
    throw new ValidationError(
      `analysis: ${disabled.join(', ')} ${disabled.length === 1 ? 'is' : 'are'} not enabled on this server (ANALYSIS=${deps.settings.analyses.join(',') || 'none'})`,
      'ANALYSIS_NOT_ENABLED',
    );
  }
  const imageId = randomUUID();
  const now = deps.clock.now();
  await deps.repo.create({
    imageId,
    tenant,
    fileName: input.fileName,
    fileType: input.fileType,
    steps: initialSteps(analyses),
    createdAt: now,
  });
  const ttl = deps.settings.uploadUrlTtlSeconds;
  const expires = Math.floor(now / 1000) + ttl;
  return { imageId, uploadUrl: deps.signer.uploadUrl(imageId, expires), expiresIn: ttl };
}

export interface IncomingUpload {
  imageId: string;
  query: { expires?: string; signature?: string };
  contentType: string | undefined;
  contentLength: number | undefined;
  /**
   * Opened only after every check that needs no bytes has passed: an untouched body lets
   * the HTTP server drain it and answer cleanly instead of cutting the connection.
   */
  openBody: () => Readable | null;
}

/**
 * Receives the bytes for a signed upload URL: verifies the signature and expiry, the
 * declared type, the size (while streaming) and the magic number, stores the original
 * atomically and enqueues processing. A rejected transfer does not use up the URL.
 */
export async function receiveUpload(deps: CoreDeps, upload: IncomingUpload): Promise<ImageRecord> {
  const { imageId } = upload;
  const check = deps.signer.verify('PUT', `/uploads/${imageId}`, upload.query, deps.clock.now());
  if (check === 'invalid')
    throw new ForbiddenError('signature: the upload URL signature is invalid', 'INVALID_SIGNATURE');
  if (check === 'expired')
    throw new ForbiddenError('expires: the upload URL has expired', 'EXPIRED_SIGNATURE');

  const record = await deps.repo.getById(imageId);
  if (!record) throw new NotFoundError(`Image ${imageId} not found`);
  if (record.status !== 'pending')
    throw new ConflictError('This upload URL has already been used', 'UPLOAD_URL_USED');
  const mediaType = upload.contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== record.fileType) {
    throw new UnsupportedMediaTypeError(
      `Content-Type: expected ${record.fileType} (as signed) but received ${mediaType ?? 'none'}`,
      'CONTENT_TYPE_MISMATCH',
    );
  }
  const max = deps.settings.maxUploadBytes;
  if (upload.contentLength !== undefined && upload.contentLength > max) {
    throw new PayloadTooLargeError(
      `Content-Length ${upload.contentLength} exceeds MAX_UPLOAD_BYTES (${max} bytes)`,
    );
  }
  if (!(await deps.repo.claimUpload(imageId, deps.clock.now()))) {
    throw new ConflictError('Another upload to this URL is in progress or finished', 'UPLOAD_URL_USED');
  }

  const key = storageKey(record.tenant, imageId, 'original');
  let size: number;
  const body = upload.openBody() ?? Readable.from([]);
  try {
    const guard = new UploadGuard(record.fileType, max);
    body.once('error', (error) => guard.destroy(error));
    size = (await deps.blobs.write(key, body.pipe(guard))).size;
  } catch (error) {
    // Past a rejection mid-stream the rest of the body is unwanted; dropping it closes the connection.
    body.destroy();
    await deps.repo.releaseUpload(imageId);
    throw error;
  }

  const now = deps.clock.now();
  const expiresAt = now + deps.settings.retentionDays * DAY_MS;
  if (!(await deps.repo.transition(imageId, TRANSITIONS.markUploaded(size, now, expiresAt)))) {
    // Deleted while the bytes were arriving: leave nothing behind.
    await deps.blobs.deletePrefix(imagePrefix(record.tenant, imageId));
    throw new NotFoundError(`Image ${imageId} not found`);
  }
  await deps.queue.send({ name: 'process-image', data: { tenant: record.tenant, imageId } });
  deps.onJobQueued?.();
  return (await deps.repo.getById(imageId)) as ImageRecord;
}
