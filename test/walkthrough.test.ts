import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, jpegWithGps } from './helpers/images.ts';
import { putBytes, startTestServer, type TestServer } from './helpers/server.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function download(url: string) {
  const res = await fetch(url);
  return { res, bytes: Buffer.from(await res.arrayBuffer()) };
}

describe('README walkthrough against the real local server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ WORKERS: '2' });
  });
  afterAll(() => server.stop());

  it('lists no images on a fresh start', async () => {
    const res = await server.api.get('/images');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ images: [], count: 0 });
  });

  it('answers /health without a key', async () => {
    const res = await server.api.withKey(null).get('/health');
    expect(res.status).toBe(200);
  });

  it('uploads, processes, serves and deletes an image', async () => {
    const { api } = server;
    const created = await api.createUpload('test.jpg', 'image/jpeg');
    expect(created.status).toBe(200);
    expect(created.body).toEqual({
      imageId: expect.stringMatching(UUID),
      uploadUrl: expect.stringContaining(`${server.url}/uploads/`),
      expiresIn: 3600,
      fields: {},
    });
    const { imageId, uploadUrl } = created.body;
    expect((await api.get(`/images/${imageId}/status`)).body.status).toBe('pending');

    const put = await putBytes(uploadUrl, await jpegWithGps(), 'image/jpeg');
    expect(put.status).toBe(200);

    const status = await api.waitFor(imageId);
    expect(status).toMatchObject({
      imageId,
      status: 'completed',
      progress: 100,
      steps: { thumbnail: 'completed', webp: 'completed', metadata: 'completed', analysis: 'skipped' },
      attempts: 1,
    });
    expect(status.error).toBeUndefined();

    const image = (await api.get(`/images/${imageId}`)).body;
    expect(image).toMatchObject({
      imageId,
      fileName: 'test.jpg',
      fileType: 'image/jpeg',
      status: 'completed',
      analysis: null,
      metadata: {
        width: 512,
        height: 512,
        format: 'jpeg',
        hasAlpha: false,
        orientation: 1,
        exif: { make: 'TestCam', model: 'T-1000', iso: 200, fNumber: 2.8, exposureTime: 0.004 },
      },
      placeholder: { thumbhash: expect.any(String), dominantColor: expect.stringMatching(/^#[0-9a-f]{6}$/) },
    });
    expect(image.metadata.exif.gps.latitude).toBeCloseTo(50.8333, 3);
    expect(image.metadata.exif.gps.longitude).toBeCloseTo(4.35, 3);
    expect(image.metadata.exif.takenAt).toBe('2024-05-01T12:30:00');
    const day = 24 * 3600 * 1000;
    expect(Date.parse(image.expiresAt) - Date.parse(image.uploadedAt)).toBe(30 * day);

    // Every derivative: right type, right size, and no EXIF (so no GPS) left in it.
    const expected = { small: 150, medium: 480, large: 512 };
    for (const [size, edge] of Object.entries(expected)) {
      const { res, bytes } = await download(image.thumbnails[size]);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/jpeg');
      expect(res.headers.get('content-length')).toBe(String(bytes.length));
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('etag')).toBeTruthy();
      const meta = await sharp(bytes).metadata();
      expect(Math.max(meta.width ?? 0, meta.height ?? 0)).toBe(edge);
      expect(meta.isProgressive).toBe(true);
      expect(meta.exif).toBeUndefined();
    }
    const webp = await download(image.webpUrl);
    expect(webp.res.headers.get('content-type')).toBe('image/webp');
    const webpMeta = await sharp(webp.bytes).metadata();
    expect(webpMeta).toMatchObject({ format: 'webp', width: 512, height: 512 });
    expect(webpMeta.exif).toBeUndefined();

    const original = await download(image.downloadUrl);
    expect(original.bytes.equals(await jpegWithGps())).toBe(true);
    const revalidated = await fetch(image.downloadUrl, {
      headers: { 'if-none-match': original.res.headers.get('etag') ?? '' },
    });
    expect(revalidated.status).toBe(304);

    const listed = (await api.get('/images')).body;
    expect(listed.count).toBe(1);
    expect(listed.images[0]).toEqual({
      imageId,
      fileName: 'test.jpg',
      fileType: 'image/jpeg',
      size: original.bytes.length,
      status: 'completed',
      uploadedAt: image.uploadedAt,
      thumbnails: { small: expect.any(String), medium: expect.any(String), large: expect.any(String) },
    });

    const deleted = await api.request('DELETE', `/images/${imageId}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ message: 'Image deleted successfully', imageId });
    expect(readdirSync(join(server.dataDir, 'files', 'admin'))).toEqual([]);
    expect((await fetch(image.thumbnails.small)).status).toBe(404);
    expect((await fetch(image.downloadUrl)).status).toBe(404);
    expect((await api.get(`/images/${imageId}`)).status).toBe(404);
    expect((await api.get(`/images/${imageId}/status`)).status).toBe(404);
    const again = await api.request('DELETE', `/images/${imageId}`);
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('NOT_FOUND');
  });

  it('accepts every allowed type, checked by its bytes', async () => {
    const photo = sharp(fixture('coffee.jpg')).resize(64, 64);
    const samples: Array<[string, Buffer]> = [
      ['image/png', await photo.clone().png().toBuffer()],
      ['image/gif', await photo.clone().gif().toBuffer()],
      ['image/webp', await photo.clone().webp().toBuffer()],
      ['image/avif', await photo.clone().avif().toBuffer()],
      ['image/tiff', await photo.clone().tiff().toBuffer()],
    ];
    const ids = await Promise.all(
      samples.map(([type, bytes]) => server.api.upload(bytes, type, `sample.${type.slice(6)}`)),
    );
    for (const id of ids) {
      const status = await server.api.waitFor(id);
      expect(status.status).toBe('completed');
    }
  });

  it('serves the OpenAPI document generated from the request schemas', async () => {
    const res = await server.api.withKey(null).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        '/images/upload',
        '/images',
        '/images/{imageId}',
        '/images/{imageId}/status',
        '/keys',
      ]),
    );
  });
});
