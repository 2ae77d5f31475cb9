import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createImageApiClient,
  type ImageApiClient,
  ImageApiError,
  ImageApiTimeoutError,
} from '../src/client/index.ts';
import { ADMIN_KEY, type SpawnedServer, startSpawnedServer } from './helpers/spawned-server.ts';

const fixturePath = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Rejects with what `promise` threw, failing if it did not throw. */
async function thrown(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('createImageApiClient, against the real server', () => {
  let server: SpawnedServer;
  let client: ImageApiClient;

  beforeAll(async () => {
    server = await startSpawnedServer();
    client = createImageApiClient({ baseUrl: server.url, apiKey: ADMIN_KEY });
  });
  afterAll(() => server?.stop());

  describe('Method: upload', () => {
    it('uploads a file by path, named and typed after it, and waitFor sees it completed', async () => {
      const uploaded = await client.upload(fixturePath('chelsea.jpg'));
      expect(uploaded).toMatchObject({ fileName: 'chelsea.jpg', fileType: 'image/jpeg', size: 27473 });
      const status = await client.waitFor(uploaded.imageId, { timeoutMs: 20_000 });
      expect(status).toMatchObject({ imageId: uploaded.imageId, status: 'completed', progress: 100 });
    });

    it('uploads a Buffer, taking the type from its magic number', async () => {
      const bytes = await readFile(fixturePath('page.png'));
      const uploaded = await client.upload(bytes);
      expect(uploaded).toMatchObject({ fileName: 'upload.png', fileType: 'image/png', size: bytes.length });
      expect((await client.waitFor(uploaded.imageId)).status).toBe('completed');
      expect((await client.get(uploaded.imageId)).metadata).toMatchObject({ format: 'png' });
    });

    it('uploads a File with its name, and the analyses asked for', async () => {
      const file = new File([await readFile(fixturePath('coffee.jpg'))], 'cup.jpg');
      const uploaded = await client.upload(file, { analysis: [] });
      expect(uploaded).toMatchObject({ fileName: 'cup.jpg', fileType: 'image/jpeg' });
      const status = await client.waitFor(uploaded.imageId);
      expect(status.steps).toMatchObject({ thumbnail: 'completed', analysis: 'skipped' });
    });

    it('sends x-api-key to the API but not to the signed upload URL', async () => {
      const seen: { method: string; url: string; key: string | null }[] = [];
      const recording = createImageApiClient({
        baseUrl: server.url,
        apiKey: ADMIN_KEY,
        fetch: (request) => {
          seen.push({ method: request.method, url: request.url, key: request.headers.get('x-api-key') });
          return fetch(request);
        },
      });
      await recording.upload(new Blob([await readFile(fixturePath('rocket.jpg'))]), { fileName: 'r.jpg' });
      expect(seen).toEqual([
        { method: 'POST', url: `${server.url}/images/upload`, key: ADMIN_KEY },
        { method: 'PUT', url: expect.stringContaining(`${server.url}/uploads/`), key: null },
      ]);
    });

    it('refuses bytes of no known image type before calling the API', async () => {
      const error = await thrown(client.upload(new Uint8Array([1, 2, 3, 4])));
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toMatch(/^fileType: cannot tell the image type/);
    });
  });

  describe('Method: list', () => {
    it('iterates page after page, following lastEvaluatedKey to the last page', async () => {
      const photo = await readFile(fixturePath('chelsea.jpg'));
      const extra = await Promise.all([1, 2, 3].map(() => client.upload(photo)));
      for (const { imageId } of extra) await client.waitFor(imageId);
      const pages = [];
      for await (const page of client.list({ limit: 2 })) pages.push(page);
      const ids = pages.flatMap((page) => page.images.map((image) => image.imageId));
      // Three more here plus the four of the upload tests: 7 images, 4 pages of at most 2.
      expect(ids).toHaveLength(7);
      expect(new Set(ids).size).toBe(7);
      expect(ids).toEqual(expect.arrayContaining(extra.map((upload) => upload.imageId)));
      expect(pages.map((page) => page.count)).toEqual([2, 2, 2, 1]);
      expect(pages.at(-1)?.lastEvaluatedKey).toBeUndefined();
    });

    it('passes the filters on to every page', async () => {
      const { data } = await client.raw.POST('/images/upload', {
        body: { fileName: 'pending.jpg', fileType: 'image/jpeg' },
      });
      const pages = [];
      for await (const page of client.list({ limit: 3, status: 'pending' })) pages.push(page);
      expect(pages.flatMap((page) => page.images.map((image) => image.imageId))).toEqual([data?.imageId]);
      const completed = [];
      for await (const page of client.list({ limit: 3, status: 'completed' })) completed.push(...page.images);
      expect(completed).toHaveLength(7);
      await client.delete(data?.imageId as string);
    });
  });

  describe('Methods: get, status, download, delete', () => {
    it('reads an image, downloads its variants as bytes, and deletes it', async () => {
      const { imageId } = await client.upload(fixturePath('coffee.jpg'));
      await client.waitFor(imageId);
      const image = await client.get(imageId);
      expect(image).toMatchObject({ imageId, status: 'completed', metadata: { width: 600, height: 400 } });
      expect((await client.status(imageId)).status).toBe('completed');

      const original = await client.download(imageId);
      expect(Buffer.from(original).equals(await readFile(fixturePath('coffee.jpg')))).toBe(true);
      const small = await client.download(image, 'small');
      expect([...small.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
      const webp = await client.download(image, 'webp');
      expect(Buffer.from(webp.subarray(8, 12)).toString('ascii')).toBe('WEBP');

      expect(await client.delete(imageId)).toEqual({ message: 'Image deleted successfully', imageId });
      const gone = await thrown(client.get(imageId));
      expect(gone).toBeInstanceOf(ImageApiError);
      expect(gone).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    });
  });

  describe('Errors', () => {
    it('throws ImageApiError with the status, code and message of the answer', async () => {
      const error = await thrown(client.get('00000000-0000-4000-8000-000000000000'));
      expect(error).toBeInstanceOf(ImageApiError);
      expect(error).toMatchObject({
        name: 'ImageApiError',
        status: 404,
        code: 'NOT_FOUND',
        message: expect.stringContaining('not found'),
      });
      expect(await thrown(client.status('not-a-uuid'))).toMatchObject({
        status: 400,
        code: 'VALIDATION_ERROR',
      });
    });

    it('says INVALID_API_KEY (403) for an unknown key and UNAUTHORIZED (401) for none', async () => {
      const badKey = createImageApiClient({ baseUrl: server.url, apiKey: 'not-a-key-0123456789' });
      expect(await thrown(badKey.list().next())).toMatchObject({ status: 403, code: 'INVALID_API_KEY' });
      const noKey = createImageApiClient({ baseUrl: server.url, apiKey: '' });
      expect(await thrown(noKey.list().next())).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    });

    it('waitFor gives up with ImageApiTimeoutError on an image that never arrives', async () => {
      const { data } = await client.raw.POST('/images/upload', {
        body: { fileName: 'never.jpg', fileType: 'image/jpeg' },
      });
      const imageId = data?.imageId as string;
      const error = await thrown(client.waitFor(imageId, { timeoutMs: 1500 }));
      expect(error).toBeInstanceOf(ImageApiTimeoutError);
      expect(error).toMatchObject({ imageId, lastStatus: { status: 'pending' } });
    });
  });
});

describe('serverless-image-api/client (the package export)', () => {
  it('resolves to the compiled client in dist/ with its declarations', async () => {
    const script =
      "const m = await import('serverless-image-api/client'); console.log(typeof m.createImageApiClient, typeof m.ImageApiError);";
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
    });
    expect(stdout.trim()).toBe('function function');
    const declarations = await readFile(`${ROOT}/dist/client/index.d.ts`, 'utf8');
    expect(declarations).toContain('export declare function createImageApiClient');
  });
});
