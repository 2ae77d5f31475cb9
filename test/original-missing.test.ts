import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type SqliteDatabase } from '../src/adapters/local/sqlite-database.ts';
import { imagePrefix } from '../src/core/image.ts';
import { type ProcessingDeps, runProcessImageJob } from '../src/core/processing.ts';
import { seedUploadedImage, workerProcessingDeps } from './helpers/seed.ts';

describe('Processing an image whose original is gone from storage', () => {
  let dir: string;
  let db: SqliteDatabase;
  let deps: ProcessingDeps;
  const job = { tenant: 't', imageId: '44444444-4444-4444-8444-444444444444' };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'imgapi-missing-'));
    db = openDatabase(join(dir, 'db.sqlite'));
    deps = workerProcessingDeps(db, dir);
    const bytes = readFileSync(new URL('./fixtures/chelsea.jpg', import.meta.url));
    await seedUploadedImage(deps, { ...job, bytes, now: Date.now() });
    await deps.blobs.deletePrefix(imagePrefix(job.tenant, job.imageId));
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails at once with ORIGINAL_MISSING, without retrying, in every home alike', async () => {
    expect(await runProcessImageJob(deps, job, 1)).toMatchObject({ action: 'delete', result: 'failed' });
    expect(await deps.repo.getById(job.imageId)).toMatchObject({
      status: 'failed',
      error: { code: 'ORIGINAL_MISSING', message: 'The original is not in storage' },
      steps: { thumbnail: 'failed' },
    });
  });
});
