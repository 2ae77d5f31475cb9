import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type SqliteDatabase } from '../src/adapters/local/sqlite-database.ts';
import { SqliteImageRepository } from '../src/adapters/local/sqlite-image-repository.ts';
import { type ProcessingDeps, runProcessImageJob } from '../src/core/processing.ts';
import { fixture } from './helpers/images.ts';
import { seedUploadedImage, workerProcessingDeps } from './helpers/seed.ts';

describe('Two deliveries of one job racing', () => {
  let dir: string;
  let db: SqliteDatabase;
  let deps: ProcessingDeps;
  const imageId = '22222222-2222-4222-8222-222222222222';
  const job = { tenant: 't', imageId };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'imgapi-race-'));
    db = openDatabase(join(dir, 'db.sqlite'));
    // Each "worker" gets its own connection, as worker threads do.
    deps = workerProcessingDeps(db, dir);
    await seedUploadedImage(deps, { imageId, tenant: 't', bytes: fixture('chelsea.jpg'), now: Date.now() });
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('processes a delivery once: the same attempt on two connections runs only on one', async () => {
    const second = { ...deps, repo: new SqliteImageRepository(openDatabase(join(dir, 'db.sqlite'))) };
    const outcomes = await Promise.all([
      runProcessImageJob(deps, job, 1),
      runProcessImageJob(second, job, 1),
    ]);
    const results = outcomes.map((o) => (o.action === 'delete' ? o.result : o.action)).sort();
    expect(results).toEqual(['completed', 'skipped']);
    expect(await deps.repo.getById(imageId)).toMatchObject({ status: 'completed', attempts: 1 });
  });

  it('ignores a stale delivery after a newer one started, and any delivery after completion', async () => {
    expect(await runProcessImageJob(deps, job, 2)).toMatchObject({ action: 'delete', result: 'completed' });
    expect(await runProcessImageJob(deps, job, 1)).toEqual({ action: 'delete', result: 'skipped' });
    expect(await runProcessImageJob(deps, job, 3)).toEqual({ action: 'delete', result: 'skipped' });
    // Running twice wrote the same keys, no extra files.
    expect(readdirSync(join(dir, 'files', 't', imageId)).sort()).toEqual([
      'full.webp',
      'original',
      'thumb-large.jpg',
      'thumb-medium.jpg',
      'thumb-small.jpg',
    ]);
  });
});
