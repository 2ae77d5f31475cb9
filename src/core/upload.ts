import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { AnalysisName } from './analysis.ts';
import type { CoreDeps } from './deps.ts';
import {
  type AppError,
  ConflictError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
} from './errors.ts';
import {
  type ImageRecord,
  type ImageType,
  imagePrefix,
  incomingKey,
  initialSteps,
  storageKey,
} from './image.ts';
import { TRANSITIONS } from './image-state.ts';
import { SNIFF_BYTES, sniffImageType } from './magic-bytes.ts';
import { UploadGuard } from './upload-guard.ts';

const DAY_MS = 24 * 3600 * 1000;
/**
 * Room an accepted original's outputs take, as a share of its size: thumbnails and WebP come
 * to ~0.45× for photos and 1.14× for pure noise (the worst case measured), plus a margin.
 */
const OUTPUT_ROOM_FACTOR = 1.25;

/** Bytes to hold for the outputs of an original of `size` bytes. */
export function outputRoomFor(size: number): number {
  return Math.ceil(size * OUTPUT_ROOM_FACTOR);
}

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
  deps.storage?.assertRoomFor(0);
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
  const uploadUrl = await deps.urls.upload(
    { imageId, key: incomingKey(tenant, imageId), contentType: input.fileType },
    Math.floor(now / 1000) + ttl,
  );
  return { imageId, uploadUrl, expiresIn: ttl };
}

/** What the store says about an original that has just arrived. */
export interface StoredOriginal {
  /**
   * Where it arrived: the incoming key a signed URL writes to (AWS), moved to `original` once
   * checked; or, when omitted, `original` itself (the local PUT, which checked it streaming).
   */
  key?: string;
  size: number;
  /** The Content-Type it was stored with, where the store keeps one. */
  contentType?: string | undefined;
}

/**
 * The bytes of an upload are stored: checks them (size, declared type, magic number), marks
 * the image uploaded and enqueues its processing. Both homes call this: the local PUT route
 * once it has streamed the body to disk, the AWS processor when S3 reports the object. On
 * AWS the bytes reach S3 before anything can check them, so a refused original is deleted
 * and the image fails with the same code the local PUT answers with. Returns null when the
 * image is past uploading (a repeated event, an upload that came too late) or unknown; an
 * AppError describing a refusal is thrown. Safe to call again after a failure: an image left
 * uploaded but never started is queued again.
 */
export async function completeUpload(
  deps: CoreDeps,
  imageId: string,
  stored: StoredOriginal,
): Promise<ImageRecord | null> {
  // An upload URL replayed after its image left pending (S3's work until they expire) only
  // overwrites the incoming object, which is never processed or served and goes with the
  // image's other files; the checked original is out of its reach.
  const record = await deps.repo.getById(imageId);
  if (record?.status === 'uploaded' && record.attempts === 0) {
    // Marked uploaded by an earlier call that may have died before queueing (S3 retries its
    // event then): queue again. A second job is harmless: only one delivery can start it.
    await enqueue(deps, record);
    return record;
  }
  if (record?.status !== 'pending') return null;
  const original = storageKey(record.tenant, imageId, 'original');
  // Moved before it is checked, so that a replay of the URL meanwhile can only change the
  // incoming object, never what was checked. Gone already: another event moved it.
  let size = stored.size;
  if (stored.key !== undefined && stored.key !== original) {
    const moved = await deps.blobs.move(stored.key, original);
    if (!moved) return null;
    size = moved.size;
  }
  const refusal = await checkOriginal(deps, record, original, { ...stored, size });
  const now = deps.clock.now();
  const expiresAt = now + deps.settings.retentionDays * DAY_MS;
  if (refusal) {
    await deps.blobs.deletePrefix(imagePrefix(record.tenant, imageId));
    const reason = { code: refusal.code, message: refusal.message };
    await deps.repo.transition(imageId, TRANSITIONS.fail(reason, now, null, expiresAt));
    throw refusal;
  }
  const uploaded = await deps.repo.transition(imageId, TRANSITIONS.markUploaded(size, now, expiresAt));
  if (!uploaded) {
    // Deleted while the bytes were arriving: leave nothing behind.
    await deps.blobs.deletePrefix(imagePrefix(record.tenant, imageId));
    throw new NotFoundError(`Image ${imageId} not found`);
  }
  await enqueue(deps, uploaded);
  return uploaded;
}

