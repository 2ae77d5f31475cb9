import { beforeEach, describe, expect, it } from 'vitest';
import type { Analysis } from '../../src/core/analysis.ts';
import { searchTermsOf } from '../../src/core/analyze-image.ts';
import { initialSteps, visibleSteps } from '../../src/core/image.ts';
import { TRANSITIONS } from '../../src/core/image-state.ts';
import type { ImageRepository, StepUpdate } from '../../src/ports/image-repository.ts';

export interface ImageRepositoryHarness {
  /** A repository over an empty store of its own. */
  create(): Promise<ImageRepository>;
  /** `substring`: text= matches inside words (SQLite's trigram index); `words`: whole words only. */
  textSearch: 'substring' | 'words';
}

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const ids = (rows: Array<{ imageId: string }>) => rows.map((row) => row.imageId);

export function analysisOf(labels: string[], objects: string[], text: string[]): Analysis {
  const box = { left: 0, top: 0, width: 1, height: 1 };
  return {
    labels,
    labelDetails: labels.map((name) => ({ name, confidence: 90, parents: [] })),
    objects: objects.map((name) => ({ name, confidence: 90, boundingBox: box })),
    confidence: labels.length ? 90 : null,
    faces: 0,
    faceDetails: [],
    moderationLabels: [],
    text: text.map((line) => ({ text: line, confidence: 90, boundingBox: box })),
    celebrities: [],
    models: {},
    errors: [],
  };
}

/**
 * What the core relies on from an ImageRepository, whichever store holds the images: the
 * state machine's conditional writes, step updates, tenant isolation, newest-first keyset
 * pages that stay stable while images arrive, search by label/object/text, expiry.
 */
