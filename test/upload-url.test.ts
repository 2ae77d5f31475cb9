import { readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, scaledPhoto } from './helpers/images.ts';
import { putBytes, startTestServer, streamPut, type TestServer } from './helpers/server.ts';

/** Retries for up to 10 s: the server notices a dropped connection a moment after the client. */
async function waitForStatus(send: () => Promise<Response>, want: number): Promise<number> {
  const deadline = Date.now() + 10_000;
  let status = (await send()).status;
  while (status !== want && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    status = (await send()).status;
  }
  return status;
}

async function errorOf(res: Response) {
  return {
    status: res.status,
    ...((await res.json()) as { error: { code: string; message: string } }).error,
  };
}

describe('Signed upload URLs', () => {
  let server: TestServer;
  const photo = fixture('coffee.jpg');
  beforeAll(async () => {
    server = await startTestServer({ MAX_UPLOAD_BYTES: String(200 * 1024) });
  });
  afterAll(() => server.stop());

  async function newUpload(fileType = 'image/jpeg') {
    const res = await server.api.createUpload('photo', fileType);
    return res.body as { imageId: string; uploadUrl: string };
  }

  it('rejects a tampered signature with 403 and keeps the URL usable', async () => {
    const { imageId, uploadUrl } = await newUpload();
    const tampered = uploadUrl.replace(/signature=(.)/, (_m, c) => `signature=${c === 'A' ? 'B' : 'A'}`);
    expect(await errorOf(await putBytes(tampered, photo, 'image/jpeg'))).toMatchObject({
      status: 403,
      code: 'INVALID_SIGNATURE',
    });
    const otherImage = uploadUrl.replace(imageId, (await newUpload()).imageId);
    expect((await putBytes(otherImage, photo, 'image/jpeg')).status).toBe(403);
    const longer = uploadUrl.replace(/expires=(\d+)/, (_m, e) => `expires=${Number(e) + 3600}`);
    expect((await putBytes(longer, photo, 'image/jpeg')).status).toBe(403);
    expect((await putBytes(uploadUrl.split('?')[0] as string, photo, 'image/jpeg')).status).toBe(403);
    expect((await putBytes(uploadUrl, photo, 'image/jpeg')).status).toBe(200);
  });

  it('rejects an expired URL with 403', async () => {
    const { imageId } = await newUpload();
    const past = Math.floor(Date.now() / 1000) - 1;
    const expired = server.signedUrls.uploadUrl(imageId, past);
    expect(await errorOf(await putBytes(expired, photo, 'image/jpeg'))).toMatchObject({
      status: 403,
      code: 'EXPIRED_SIGNATURE',
      message: expect.stringContaining('expires'),
    });
  });

  it('accepts exactly one upload: a second PUT is 409', async () => {
    const { imageId, uploadUrl } = await newUpload();
    expect((await putBytes(uploadUrl, photo, 'image/jpeg')).status).toBe(200);
    expect(await errorOf(await putBytes(uploadUrl, photo, 'image/jpeg'))).toMatchObject({
      status: 409,
      code: 'UPLOAD_URL_USED',
    });
    await server.api.waitFor(imageId);
  });

  it('lets only one of two concurrent PUTs win', async () => {
    const { uploadUrl } = await newUpload();
    const results = await Promise.all([1, 2, 3].map(() => putBytes(uploadUrl, photo, 'image/jpeg')));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409, 409]);
  });

  it('answers 415 when Content-Type differs from the signed type', async () => {
    const { imageId, uploadUrl } = await newUpload('image/png');
    expect(await errorOf(await putBytes(uploadUrl, photo, 'image/jpeg'))).toMatchObject({
      status: 415,
      code: 'CONTENT_TYPE_MISMATCH',
      message: expect.stringContaining('Content-Type'),
    });
    expect((await server.api.get(`/images/${imageId}/status`)).body.status).toBe('pending');
  });

  it('answers 415 when the bytes are not the declared type, and stores nothing', async () => {
    const { imageId, uploadUrl } = await newUpload('image/jpeg');
    const html = Buffer.from('<html><script>alert(1)</script></html>'.repeat(10));
    expect(await errorOf(await putBytes(uploadUrl, html, 'image/jpeg'))).toMatchObject({
      status: 415,
      code: 'CONTENT_MISMATCH',
      message: expect.stringContaining('body'),
    });
    const png = await scaledPhoto(40, 40).then((b) => b);
    expect((await putBytes(uploadUrl, png, 'image/jpeg')).status).toBe(200);
    await server.api.waitFor(imageId);
  });

  it('answers 400 for an empty body', async () => {
    const { uploadUrl } = await newUpload();
    expect(await errorOf(await putBytes(uploadUrl, Buffer.alloc(0), 'image/jpeg'))).toMatchObject({
      status: 400,
      code: 'EMPTY_UPLOAD',
    });
  });

  it('answers 413 for a body over MAX_UPLOAD_BYTES, declared or streamed', async () => {
    const { uploadUrl } = await newUpload();
    const big = await scaledPhoto(1600, 1600, 100);
    expect(big.length).toBeGreaterThan(200 * 1024);
    expect(await errorOf(await putBytes(uploadUrl, big, 'image/jpeg'))).toMatchObject({
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    });

    // Without Content-Length the limit is enforced while streaming.
    const streamed = await streamPut(uploadUrl, big, 'image/jpeg');
    expect(streamed.status).toBe(413);
    expect(streamed.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await putBytes(uploadUrl, photo, 'image/jpeg')).status).toBe(200);
  });

  it('releases the URL when the client disconnects mid-upload, leaving no file behind', async () => {
    const { imageId, uploadUrl } = await newUpload();
    await new Promise<void>((resolve) => {
      const req = request(uploadUrl, {
        method: 'PUT',
        headers: { 'content-type': 'image/jpeg', 'content-length': String(photo.length) },
      });
      req.on('error', () => {});
      req.on('close', () => resolve());
      // Half the bytes, then the connection drops.
      req.write(photo.subarray(0, photo.length / 2), () => setTimeout(() => req.destroy(), 50));
    });
    // The claim is released as the transfer dies, so the same URL works again at once.
    const retry = await waitForStatus(() => putBytes(uploadUrl, photo, 'image/jpeg'), 200);
    expect(retry).toBe(200);
    expect((await server.api.waitFor(imageId, ['completed'])).status).toBe('completed');
    // The dropped transfer's temp file goes as its stream is torn down, which on a loaded
    // machine can come after the retry has finished.
    await expect.poll(() => readdirSync(join(server.dataDir, 'files', '.tmp'))).toEqual([]);
  });

  it('answers 404 for an upload URL whose image was deleted', async () => {
    const { imageId, uploadUrl } = await newUpload();
    expect((await server.api.request('DELETE', `/images/${imageId}`)).status).toBe(200);
    expect((await putBytes(uploadUrl, photo, 'image/jpeg')).status).toBe(404);
  });
});
