import type { AnalysisName } from '../../src/core/analysis.ts';
import { initialSteps, storageKey } from '../../src/core/image.ts';
import type { BlobStore } from '../../src/ports/blob-store.ts';
import type { ImageRepository } from '../../src/ports/image-repository.ts';

/** Puts an image in the state a finished PUT leaves it: record `uploaded`, original stored. */
export async function seedUploadedImage(
  deps: { repo: ImageRepository; blobs: BlobStore },
  image: { imageId: string; tenant: string; bytes: Buffer; now: number; analyses?: AnalysisName[] },
): Promise<void> {
  const { imageId, tenant, now } = image;
  await deps.repo.create({
    imageId,
    tenant,
    fileName: 'a.jpg',
    fileType: 'image/jpeg',
    steps: initialSteps(image.analyses ?? []),
    createdAt: now,
  });
  await deps.blobs.write(storageKey(tenant, imageId, 'original'), image.bytes);
  await deps.repo.markUploaded(imageId, image.bytes.length, now, now + 1e9);
}
