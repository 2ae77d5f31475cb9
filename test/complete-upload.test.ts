import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incomingKey, storageKey } from '../src/core/image.ts';
import { TRANSITIONS } from '../src/core/image-state.ts';
import { completeUpload } from '../src/core/upload.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const photo = readFileSync(new URL('./fixtures/chelsea.jpg', import.meta.url));

/**
 * completeUpload as the AWS home uses it: the bytes reach the store directly (S3, from a
 * presigned PUT) and nothing has checked them yet; the core hears of them afterwards.
 */
describe('Function: completeUpload', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ MAX_UPLOAD_BYTES: String(photo.length) });
  });
  afterAll(() => server.stop());

  /** A pending image whose upload arrived behind the API's back, at the incoming key, as S3 stores it. */
  async function stored(bytes: Buffer, fileType = 'image/jpeg') {
    const created = await server.api.createUpload('cat.jpg', fileType);
    const { imageId } = created.body;
    const { tenant } = (await server.core.repo.getById(imageId)) as { tenant: string };
    const key = incomingKey(tenant, imageId);
    await server.core.blobs.write(key, bytes);
    return { imageId, key, original: storageKey(tenant, imageId, 'original') };
  }

  it('marks a good original uploaded and queues it; a repeated event changes nothing', async () => {
    const { imageId, key, original } = await stored(photo);
    const record = await completeUpload(server.core, imageId, {
      key,
      size: photo.length,
      contentType: 'image/jpeg',
    });
    expect(record).toMatchObject({ imageId, status: 'uploaded', size: photo.length });
    expect(await server.core.blobs.stat(key)).toBeNull();
    expect((await server.core.blobs.stat(original))?.size).toBe(photo.length);
    expect((await server.api.waitFor(imageId)).status).toBe('completed');
    expect(await completeUpload(server.core, imageId, { key, size: photo.length })).toBeNull();
  });

  it('keeps a replayed upload URL away from the processed original', async () => {
    const { imageId, key, original } = await stored(photo);
    await completeUpload(server.core, imageId, { key, size: photo.length });
    expect((await server.api.waitFor(imageId)).status).toBe('completed');
    const before = await server.core.blobs.stat(original);
    // S3 accepts the same presigned PUT again until it expires.
    const other = Buffer.from('GIF89a-something-else-entirely-0000000000');
    await server.core.blobs.write(key, other);
    expect(await completeUpload(server.core, imageId, { key, size: other.length })).toBeNull();
    expect((await server.core.blobs.stat(original))?.etag).toBe(before?.etag);
    const download = await fetch((await server.api.get(`/images/${imageId}`)).body.downloadUrl);
    expect(Buffer.from(await download.arrayBuffer()).equals(photo)).toBe(true);
  });

  it('queues again when an earlier call marked the image uploaded but died before queueing', async () => {
    const { imageId, key, original } = await stored(photo);
    const now = Date.now();
    // What the earlier call got done: the original moved into place and marked uploaded.
    await server.core.blobs.move(key, original);
    await server.core.repo.transition(imageId, TRANSITIONS.markUploaded(photo.length, now, now + 1e9));
    // No job exists; S3 delivers its event again because the first handler failed.
    expect(await completeUpload(server.core, imageId, { key, size: photo.length })).toMatchObject({
      status: 'uploaded',
    });
    expect((await server.api.waitFor(imageId)).status).toBe('completed');
  });

  it.each([
    [
      'bytes of another type',
      Buffer.from('GIF89a-not-a-jpeg-at-all-000000000'),
      undefined,
      'CONTENT_MISMATCH',
    ],
    ['a Content-Type other than the signed one', photo, 'image/png', 'CONTENT_TYPE_MISMATCH'],
    ['an empty object', Buffer.alloc(0), undefined, 'EMPTY_UPLOAD'],
    [
      'an object over MAX_UPLOAD_BYTES',
      Buffer.concat([photo, Buffer.alloc(1)]),
      undefined,
      'PAYLOAD_TOO_LARGE',
    ],
  ])(
    'refuses %s: the image fails with that code and the object is deleted',
    async (_what, bytes, type, code) => {
      const { imageId, key, original } = await stored(bytes);
      await expect(
        completeUpload(server.core, imageId, { key, size: bytes.length, contentType: type }),
      ).rejects.toMatchObject({
        code,
      });
      const status = await server.api.get(`/images/${imageId}/status`);
      expect(status.body).toMatchObject({ status: 'failed', error: { code }, progress: 100 });
      // Kept for its retention like any image, so the sweeper removes it in the end.
      expect((await server.api.get(`/images/${imageId}`)).body.expiresAt).not.toBeNull();
      expect(await server.core.blobs.stat(key)).toBeNull();
      expect(await server.core.blobs.stat(original)).toBeNull();
    },
  );

  it('answers null for an image that does not exist (a deleted image, a stray object)', async () => {
    expect(await completeUpload(server.core, '00000000-0000-4000-8000-000000000000', { size: 1 })).toBeNull();
  });
});
