import { join } from 'node:path';
import { FsBlobStore } from '../../src/adapters/local/fs-blob-store.ts';
import type { SqliteDatabase } from '../../src/adapters/local/sqlite-database.ts';
import { SqliteImageRepository } from '../../src/adapters/local/sqlite-image-repository.ts';
import type { AnalysisName } from '../../src/core/analysis.ts';
import { initialSteps, storageKey } from '../../src/core/image.ts';
import { TRANSITIONS } from '../../src/core/image-state.ts';
import type { ProcessingDeps } from '../../src/core/processing.ts';
import { SharpPipeline } from '../../src/core/sharp-pipeline.ts';
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
  await deps.repo.transition(imageId, TRANSITIONS.markUploaded(image.bytes.length, now, now + 1e9));
}

/** Processing wired as a worker thread wires it (real SQLite, files and sharp), on `db`. */
export function workerProcessingDeps(db: SqliteDatabase, dir: string): ProcessingDeps {
  return {
    repo: new SqliteImageRepository(db),
    blobs: new FsBlobStore(join(dir, 'files')),
    pipeline: new SharpPipeline(100e6),
    analyzer: null,
    clock: { now: () => Date.now() },
    maxPixels: 100e6,
    maxAttempts: 3,
    retryBaseDelayMs: 10,
  };
}
