import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostileCorpus } from '../scripts/hostile-corpus.ts';
import { putBytes, startTestServer, streamPut, type TestServer } from './helpers/server.ts';

const LIMITS = { maxPixels: 20_000_000, maxUploadBytes: 3 * 1024 * 1024 };

async function metaOf(url: string) {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return sharp(Buffer.from(await res.arrayBuffer())).metadata();
}

describe('Hostile and odd uploads through the real flow', () => {
  let server: TestServer;
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 20);
  beforeAll(async () => {
    server = await startTestServer({
      WORKERS: '2',
      MAX_PIXELS: String(LIMITS.maxPixels),
      MAX_UPLOAD_BYTES: String(LIMITS.maxUploadBytes),
    });
  });
  afterAll(async () => {
    clearInterval(sampler);
    await server.stop();
  });

  for (const item of hostileCorpus(LIMITS)) {
    const outcome =
      item.expect.at === 'processing'
        ? `${item.expect.status}${item.expect.status === 'failed' ? ` ${item.expect.code}` : ''}`
        : `${item.expect.status} ${item.expect.code} at ${item.expect.at}`;
    it(`${item.name} → ${outcome}`, async () => {
      const { api } = server;
      const created = await api.createUpload(item.fileName, item.fileType);
      if (item.expect.at === 'request') {
        expect(created.status).toBe(item.expect.status);
        expect(created.body.error.code).toBe(item.expect.code);
        return;
      }
      expect(created.status).toBe(200);
      const { imageId, uploadUrl } = created.body;
      const bytes = await item.bytes();
      const put =
        item.expect.at === 'upload' && item.expect.status === 413
          ? await streamPut(uploadUrl, bytes, item.putType ?? item.fileType)
          : await putBytes(uploadUrl, bytes, item.putType ?? item.fileType).then(async (r) => ({
              status: r.status,
              body: await r.json(),
            }));
      if (item.expect.at === 'upload') {
        expect(put.status).toBe(item.expect.status);
        expect(put.body.error.code).toBe(item.expect.code);
        expect((await api.get(`/images/${imageId}/status`)).body.status).toBe('pending');
        return;
      }
      expect(put.status).toBe(200);
      const status = await api.waitFor(imageId, ['completed', 'failed'], 60_000);
      expect(status.status).toBe(item.expect.status);
      if (item.expect.status === 'failed') {
        expect(status.error.code).toBe(item.expect.code);
        expect(status.attempts).toBe(1); // permanent: never retried
        // Finished: the step it stopped at says failed, the ones never reached skipped.
        expect(status.progress).toBe(100);
        expect(Object.values(status.steps).filter((state) => state === 'failed')).toHaveLength(1);
        return;
      }
      // Completed: every derivative is a real, upright, sRGB, metadata-free image.
      const image = (await api.get(`/images/${imageId}`)).body;
      for (const url of [image.thumbnails.small, image.thumbnails.medium, image.thumbnails.large]) {
        const meta = await metaOf(url);
        expect(meta).toMatchObject({ format: 'jpeg', space: 'srgb', channels: 3, depth: 'uchar' });
        expect(meta.exif).toBeUndefined();
        expect(meta.icc).toBeUndefined();
        expect(meta.pages ?? 1).toBe(1);
      }
      const webp = await metaOf(image.webpUrl);
      expect(webp).toMatchObject({ format: 'webp', space: 'srgb' });
      expect(webp.pages ?? 1).toBe(1);
      const original = await fetch(image.downloadUrl);
      expect(original.headers.get('content-type')).toBe(item.fileType);
      expect(original.headers.get('x-content-type-options')).toBe('nosniff');
      expect(original.headers.get('content-security-policy')).toBe("default-src 'none'");
      await original.arrayBuffer();
    }, 90_000);
  }

  it('keeps transparency of a palette PNG in the WebP and converts CMYK to sRGB colours', async () => {
    const corpus = hostileCorpus(LIMITS);
    const palette = corpus.find((c) => c.name === 'palette PNG with transparency');
    const cmyk = corpus.find((c) => c.name === 'CMYK JPEG');
    const paletteId = await server.api.upload(await (palette?.bytes() as Promise<Buffer>), 'image/png');
    const cmykId = await server.api.upload(await (cmyk?.bytes() as Promise<Buffer>), 'image/jpeg');
    await server.api.waitFor(paletteId);
    await server.api.waitFor(cmykId);
    const paletteImage = (await server.api.get(`/images/${paletteId}`)).body;
    expect((await metaOf(paletteImage.webpUrl)).hasAlpha).toBe(true);
    const cmykImage = (await server.api.get(`/images/${cmykId}`)).body;
    expect(cmykImage.metadata.format).toBe('jpeg');
    const stats = await sharp(
      Buffer.from(await (await fetch(cmykImage.thumbnails.small)).arrayBuffer()),
    ).stats();
    // The coffee photo is warm: red above blue survives the CMYK round trip.
    expect(stats.channels[0]?.mean).toBeGreaterThan(stats.channels[2]?.mean ?? 255);
  });

  it('stays within bounded memory across the whole corpus, bomb included', () => {
    // Test runner + server + two worker threads; a decoded 40000² bomb alone would be 1.6 GB.
    expect(peakRss).toBeLessThan(1024 * 1024 * 1024);
  });
});