async function enqueue(deps: CoreDeps, record: ImageRecord): Promise<void> {
  const traceparent = deps.traceparent?.();
  const data = { tenant: record.tenant, imageId: record.imageId };
  await deps.queue.send({ name: 'process-image', data: traceparent ? { ...data, traceparent } : data });
  deps.onJobQueued?.();
}

/** Why a stored original cannot be processed, with the codes the local PUT answers with; null if it can. */
async function checkOriginal(
  deps: CoreDeps,
  record: ImageRecord,
  key: string,
  stored: StoredOriginal,
): Promise<AppError | null> {
  const max = deps.settings.maxUploadBytes;
  if (stored.size === 0) return new ValidationError('body: the upload is empty', 'EMPTY_UPLOAD');
  if (stored.size > max)
    return new PayloadTooLargeError(`Upload of ${stored.size} bytes exceeds MAX_UPLOAD_BYTES (${max} bytes)`);
  const declared = stored.contentType?.split(';')[0]?.trim().toLowerCase();
  if (declared !== undefined && declared !== record.fileType)
    return new UnsupportedMediaTypeError(
      `Content-Type: expected ${record.fileType} (as signed) but received ${declared}`,
      'CONTENT_TYPE_MISMATCH',
    );
  const head = await readHead(deps, key);
  const actual = head ? sniffImageType(head) : null;
  if (actual !== record.fileType)
    return new UnsupportedMediaTypeError(
      `body: expected ${record.fileType} bytes but received ${actual ?? 'an unrecognised format'}`,
      'CONTENT_MISMATCH',
    );
  return null;
}

/** The first bytes of a stored object, enough to recognise its type. */
async function readHead(deps: CoreDeps, key: string): Promise<Buffer | null> {
  const blob = await deps.blobs.read(key, { start: 0, end: SNIFF_BYTES - 1 });
  if (!blob) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of blob.body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export interface IncomingUpload {
  imageId: string;
  contentType: string | undefined;
  contentLength: number | undefined;
  /**
   * Opened only after every check that needs no bytes has passed: an untouched body lets
   * the HTTP server drain it and answer cleanly instead of cutting the connection.
   */
  openBody: () => Readable | null;
}

/**
 * The local home's upload, after its route has verified the URL's signature: checks the
 * declared type and length, streams the body to the store while enforcing the size limit and
 * the magic number (so a bad upload is cut off, not stored), then completes it. A rejected
 * transfer does not use up the URL.
 */
export async function receiveUpload(deps: CoreDeps, upload: IncomingUpload): Promise<ImageRecord> {
  const { imageId } = upload;
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
  // The original, and room for what processing will make of it.
  const incoming = upload.contentLength ?? 0;
  deps.storage?.assertRoomFor(incoming + outputRoomFor(incoming));
  if (!(await deps.repo.claimUpload(imageId, deps.clock.now()))) {
    throw new ConflictError('Another upload to this URL is in progress or finished', 'UPLOAD_URL_USED');
  }
  // Held from now, so that uploads arriving together cannot all pass the check above.
  deps.storage?.reserve(imageId, incoming + outputRoomFor(incoming));

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
    deps.storage?.release(imageId);
    await deps.repo.releaseUpload(imageId);
    throw error;
  }
  // The guard has checked what completeUpload checks again; the claim kept the image
  // pending, unless it was deleted while the bytes were arriving: then leave nothing behind.
  const completed = await completeUpload(deps, imageId, { size, contentType: mediaType });
  if (completed) deps.storage?.reserve(imageId, outputRoomFor(size));
  if (!completed) {
    deps.storage?.release(imageId);
    await deps.blobs.deletePrefix(imagePrefix(record.tenant, imageId));
    throw new NotFoundError(`Image ${imageId} not found`);
  }
  return completed;
}
