import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SharedImageVersions } from '../src/adapters/local/shared-image-versions.ts';
import { openDatabase } from '../src/adapters/local/sqlite-database.ts';
import { SqliteImageRepository } from '../src/adapters/local/sqlite-image-repository.ts';
import { initialSteps } from '../src/core/image.ts';
import { type StateChange, TRANSITIONS } from '../src/core/image-state.ts';
import { scaledPhoto } from './helpers/images.ts';
import { putBytes, startTestServer, type TestServer } from './helpers/server.ts';

const ORDER = ['pending', 'uploaded', 'processing', 'completed'];

describe('Read cache: image and list bodies are reused only until the image changes', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it('never answers GET /images/{id} with a body older than the status it already reported', async () => {
    const created = await server.api.createUpload();
    const { imageId, uploadUrl } = created.body;
    const first = await server.api.get(`/images/${imageId}`);
    const again = await server.api.get(`/images/${imageId}`);
    expect(first.body.status).toBe('pending');
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('content-type')).toBe('application/json');

    // Large enough that processing spans many reads; the worker thread writes every step.
    expect((await putBytes(uploadUrl, await scaledPhoto(2400, 1600), 'image/jpeg')).status).toBe(200);
    const seen: string[] = [];
    for (;;) {
      // The status endpoint is never cached: whatever it said, a GET right after must not
      // be behind it.
      const status = (await server.api.get(`/images/${imageId}/status`)).body.status as string;
      const image = (await server.api.get(`/images/${imageId}`)).body;
      expect(ORDER.indexOf(image.status)).toBeGreaterThanOrEqual(ORDER.indexOf(status));
      seen.push(image.status);
      if (image.status === 'completed') {
        expect(image.thumbnails.small).toMatch(/thumb-small\?expires=/);
        expect(image.webpUrl).toMatch(/webp\?expires=/);
        expect(image.metadata).toMatchObject({ width: 2400, height: 1600 });
        expect(image.placeholder.thumbhash).toBeTruthy();
        break;
      }
    }
    expect(seen[0]).not.toBe('pending');
    expect(seen).toContain('completed');
  });

  it('shows a new upload in the list at once, and forgets a deleted one at once', async () => {
    const before = await server.api.get('/images?limit=100');
    const { imageId } = (await server.api.createUpload('new.jpg')).body;
    const after = await server.api.get('/images?limit=100');
    expect(after.body.count).toBe(before.body.count + 1);
    expect(after.body.images[0].imageId).toBe(imageId);

    expect((await server.api.request('DELETE', `/images/${imageId}`)).status).toBe(200);
    const gone = await server.api.get('/images?limit=100');
    expect(gone.body.images.map((i: { imageId: string }) => i.imageId)).not.toContain(imageId);
    expect((await server.api.get(`/images/${imageId}`)).status).toBe(404);
  });

  it('keeps tenants apart: the same query from another key is its own list', async () => {
    await server.api.createUpload('mine.jpg');
    const mine = await server.api.get('/images?limit=100');
    expect(mine.body.count).toBeGreaterThan(0);
    const key = await server.api.request('POST', '/keys', { name: 'other tenant' });
    const other = server.api.withKey(key.body.apiKey);
    const theirs = await other.get('/images?limit=100');
    expect(theirs.body).toEqual({ images: [], count: 0 });
    const theirImage = await other.get(`/images/${mine.body.images[0].imageId}`);
    expect(theirImage.status).toBe(404);
  });
});

describe('Shared image versions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'imgapi-versions-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // Fixed ids in different slots, so "the other image changed" cannot move this one's.
  const imageId = '00000000-0000-4000-8000-000000000001';
  const other = '00000000-0000-4000-8000-000000000002';

  it('answers null while a write is under way (until after it commits), from any thread', () => {
    const versions = new SharedImageVersions();
    const elsewhere = new SharedImageVersions(versions.buffer);
    const before = versions.image(imageId);
    const otherBefore = versions.image(other);
    elsewhere.write(imageId, () => {
      expect(versions.image(imageId)).toBeNull();
      expect(versions.any()).toBeNull();
      expect(versions.image(other)).toBe(otherBefore);
    });
    expect(versions.image(imageId)).not.toBe(before);
    expect(versions.image(imageId)).not.toBeNull();
    expect(versions.image(other)).toBe(otherBefore);
    // A write that throws still ends.
    expect(() =>
      elsewhere.write(imageId, () => {
        throw new Error('disk full');
      }),
    ).toThrow('disk full');
    expect(versions.image(imageId)).not.toBeNull();
  });

  it('is moved by every write of the repository, made through any connection', async () => {
    const reader = new SharedImageVersions();
    // As the worker threads do: their own connection, the same counters via the buffer.
    const writer = new SqliteImageRepository(
      openDatabase(join(dir, 'db.sqlite')),
      new SharedImageVersions(reader.buffer),
    );
    /** Which counters a change moved: this image's, and the any-image one. */
    const moved = async (change: () => Promise<unknown>) => {
      const image = reader.image(imageId);
      const any = reader.any();
      await change();
      return [reader.image(imageId) !== image, reader.any() !== any];
    };
    const both = [true, true];
    const now = Date.now();
    const create = (id: string) => () =>
      writer.create({
        imageId: id,
        tenant: 't',
        fileName: 'a.jpg',
        fileType: 'image/jpeg',
        steps: initialSteps([]),
        createdAt: now,
      });
    const thumbnail = { step: 'thumbnail', state: 'completed' } as const;

    expect(await moved(create(imageId))).toEqual(both);
    expect(await moved(create(other))).toEqual([false, true]);
    expect(await moved(() => writer.claimUpload(imageId, now))).toEqual(both);
    expect(await moved(() => writer.releaseUpload(imageId))).toEqual(both);
    const step = (change: StateChange) => moved(() => writer.transition(imageId, change));
    expect(await step(TRANSITIONS.markUploaded(10, now, now + 1000))).toEqual(both);
    expect(await step(TRANSITIONS.startProcessing(1, now))).toEqual(both);
    expect(await moved(() => writer.updateStep(imageId, thumbnail, now))).toEqual(both);
    expect(await step(TRANSITIONS.scheduleRetry('again', now))).toEqual(both);
    expect(await step(TRANSITIONS.startProcessing(2, now))).toEqual(both);
    expect(await step(TRANSITIONS.fail({ code: 'X', message: 'x' }, now, 'webp'))).toEqual(both);
    expect(await step(TRANSITIONS.reopen(now, ['webp']))).toEqual(both);
    expect(await step(TRANSITIONS.startProcessing(1, now))).toEqual(both);
    expect(await step(TRANSITIONS.complete(now))).toEqual(both);
    expect(await moved(() => writer.delete('t', imageId))).toEqual(both);
    // Reads move nothing.
    expect(await moved(() => writer.get('t', other))).toEqual([false, false]);
  });
});
