import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsBlobStore } from '../src/adapters/local/fs-blob-store.ts';
import { openDatabase, type SqliteDatabase } from '../src/adapters/local/sqlite-database.ts';
import { SqliteImageRepository } from '../src/adapters/local/sqlite-image-repository.ts';
import { SqliteJobQueue } from '../src/adapters/local/sqlite-job-queue.ts';
import { redriveDeadLetters } from '../src/core/dead-letters.ts';
import { ProcessingError } from '../src/core/errors.ts';
import type { ImagePipeline } from '../src/core/pipeline.ts';
import { runProcessImageJob } from '../src/core/processing.ts';
import { SharpPipeline } from '../src/core/sharp-pipeline.ts';
import { JobRunner } from '../src/worker/job-runner.ts';
import { fixture } from './helpers/images.ts';
import { seedUploadedImage } from './helpers/seed.ts';

/** A clock the test moves by hand, so visibility timeouts need no sleeping. */
class ManualClock {
  constructor(public time = 1_700_000_000_000) {}
  now = () => this.time;
  advance(ms: number) {
    this.time += ms;
  }
}

describe('Class: SqliteJobQueue', () => {
  let dir: string;
  let db: SqliteDatabase;
  let clock: ManualClock;
  let queue: SqliteJobQueue;
  const job = { name: 'process-image' as const, data: { tenant: 't', imageId: 'img-1' } };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'imgapi-queue-'));
    db = openDatabase(join(dir, 'db.sqlite'));
    clock = new ManualClock();
    queue = new SqliteJobQueue(db, clock, 3);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hides a received job for the visibility timeout, then delivers it again', async () => {
    await queue.send(job);
    const [first] = await queue.receive({ max: 10, visibilityTimeoutSeconds: 30 });
    expect(first).toMatchObject({ job, receiveCount: 1 });
    expect(await queue.receive({ max: 10, visibilityTimeoutSeconds: 30 })).toEqual([]);
    clock.advance(30_001);
    const [second] = await queue.receive({ max: 10, visibilityTimeoutSeconds: 30 });
    expect(second).toMatchObject({ id: first?.id, receiveCount: 2 });
    expect(second?.receiptHandle).not.toBe(first?.receiptHandle);
  });

  it('deletes only with the current receipt handle', async () => {
    await queue.send(job);
    const [stale] = await queue.receive({ max: 1, visibilityTimeoutSeconds: 1 });
    clock.advance(1001);
    const [current] = await queue.receive({ max: 1, visibilityTimeoutSeconds: 1 });
    expect(await queue.delete(stale?.receiptHandle as string)).toBe(false);
    expect(await queue.delete(current?.receiptHandle as string)).toBe(true);
    clock.advance(5000);
    expect(await queue.receive({ max: 1, visibilityTimeoutSeconds: 1 })).toEqual([]);
  });

  it('honours delaySeconds and changeVisibility', async () => {
    await queue.send(job, { delaySeconds: 10 });
    expect(await queue.receive({ max: 1, visibilityTimeoutSeconds: 30 })).toEqual([]);
    clock.advance(10_000);
    const [msg] = await queue.receive({ max: 1, visibilityTimeoutSeconds: 30 });
    await queue.changeVisibility(msg?.receiptHandle as string, 0);
    expect(await queue.receive({ max: 1, visibilityTimeoutSeconds: 30 })).toHaveLength(1);
  });

  it('moves a job to the dead-letter queue after maxReceives deliveries', async () => {
    await queue.send(job);
    for (let i = 1; i <= 3; i++) {
      const [msg] = await queue.receive({ max: 1, visibilityTimeoutSeconds: 1 });
      expect(msg?.receiveCount).toBe(i);
      await queue.changeVisibility(msg?.receiptHandle as string, 0, `boom ${i}`);
    }
    expect(await queue.receive({ max: 1, visibilityTimeoutSeconds: 1 })).toEqual([]);
    const dead = await queue.listDeadLetters(10);
    expect(dead).toEqual([
      expect.objectContaining({ job, receiveCount: 3, lastError: expect.stringContaining('receives') }),
    ]);
  });

  it('redrives dead letters with a fresh receive count', async () => {
    await queue.send(job);
    const [msg] = await queue.receive({ max: 1, visibilityTimeoutSeconds: 1 });
    await queue.deadLetter(msg?.receiptHandle as string, 'gave up');
    expect(await queue.redrive()).toBe(1);
    const [again] = await queue.receive({ max: 1, visibilityTimeoutSeconds: 1 });
    expect(again).toMatchObject({ job, receiveCount: 1 });
    expect(await queue.listDeadLetters(10)).toEqual([]);
  });

  it('never leases one job to two consumers on separate connections', async () => {
    const other = new SqliteJobQueue(openDatabase(join(dir, 'db.sqlite')), clock, 3);
    for (let i = 0; i < 50; i++)
      await queue.send({ name: 'process-image', data: { tenant: 't', imageId: `img-${i}` } });
    const [a, b] = await Promise.all([
      queue.receive({ max: 30, visibilityTimeoutSeconds: 60 }),
      other.receive({ max: 30, visibilityTimeoutSeconds: 60 }),
    ]);
    const ids = [...(a ?? []), ...(b ?? [])].map((m) => m.id);
    expect(ids).toHaveLength(50);
    expect(new Set(ids).size).toBe(50);
  });

  it('drops queued jobs of a deleted image', async () => {
    await queue.send(job);
    expect(await queue.deleteJobsFor('img-1')).toBe(1);
    expect(await queue.receive({ max: 1, visibilityTimeoutSeconds: 1 })).toEqual([]);
  });
});