export function imageRepositoryContract(harness: ImageRepositoryHarness): void {
  let repo: ImageRepository;
  beforeEach(async () => {
    repo = await harness.create();
  });

  const create = (n: number, tenant = 't1', createdAt = 1000 + n) =>
    repo.create({
      imageId: id(n),
      tenant,
      fileName: `photo-${n}.jpg`,
      fileType: 'image/jpeg',
      steps: initialSteps(['objects', 'text']),
      createdAt,
    });

  /** Takes an image through a whole successful run with this analysis. */
  async function processed(n: number, tenant: string, createdAt: number, analysis: Analysis) {
    await create(n, tenant, createdAt);
    await repo.transition(id(n), TRANSITIONS.markUploaded(10, createdAt, createdAt + 1e9));
    await repo.transition(id(n), TRANSITIONS.startProcessing(1, createdAt));
    await repo.updateStep(
      id(n),
      { step: 'analysis', state: 'completed', analysis, terms: searchTermsOf(analysis) },
      createdAt,
    );
    expect(await repo.transition(id(n), TRANSITIONS.complete(createdAt + 1))).not.toBeNull();
  }

  describe('records', () => {
    it('creates a pending record readable by its tenant only', async () => {
      await create(1);
      const record = await repo.get('t1', id(1));
      expect(record).toMatchObject({
        imageId: id(1),
        tenant: 't1',
        fileName: 'photo-1.jpg',
        fileType: 'image/jpeg',
        status: 'pending',
        size: null,
        attempts: 0,
        variants: [],
        metadata: null,
        analysis: null,
        createdAt: 1001,
      });
      expect(record?.steps).toEqual(initialSteps(['objects', 'text']));
      expect(await repo.get('t2', id(1))).toBeNull();
      expect((await repo.getById(id(1)))?.tenant).toBe('t1');
      expect(await repo.get('t1', id(2))).toBeNull();
    });

    it('deletes once, for its own tenant only', async () => {
      await create(1);
      expect(await repo.delete('t2', id(1))).toBe(false);
      expect(await repo.delete('t1', id(1))).toBe(true);
      expect(await repo.delete('t1', id(1))).toBe(false);
      expect(await repo.getById(id(1))).toBeNull();
    });
  });

  describe('state machine', () => {
    it('applies a transition only from its from-states, returning the record as written', async () => {
      await create(1);
      expect(await repo.transition(id(1), TRANSITIONS.complete(5))).toBeNull();
      const uploaded = await repo.transition(id(1), TRANSITIONS.markUploaded(123, 2000, 9000));
      expect(uploaded).toMatchObject({
        status: 'uploaded',
        size: 123,
        uploadedAt: 2000,
        updatedAt: 2000,
        expiresAt: 9000,
        message: 'Queued for processing',
      });
      expect(await repo.transition(id(1), TRANSITIONS.markUploaded(1, 3000, 9000))).toBeNull();
      expect((await repo.getById(id(1)))?.size).toBe(123);
    });

    it('lets only a newer delivery start processing', async () => {
      await create(1);
      await repo.transition(id(1), TRANSITIONS.markUploaded(1, 2000, 9000));
      expect(await repo.transition(id(1), TRANSITIONS.startProcessing(1, 2100))).toMatchObject({
        status: 'processing',
        attempts: 1,
        startedAt: 2100,
      });
      expect(await repo.transition(id(1), TRANSITIONS.startProcessing(1, 2200))).toBeNull();
      expect(await repo.transition(id(1), TRANSITIONS.startProcessing(2, 2300))).toMatchObject({
        attempts: 2,
        startedAt: 2300,
      });
    });

    it('retries, fails with the failed step, refuses to move a failed image, reopens it', async () => {
      await create(1);
      await repo.transition(id(1), TRANSITIONS.markUploaded(1, 2000, 9000));
      await repo.transition(id(1), TRANSITIONS.startProcessing(1, 2100));
      expect(await repo.transition(id(1), TRANSITIONS.scheduleRetry('again soon', 2200))).toMatchObject({
        status: 'uploaded',
        message: 'again soon',
      });
      await repo.transition(id(1), TRANSITIONS.startProcessing(2, 2300));
      const error = { code: 'UNDECODABLE', message: 'not an image' };
      const failed = await repo.transition(id(1), TRANSITIONS.fail(error, 2400, 'webp'));
      expect(failed).toMatchObject({ status: 'failed', error, message: 'Failed: not an image' });
      expect(failed?.steps).toMatchObject({ thumbnail: 'pending', webp: 'failed', objects: 'pending' });
      expect(failed && visibleSteps(failed)).toMatchObject({ webp: 'failed', metadata: 'skipped' });
      expect(await repo.transition(id(1), TRANSITIONS.complete(2500))).toBeNull();
      expect(await repo.transition(id(1), TRANSITIONS.startProcessing(3, 2500))).toBeNull();

      const reopened = await repo.transition(id(1), TRANSITIONS.reopen(2600, ['webp']));
      expect(reopened).toMatchObject({ status: 'uploaded', attempts: 0, error: null });
      expect(reopened?.steps).toMatchObject({ webp: 'pending', text: 'pending', moderation: 'skipped' });
      expect(await repo.transition(id(1), TRANSITIONS.startProcessing(1, 2700))).not.toBeNull();
    });

    it('fails a pending image (an upload refused after it was stored)', async () => {
      await create(1);
      const error = { code: 'CONTENT_MISMATCH', message: 'not a JPEG' };
      expect(await repo.transition(id(1), TRANSITIONS.fail(error, 2000, null))).toMatchObject({
        status: 'failed',
        error,
      });
    });

    it('answers null for a transition of an image that does not exist', async () => {
      expect(await repo.transition(id(9), TRANSITIONS.markUploaded(1, 1, 1))).toBeNull();
    });
  });

  describe('steps', () => {
    it('records steps and variants only while processing', async () => {
      await create(1);
      const thumbs: StepUpdate = {
        step: 'thumbnail',
        state: 'completed',
        variants: ['thumb-small', 'thumb-large'],
      };
      expect(await repo.updateStep(id(1), thumbs, 2000)).toBe(false);
      await repo.transition(id(1), TRANSITIONS.markUploaded(1, 2000, 9000));
      await repo.transition(id(1), TRANSITIONS.startProcessing(1, 2000));
      expect(await repo.updateStep(id(1), thumbs, 2100)).toBe(true);
      expect(
        await repo.updateStep(id(1), { step: 'webp', state: 'completed', variants: ['webp'] }, 2200),
      ).toBe(true);
      const metadata = {
        width: 4,
        height: 3,
        format: 'jpeg',
        size: 1,
        hasAlpha: false,
        orientation: 1,
        exif: null,
      };
      const placeholder = { thumbhash: 'abc', dominantColor: '#102030' };
      await repo.updateStep(id(1), { step: 'metadata', state: 'completed', metadata, placeholder }, 2300);
      const record = await repo.getById(id(1));
      expect(record?.steps).toMatchObject({
        thumbnail: 'completed',
        webp: 'completed',
        metadata: 'completed',
      });
      expect([...(record?.variants ?? [])].sort()).toEqual(['thumb-large', 'thumb-small', 'webp']);
      expect(record).toMatchObject({ metadata, placeholder, updatedAt: 2300 });
      await repo.transition(id(1), TRANSITIONS.complete(2400));
      expect(await repo.updateStep(id(1), { step: 'text', state: 'completed' }, 2500)).toBe(false);
    });
  });

  describe('listing', () => {
    it('lists a tenant newest first in keyset pages that stay stable while images arrive', async () => {
      for (let n = 1; n <= 7; n++) await create(n, 't1', 1000 + n);
      await create(50, 't2', 5000);
      const first = await repo.list({ tenant: 't1', limit: 3 });
      expect(ids(first)).toEqual([id(7), id(6), id(5)]);
      await create(8, 't1', 9000);
      const last = first.at(-1) as (typeof first)[number];
      const second = await repo.list({
        tenant: 't1',
        limit: 3,
        after: { createdAt: last.createdAt, imageId: last.imageId },
      });
      expect(ids(second)).toEqual([id(4), id(3), id(2)]);
      expect(second[0]).toMatchObject({ fileName: 'photo-4.jpg', status: 'pending', variants: [] });
    });

    it('orders images created in the same millisecond by id, without skipping any across pages', async () => {
      for (const n of [3, 1, 2]) await create(n, 't1', 1000);
      const first = await repo.list({ tenant: 't1', limit: 2 });
      const last = first.at(-1) as (typeof first)[number];
      const second = await repo.list({ tenant: 't1', limit: 2, after: last });
      expect([...ids(first), ...ids(second)]).toEqual([id(3), id(2), id(1)]);
    });

    it('filters by status', async () => {
      await create(1);
      await create(2);
      await repo.transition(id(2), TRANSITIONS.markUploaded(1, 2000, 9000));
      expect(ids(await repo.list({ tenant: 't1', limit: 10, status: 'uploaded' }))).toEqual([id(2)]);
      expect(ids(await repo.list({ tenant: 't1', limit: 10, status: 'pending' }))).toEqual([id(1)]);
    });
  });

  describe('search', () => {
    beforeEach(async () => {
      await processed(1, 't1', 1000, analysisOf(['Cat', 'Animal'], ['Cat'], ['Fresh milk today']));
      await processed(2, 't1', 2000, analysisOf(['Dog', 'Animal'], ['Dog'], []));
      await processed(3, 't1', 3000, analysisOf(['Cat', 'Animal', 'Text'], ['Cat', 'Cup'], ['MILK sale']));
      await processed(4, 't2', 4000, analysisOf(['Cat', 'Animal'], ['Cat'], ['milk']));
    });

    it('finds by label and by object, case-insensitively, newest first, per tenant', async () => {
      expect(ids(await repo.list({ tenant: 't1', limit: 10, label: 'animal' }))).toEqual([
        id(3),
        id(2),
        id(1),
      ]);
      expect(ids(await repo.list({ tenant: 't1', limit: 10, label: 'CAT' }))).toEqual([id(3), id(1)]);
      expect(ids(await repo.list({ tenant: 't1', limit: 10, object: 'cup' }))).toEqual([id(3)]);
      expect(ids(await repo.list({ tenant: 't1', limit: 10, label: 'Bird' }))).toEqual([]);
    });

    it('pages a search with the same cursor as the list', async () => {
      const first = await repo.list({ tenant: 't1', limit: 1, label: 'animal' });
      const last = first.at(-1) as (typeof first)[number];
      expect(ids(await repo.list({ tenant: 't1', limit: 5, label: 'animal', after: last }))).toEqual([
        id(2),
        id(1),
      ]);
    });

    it('finds whole words of the recognised text, and combines filters', async () => {
      expect(ids(await repo.list({ tenant: 't1', limit: 10, text: 'milk' }))).toEqual([id(3), id(1)]);
      expect(ids(await repo.list({ tenant: 't1', limit: 10, text: 'milk', object: 'cup' }))).toEqual([id(3)]);
      expect(ids(await repo.list({ tenant: 't1', limit: 10, text: 'milk', status: 'completed' }))).toEqual([
        id(3),
        id(1),
      ]);
    });

    if (harness.textSearch === 'substring') {
      it('finds substrings of the recognised text', async () => {
        expect(ids(await repo.list({ tenant: 't1', limit: 10, text: 'ilk' }))).toEqual([id(3), id(1)]);
      });
    }

    it('forgets a deleted image', async () => {
      await repo.delete('t1', id(3));
      expect(ids(await repo.list({ tenant: 't1', limit: 10, label: 'cat' }))).toEqual([id(1)]);
      expect(ids(await repo.list({ tenant: 't1', limit: 10, text: 'milk' }))).toEqual([id(1)]);
    });
  });

  describe('expiry', () => {
    it('finds images past their retention and pending uploads nobody completed', async () => {
      await create(1, 't1', 1000);
      await create(2, 't1', 1000);
      await repo.transition(id(2), TRANSITIONS.markUploaded(1, 1000, 5000));
      await create(3, 't1', 1000);
      await repo.transition(id(3), TRANSITIONS.markUploaded(1, 1000, 50_000));
      await create(4, 't1', 8000);
      const found = await repo.findExpired(6000, 2000, 10);
      expect(found.map((f) => f.imageId).sort()).toEqual([id(1), id(2)]);
      expect(found.every((f) => f.tenant === 't1')).toBe(true);
    });
  });

  describe('statistics', () => {
    it('reports the mean processing time of recent images, or null before any', async () => {
      expect(await repo.recentProcessingMillis()).toBeNull();
      await processed(1, 't1', 1000, analysisOf([], [], []));
      expect(await repo.recentProcessingMillis()).toBeGreaterThanOrEqual(0);
    });
  });
}
