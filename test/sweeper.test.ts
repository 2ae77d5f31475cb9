import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsBlobStore } from '../src/adapters/local/fs-blob-store.ts';
import { HmacSignedUrls } from '../src/adapters/local/hmac-signed-urls.ts';
import { InProcessImageEvents } from '../src/adapters/local/in-process-image-events.ts';
import { openDatabase, type SqliteDatabase } from '../src/adapters/local/sqlite-database.ts';
import { SqliteImageRepository } from '../src/adapters/local/sqlite-image-repository.ts';
import { SqliteJobQueue } from '../src/adapters/local/sqlite-job-queue.ts';
import { requeueStrandedUploads } from '../src/adapters/local/stranded-uploads.ts';
import type { CoreDeps } from '../src/core/deps.ts';
import { initialSteps, storageKey } from '../src/core/image.ts';
import { TRANSITIONS } from '../src/core/image-state.ts';
import { sweepExpired } from '../src/core/sweeper.ts';

const DAY = 24 * 3600 * 1000;

describe('Function: sweepExpired', () => {
  let dir: string;
  let db: SqliteDatabase;
  let deps: CoreDeps;
  const clock = { time: Date.UTC(2026, 0, 1), now: () => clock.time };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'imgapi-sweep-'));
    db = openDatabase(join(dir, 'db.sqlite'));
    const queue = new SqliteJobQueue(db, clock, 3);
    deps = {
      repo: new SqliteImageRepository(db),
      blobs: new FsBlobStore(join(dir, 'files')),
      queue,
      deadLetters: queue,
      urls: new HmacSignedUrls(Buffer.alloc(32), () => 'http://x'),
      clock,
      events: new InProcessImageEvents(),
      settings: {
        maxUploadBytes: 1,
        uploadUrlTtlSeconds: 3600,
        downloadUrlTtlSeconds: 3600,
        retentionDays: 30,
        analyses: [],
      },
    };
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function uploaded(imageId: string, retentionDays: number) {
    await deps.repo.create({
      imageId,
      tenant: 't',
      fileName: 'a',
      fileType: 'image/jpeg',
      steps: initialSteps([]),
      createdAt: clock.now(),
    });
    await deps.blobs.write(storageKey('t', imageId, 'original'), Buffer.from('x'));
    await deps.repo.transition(
      imageId,
      TRANSITIONS.markUploaded(1, clock.now(), clock.now() + retentionDays * DAY),
    );
    await deps.queue.send({ name: 'process-image', data: { tenant: 't', imageId } });
  }

  it('removes images past retention, with their files and jobs, and keeps the rest', async () => {
    await uploaded('old', 1);
    await uploaded('young', 30);
    clock.time += 2 * DAY;
    expect(await sweepExpired(deps)).toBe(1);
    expect(await deps.repo.getById('old')).toBeNull();
    expect(existsSync(join(dir, 'files', 't', 'old'))).toBe(false);
    expect(await deps.repo.getById('young')).not.toBeNull();
    expect(existsSync(join(dir, 'files', 't', 'young', 'original'))).toBe(true);
    const jobs = await deps.queue.receive({ max: 10, visibilityTimeoutSeconds: 1 });
    expect(jobs.map((j) => j.job.data.imageId)).toEqual(['young']);
  });

  it('removes pending uploads nobody completed once their URL has long expired', async () => {
    await deps.repo.create({
      imageId: 'abandoned',
      tenant: 't',
      fileName: 'a',
      fileType: 'image/jpeg',
      steps: initialSteps([]),
      createdAt: clock.now(),
    });
    clock.time += 3600 * 1000;
    expect(await sweepExpired(deps)).toBe(0);
    clock.time += 16 * 60 * 1000;
    expect(await sweepExpired(deps)).toBe(1);
    expect(await deps.repo.getById('abandoned')).toBeNull();
  });

  it('re-enqueues an uploaded image whose job was lost, and only that one', async () => {
    await uploaded('has-job', 30);
    await deps.repo.create({
      imageId: 'lost',
      tenant: 't',
      fileName: 'a',
      fileType: 'image/jpeg',
      steps: initialSteps([]),
      createdAt: clock.now(),
    });
    await deps.repo.transition('lost', TRANSITIONS.markUploaded(1, clock.now(), clock.now() + DAY));
    expect(await requeueStrandedUploads(db, deps.queue, clock.now() + 1)).toBe(1);
    expect(await requeueStrandedUploads(db, deps.queue, clock.now() + 1)).toBe(0);
    const jobs = await deps.queue.receive({ max: 10, visibilityTimeoutSeconds: 1 });
    expect(jobs.map((j) => j.job.data.imageId).sort()).toEqual(['has-job', 'lost']);
  });

  it('works through more expired images than one batch', async () => {
    for (let i = 0; i < 25; i++) await uploaded(`img-${i}`, 1);
    clock.time += 2 * DAY;
    expect(await sweepExpired(deps, 10)).toBe(25);
  });
});
