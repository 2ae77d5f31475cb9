import { existsSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileChangedError } from '../src/core/errors.ts';
import { storageKey } from '../src/core/image.ts';
import { findVariant } from '../src/core/images.ts';
import { fixture, scaledPhoto } from './helpers/images.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

/** The headers every 200, 206 and 304 of a download carries, whatever was asked. */
const FILE_HEADERS = {
  'content-type': 'image/jpeg',
  'accept-ranges': 'bytes',
  'x-content-type-options': 'nosniff',
  'cache-control': 'private, max-age=300',
  'content-security-policy': "default-src 'none'",
};

describe('Signed download URLs: conditional and range requests', () => {
  let server: TestServer;
  let url: string;
  const photo = fixture('chelsea.jpg');
  const size = photo.length;
  let etag: string;
  let lastModified: string;

  beforeAll(async () => {
    server = await startTestServer();
    const imageId = await server.api.upload(photo);
    // Done processing, so nothing writes under the image while the tests read it.
    await server.api.waitFor(imageId, ['completed']);
    url = (await server.api.get(`/images/${imageId}`)).body.downloadUrl;
    const first = await fetch(url);
    await first.arrayBuffer();
    etag = first.headers.get('etag') as string;
    lastModified = first.headers.get('last-modified') as string;
  });
  afterAll(() => server.stop());

  // fetch() adds `Cache-Control: no-cache` to any request with a conditional header, so the
  // 304 cases also prove the server does not let that override If-None-Match.
  async function get(headers: Record<string, string> = {}, method = 'GET') {
    const res = await fetch(url, { method, headers });
    return { res, bytes: Buffer.from(await res.arrayBuffer()) };
  }

  function headersOf(res: Response, names: string[]) {
    return Object.fromEntries(names.map((name) => [name, res.headers.get(name)]));
  }

  function expectWhole({ res, bytes }: { res: Response; bytes: Buffer }) {
    expect(res.status).toBe(200);
    expect(headersOf(res, [...Object.keys(FILE_HEADERS), 'etag', 'content-length', 'content-range'])).toEqual(
      {
        ...FILE_HEADERS,
        etag,
        'content-length': String(size),
        'content-range': null,
      },
    );
    expect(bytes.equals(photo)).toBe(true);
  }

  function expectPart({ res, bytes }: { res: Response; bytes: Buffer }, start: number, end: number) {
    expect(res.status).toBe(206);
    expect(headersOf(res, [...Object.keys(FILE_HEADERS), 'etag', 'content-length', 'content-range'])).toEqual(
      {
        ...FILE_HEADERS,
        etag,
        'content-length': String(end - start + 1),
        'content-range': `bytes ${start}-${end}/${size}`,
      },
    );
    expect(bytes.equals(photo.subarray(start, end + 1))).toBe(true);
  }

  async function expectNotModified(headers: Record<string, string>) {
    const { res, bytes } = await get(headers);
    expect(res.status).toBe(304);
    expect(headersOf(res, [...Object.keys(FILE_HEADERS), 'etag', 'last-modified'])).toEqual({
      ...FILE_HEADERS,
      etag,
      'last-modified': lastModified,
    });
    expect(bytes.length).toBe(0);
  }

  it('serves the whole file with a strong ETag and Accept-Ranges', async () => {
    expect(etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    expect(lastModified).toMatch(/GMT$/);
    expectWhole(await get());
  });

  describe('If-None-Match and If-Modified-Since', () => {
    it('answers 304 for the exact ETag', () => expectNotModified({ 'if-none-match': etag }));

    it('answers 304 for the weak form of the ETag', () =>
      expectNotModified({ 'if-none-match': `W/${etag}` }));

    it('answers 304 for a list that contains the ETag', () =>
      expectNotModified({ 'if-none-match': `"other", ${etag}, W/"third"` }));

    it('answers 304 for *', () => expectNotModified({ 'if-none-match': '*' }));

    it('answers 200 with the whole file for ETags that do not match', async () => {
      expectWhole(await get({ 'if-none-match': '"other", W/"third"' }));
    });

    it('answers 304 for If-Modified-Since at Last-Modified, 200 for an earlier date', async () => {
      await expectNotModified({ 'if-modified-since': lastModified });
      const earlier = new Date(Date.parse(lastModified) - 1000).toUTCString();
      expectWhole(await get({ 'if-modified-since': earlier }));
    });

    it('lets a non-matching If-None-Match override a matching If-Modified-Since', async () => {
      expectWhole(await get({ 'if-none-match': '"other"', 'if-modified-since': lastModified }));
    });
  });

  describe('Range', () => {
    it('answers bytes=0-99 with 206 and exactly the first 100 bytes', async () => {
      expectPart(await get({ range: 'bytes=0-99' }), 0, 99);
    });

    it('answers a suffix range with the last bytes', async () => {
      expectPart(await get({ range: 'bytes=-10' }), size - 10, size - 1);
    });

    it('answers an open range up to the end', async () => {
      expectPart(await get({ range: 'bytes=100-' }), 100, size - 1);
    });

    it('clamps an end past the file to its last byte', async () => {
      expectPart(await get({ range: `bytes=${size - 5}-${size + 1000}` }), size - 5, size - 1);
    });

    it('combines overlapping ranges into one part', async () => {
      expectPart(await get({ range: 'bytes=0-49,20-99' }), 0, 99);
    });

    it('answers 416 for reversed bounds (bytes=50-20), as range-parser 1.x and Express do', async () => {
      const { res } = await get({ range: 'bytes=50-20' });
      expect(res.status).toBe(416);
      expect(res.headers.get('content-range')).toBe(`bytes */${size}`);
    });

    it('answers 416 with Content-Range */size for a range past the end', async () => {
      const { res, bytes } = await get({ range: `bytes=${size + 5000}-` });
      expect(res.status).toBe(416);
      expect(headersOf(res, ['content-type', 'content-range'])).toEqual({
        'content-type': 'application/json',
        'content-range': `bytes */${size}`,
      });
      expect(JSON.parse(bytes.toString())).toEqual({
        error: {
          code: 'RANGE_NOT_SATISFIABLE',
          message: `Range: no requested range starts within the file's ${size} bytes`,
        },
      });
    });

    it('ignores a malformed Range or another unit and sends the whole file', async () => {
      for (const range of ['bytes=abc', 'bytes=0-99,x-', 'items=0-5', '0-99']) {
        expectWhole(await get({ range }));
      }
    });

    it('sends the whole file for ranges that stay apart after combining', async () => {
      expectWhole(await get({ range: 'bytes=0-9,200-209' }));
    });

    it('answers 304 before looking at Range when the client has the file', async () => {
      await expectNotModified({ 'if-none-match': etag, range: 'bytes=0-99' });
    });
  });

  describe('If-Range', () => {
    it('honours Range for the current ETag or Last-Modified', async () => {
      expectPart(await get({ range: 'bytes=0-99', 'if-range': etag }), 0, 99);
      expectPart(await get({ range: 'bytes=0-99', 'if-range': lastModified }), 0, 99);
    });

    it('sends the whole file for another version, a weak tag or another date', async () => {
      const earlier = new Date(Date.parse(lastModified) - 1000).toUTCString();
      for (const ifRange of ['"other"', `W/${etag}`, earlier, 'not a date']) {
        expectWhole(await get({ range: 'bytes=0-99', 'if-range': ifRange }));
      }
    });
  });

  describe('HEAD', () => {
    it('answers like GET without a body', async () => {
      const whole = await get({}, 'HEAD');
      expect(whole.res.status).toBe(200);
      expect(headersOf(whole.res, [...Object.keys(FILE_HEADERS), 'etag', 'content-length'])).toEqual({
        ...FILE_HEADERS,
        etag,
        'content-length': String(size),
      });
      expect(whole.bytes.length).toBe(0);

      const part = await get({ range: 'bytes=0-99' }, 'HEAD');
      expect(part.res.status).toBe(206);
      expect(headersOf(part.res, ['content-length', 'content-range'])).toEqual({
        'content-length': '100',
        'content-range': `bytes 0-99/${size}`,
      });
      expect(part.bytes.length).toBe(0);

      expect((await get({ 'if-none-match': etag }, 'HEAD')).res.status).toBe(304);
      expect((await get({ range: `bytes=${size}-` }, 'HEAD')).res.status).toBe(416);
    });
  });

  // The server runs in this process, so its open files show in /proc/self/fd (Linux only).
  // The file is bigger than a stream's buffer: a small one is read to its end, and closed,
  // even when nobody consumes the body.
  it.skipIf(!existsSync('/proc/self/fd'))('leaves no file open for HEAD, 304 or 416', async () => {
    const big = await scaledPhoto(1600, 1600, 100);
    expect(big.length).toBeGreaterThan(512 * 1024);
    const imageId = await server.api.upload(big);
    await server.api.waitFor(imageId, ['completed']);
    const bigUrl = (await server.api.get(`/images/${imageId}`)).body.downloadUrl;
    const bigEtag = (await fetch(bigUrl, { method: 'HEAD' })).headers.get('etag') as string;
    const openFiles = () => readdirSync('/proc/self/fd').length;
    const before = openFiles();
    for (let i = 0; i < 20; i++) {
      await fetch(bigUrl, { method: 'HEAD' });
      await fetch(bigUrl, { headers: { 'if-none-match': bigEtag } });
      await (await fetch(bigUrl, { headers: { range: `bytes=${big.length}-` } })).arrayBuffer();
    }
    expect(openFiles() - before).toBeLessThan(10);
  });

  it('refuses to stream a file replaced after its headers were decided', async () => {
    const imageId = await server.api.upload(photo);
    await server.api.waitFor(imageId, ['completed']);
    const file = await findVariant(server.core, imageId, 'original');
    expect(file.size).toBe(size);
    const { tenant } = (await server.core.repo.getById(imageId)) as { tenant: string };
    await server.core.blobs.write(storageKey(tenant, imageId, 'original'), photo.subarray(0, 100));
    await expect(file.open({ start: 0, end: 99 })).rejects.toBeInstanceOf(FileChangedError);
  });
});