describe('Retries and dead-lettering of a job that always fails', () => {
  let dir: string;
  let db: SqliteDatabase;
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('tries 3 times with growing delays, then marks the image failed and dead-letters the job; redrive runs it again', async () => {
    dir = mkdtempSync(join(tmpdir(), 'imgapi-retry-'));
    db = openDatabase(join(dir, 'db.sqlite'));
    const clock = { now: () => Date.now() };
    const repo = new SqliteImageRepository(db);
    const blobs = new FsBlobStore(join(dir, 'files'));
    const queue = new SqliteJobQueue(db, clock, 3);
    const real = new SharpPipeline(100e6);
    let failing = true;
    const attemptsAt: number[] = [];
    const pipeline: ImagePipeline = {
      probe: (path) => real.probe(path),
      thumbnails: async (path) => {
        attemptsAt.push(Date.now());
        if (failing) throw new ProcessingError('STORAGE_UNAVAILABLE', 'disk on fire', { retryable: true });
        return real.thumbnails(path);
      },
      webp: (path) => real.webp(path),
      textImage: (path) => real.textImage(path),
      describe: (...args) => real.describe(...args),
    };
    const deps = {
      repo,
      blobs,
      pipeline,
      analyzer: null,
      clock,
      maxPixels: 100e6,
      maxAttempts: 3,
      retryBaseDelayMs: 200,
    };

    const imageId = '11111111-1111-4111-8111-111111111111';
    await seedUploadedImage(
      { repo, blobs },
      { imageId, tenant: 't', bytes: fixture('coffee.jpg'), now: clock.now() },
    );
    await queue.send({ name: 'process-image', data: { tenant: 't', imageId } });

    const runner = new JobRunner({
      queue,
      handler: (job, attempt) => runProcessImageJob(deps, job.data, attempt),
      concurrency: 1,
      visibilityTimeoutSeconds: 30,
      pollIntervalMs: 20,
      logger: pino({ level: 'silent' }),
    });
    runner.start();
    const deadline = Date.now() + 10_000;
    while ((await queue.listDeadLetters(1)).length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    await runner.stop(1000);

    expect(attemptsAt).toHaveLength(3);
    const gaps = [
      (attemptsAt[1] as number) - (attemptsAt[0] as number),
      (attemptsAt[2] as number) - (attemptsAt[1] as number),
    ];
    expect(gaps[0]).toBeGreaterThanOrEqual(100); // attempt 1 → 2: 100–200 ms
    expect(gaps[1]).toBeGreaterThanOrEqual(200); // attempt 2 → 3: 200–400 ms
    const record = await repo.getById(imageId);
    expect(record).toMatchObject({
      status: 'failed',
      attempts: 3,
      error: { code: 'STORAGE_UNAVAILABLE', message: 'disk on fire' },
    });
    // Only the last attempt marks its step; the steps after it stay pending in the record.
    expect(record?.steps).toMatchObject({ thumbnail: 'failed', webp: 'pending', metadata: 'pending' });
    const [dead] = await queue.listDeadLetters(10);
    expect(dead?.lastError).toContain('STORAGE_UNAVAILABLE');

    // The fault is fixed; redriving reopens the image, its failed step pending again, and
    // the job now succeeds.
    failing = false;
    expect(await redriveDeadLetters({ repo, deadLetters: queue, clock })).toBe(1);
    expect(await repo.getById(imageId)).toMatchObject({
      status: 'uploaded',
      steps: { thumbnail: 'pending', webp: 'pending', metadata: 'pending' },
    });
    runner.start();
    while ((await repo.getById(imageId))?.status !== 'completed' && Date.now() < deadline + 10_000) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await runner.stop(1000);
    const completed = await repo.getById(imageId);
    expect(completed).toMatchObject({ status: 'completed', attempts: 1, error: null });
    expect(Object.values(completed?.steps ?? {})).not.toContain('failed');
    expect(await queue.listDeadLetters(10)).toEqual([]);
  });
});
