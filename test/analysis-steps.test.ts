import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deriveLabels } from '../src/adapters/local/analysis/coco-labels.ts';
import { openDatabase, type SqliteDatabase } from '../src/adapters/local/sqlite-database.ts';
import { SqliteImageRepository } from '../src/adapters/local/sqlite-image-repository.ts';
import { ANALYSES, type AnalysisName } from '../src/core/analysis.ts';
import { ProcessingError } from '../src/core/errors.ts';
import { stepsToRerun, storageKey, visibleSteps } from '../src/core/image.ts';
import { TRANSITIONS } from '../src/core/image-state.ts';
import type { ImagePipeline } from '../src/core/pipeline.ts';
import { type ProcessingDeps, runProcessImageJob } from '../src/core/processing.ts';
import type { Analyzer } from '../src/ports/analyzer.ts';
import { fixture } from './helpers/images.ts';
import { seedUploadedImage, workerProcessingDeps } from './helpers/seed.ts';

/**
 * How analysis failures and progress look to a client. The analyzer here is a stand-in for
 * the port (the real models are exercised in analysis.test.ts); storage and sharp are real.
 */
describe('Analysis steps', () => {
  let dir: string;
  let db: SqliteDatabase;
  let deps: ProcessingDeps;
  const imageId = '33333333-3333-4333-8333-333333333333';
  const job = { tenant: 't', imageId };

  const analyzer = (failing: AnalysisName[], during?: (name: AnalysisName) => Promise<void>): Analyzer => ({
    async analyze(name) {
      await during?.(name);
      if (failing.includes(name)) throw new Error(`${name} model crashed`);
      const results = {
        objects: [{ name: 'Cat', confidence: 80, boundingBox: { left: 0, top: 0, width: 1, height: 1 } }],
        faces: [],
        moderation: { labels: [], classes: { Neutral: 99 } },
        text: [],
      };
      return results[name] as never;
    },
    async modelName(name) {
      return `stand-in ${name}`;
    },
    // As the local analyzer labels: from the objects found.
    async labels(found) {
      return deriveLabels(found);
    },
    async celebrities() {
      return [];
    },
  });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'imgapi-analysis-'));
    db = openDatabase(join(dir, 'db.sqlite'));
    deps = workerProcessingDeps(db, dir);
    await seedUploadedImage(deps, {
      imageId,
      tenant: 't',
      bytes: fixture('chelsea.jpg'),
      now: Date.now(),
      analyses: [...ANALYSES],
    });
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('marks only the failing analysis failed, with its reason; the image completes with the rest', async () => {
    const outcome = await runProcessImageJob({ ...deps, analyzer: analyzer(['text']) }, job, 1);
    expect(outcome).toMatchObject({ action: 'delete', result: 'completed' });
    const record = await deps.repo.getById(imageId);
    expect(record?.status).toBe('completed');
    expect(record?.steps).toMatchObject({
      analysis: 'completed',
      objects: 'completed',
      faces: 'completed',
      moderation: 'completed',
      text: 'failed',
    });
    expect(record?.analysis?.errors).toEqual([
      { step: 'text', code: 'ANALYSIS_FAILED', message: 'text: text model crashed' },
    ]);
    expect(record?.analysis?.labels).toEqual(['Animal', 'Cat', 'Mammal', 'Pet']);
    expect(record?.analysis?.models).toEqual({
      objects: 'stand-in objects',
      faces: 'stand-in faces',
      moderation: 'stand-in moderation',
    });
  });

  it('marks the analysis step failed when every analysis failed, and still completes the image', async () => {
    await runProcessImageJob({ ...deps, analyzer: analyzer([...ANALYSES]) }, job, 1);
    const record = await deps.repo.getById(imageId);
    expect(record?.status).toBe('completed');
    expect(record?.steps.analysis).toBe('failed');
    expect(record?.analysis?.errors.map((e) => e.step)).toEqual([...ANALYSES]);
    expect(record?.variants).toContain('thumb-small');
  });

  it('stops without touching the files when another delivery finished the image meanwhile', async () => {
    // At-least-once queues: a second delivery of this job starts and completes the image
    // while this one is still analysing; this one's next write is refused.
    const overtaken = analyzer([], async (name) => {
      if (name !== 'objects') return;
      await deps.repo.transition(imageId, TRANSITIONS.startProcessing(2, Date.now()));
      await deps.repo.transition(imageId, TRANSITIONS.complete(Date.now()));
    });
    const outcome = await runProcessImageJob({ ...deps, analyzer: overtaken }, job, 1);
    expect(outcome).toMatchObject({ action: 'delete', result: 'skipped' });
    expect((await deps.repo.getById(imageId))?.status).toBe('completed');
    for (const variant of ['original', 'thumb-small', 'webp'] as const)
      expect(await deps.blobs.stat(storageKey('t', imageId, variant))).not.toBeNull();
  });

  it('fails the analysis steps with a reason when the server has no analyzer', async () => {
    await runProcessImageJob(deps, job, 1);
    const record = await deps.repo.getById(imageId);
    expect(record?.status).toBe('completed');
    expect(record?.analysis?.errors[0]?.message).toContain('no analyzer is configured');
  });

  it('keeps the requested analyses of an image that failed before them, so a redrive runs them', async () => {
    const real = deps.pipeline;
    let failing = true;
    const pipeline: ImagePipeline = {
      probe: (path) => real.probe(path),
      thumbnails: (path) => real.thumbnails(path),
      webp: async (path) => {
        if (failing) throw new ProcessingError('STORAGE_UNAVAILABLE', 'disk full', { retryable: true });
        return real.webp(path);
      },
      textImage: (path) => real.textImage(path),
      describe: (...args) => real.describe(...args),
    };
    const run = (attempt: number) =>
      runProcessImageJob({ ...deps, pipeline, analyzer: analyzer([]), maxAttempts: 2 }, job, attempt);

    // A retry changes no step; the last attempt marks the one it failed at.
    expect(await run(1)).toMatchObject({ action: 'retry' });
    expect((await deps.repo.getById(imageId))?.steps).toMatchObject({
      thumbnail: 'completed',
      webp: 'pending',
    });
    expect(await run(2)).toMatchObject({ action: 'dead-letter' });
    const failed = await deps.repo.getById(imageId);
    if (!failed) throw new Error('image gone');
    expect(failed.steps).toEqual({
      thumbnail: 'completed',
      webp: 'failed',
      metadata: 'pending',
      analysis: 'pending',
      objects: 'pending',
      faces: 'pending',
      moderation: 'pending',
      text: 'pending',
    });
    expect(visibleSteps(failed)).toEqual({
      thumbnail: 'completed',
      webp: 'failed',
      metadata: 'skipped',
      analysis: 'skipped',
      objects: 'skipped',
      faces: 'skipped',
      moderation: 'skipped',
      text: 'skipped',
    });

    failing = false;
    expect(
      await deps.repo.transition(imageId, TRANSITIONS.reopen(Date.now(), stepsToRerun(failed.steps))),
    ).not.toBeNull();
    expect((await deps.repo.getById(imageId))?.steps).toMatchObject({ webp: 'pending', objects: 'pending' });
    expect(await run(1)).toMatchObject({ action: 'delete', result: 'completed' });
    const record = await deps.repo.getById(imageId);
    expect(record?.steps).toEqual({
      thumbnail: 'completed',
      webp: 'completed',
      metadata: 'completed',
      analysis: 'completed',
      objects: 'completed',
      faces: 'completed',
      moderation: 'completed',
      text: 'completed',
    });
    expect(record?.analysis?.labels).toContain('Cat');
  });

  it('shows finished thumbnails and finished analyses while a slow one still runs', async () => {
    let seen: Awaited<ReturnType<typeof deps.repo.getById>> = null;
    const reader = new SqliteImageRepository(openDatabase(join(dir, 'db.sqlite')));
    const during = async (name: AnalysisName) => {
      if (name === 'text') seen = await reader.getById(imageId);
    };
    await runProcessImageJob({ ...deps, analyzer: analyzer([], during) }, job, 1);
    expect(seen).toMatchObject({
      status: 'processing',
      analysis: null,
      steps: {
        thumbnail: 'completed',
        webp: 'completed',
        metadata: 'completed',
        analysis: 'processing',
        objects: 'completed',
        faces: 'completed',
        moderation: 'completed',
        text: 'processing',
      },
      variants: expect.arrayContaining(['thumb-small', 'thumb-medium', 'thumb-large', 'webp']),
    });
  });
});
