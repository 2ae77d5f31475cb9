import type { CoreDeps } from '../core/deps.ts';
import { type ImageRecord, type ImageSummary, progressOf, visibleSteps } from '../core/image.ts';
import { variantUrl } from '../core/images.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

async function thumbnails(deps: CoreDeps, record: ImageSummary) {
  const [small, medium, large] = await Promise.all([
    variantUrl(deps, record, 'thumb-small'),
    variantUrl(deps, record, 'thumb-medium'),
    variantUrl(deps, record, 'thumb-large'),
  ]);
  return { small, medium, large };
}

/** One item of `GET /images`: the fields every representation shares. */
export async function presentListItem(deps: CoreDeps, record: ImageSummary) {
  return {
    imageId: record.imageId,
    fileName: record.fileName,
    fileType: record.fileType,
    size: record.size,
    status: record.status,
    uploadedAt: iso(record.uploadedAt),
    thumbnails: await thumbnails(deps, record),
  };
}

/** `GET /images/{imageId}`. */
export async function presentImage(deps: CoreDeps, record: ImageRecord) {
  const [item, downloadUrl, webpUrl] = await Promise.all([
    presentListItem(deps, record),
    variantUrl(deps, record, 'original'),
    variantUrl(deps, record, 'webp'),
  ]);
  return {
    ...item,
    downloadUrl,
    webpUrl,
    metadata: record.metadata,
    placeholder: record.placeholder,
    analysis: record.analysis,
    processedAt: iso(record.processedAt),
    expiresAt: iso(record.expiresAt),
  };
}

const DEFAULT_ESTIMATE_MS = 3000;

/** `GET /images/{imageId}/status`; the estimate is the mean of recent processing times. */
export function presentStatus(record: ImageRecord, typicalMs: number | null, now: number) {
  const estimate = typicalMs ?? DEFAULT_ESTIMATE_MS;
  let estimatedCompletion: number | null = null;
  if (record.status === 'processing')
    estimatedCompletion = Math.max(now, (record.startedAt ?? now) + estimate);
  else if (record.status === 'uploaded') estimatedCompletion = now + estimate;
  else if (record.status === 'completed') estimatedCompletion = record.processedAt;
  return {
    imageId: record.imageId,
    status: record.status,
    progress: progressOf(record),
    steps: visibleSteps(record),
    attempts: record.attempts,
    message: record.message,
    ...(record.status === 'failed' && record.error ? { error: record.error } : {}),
    startedAt: iso(record.startedAt),
    estimatedCompletion: iso(estimatedCompletion),
    updatedAt: iso(record.updatedAt) as string,
  };
}
