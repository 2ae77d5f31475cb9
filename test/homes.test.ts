import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImageApiClient, ImageApiError } from '../src/client/index.ts';
import { HOMES, type RunningHome } from './helpers/homes.ts';
import { fixture } from './helpers/images.ts';
import { runCommand } from './helpers/run-command.ts';
import { type ApiClient, putBytes } from './helpers/server.ts';

const API_KEY = 'homes-suite-admin-key-0123';
const fixturePath = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * One API, two homes: the same requests get the same JSON from `npm start` and from the
 * Lambda handlers behind `npm run start:aws-local`. Where a home must differ (who refuses a
 * missing key, and how), the test names the difference rather than loosening the check.
 */
describe.each(HOMES)('The API against $name', (home) => {
  let server: RunningHome;
  let admin: ApiClient;
  const onAws = home.aws;

  beforeAll(async () => {
    if (!home.available) return;
    server = await home.start({ API_KEY, ANALYSIS: 'none' });
    admin = server.api;
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
  }, 60_000);

  it.skipIf(!home.available)('gives each key its own images and takes a revoked key away', async () => {
    const created = await admin.request('POST', '/keys', { name: 'tenant-a' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      keyId: expect.any(String),
      apiKey: expect.stringMatching(/^sk_/),
      name: 'tenant-a',
      createdAt: expect.any(String),
    });
    const tenant = admin.withKey(created.body.apiKey);
    // A new key works at once.
    expect((await tenant.get('/images')).body).toEqual({ images: [], count: 0 });

    const photo = await sharp(fixture('coffee.jpg')).resize(96).jpeg().toBuffer();
    const imageId = await tenant.upload(photo, 'image/jpeg', 'mine.jpg');
    expect(imageId).toMatch(UUID);
    expect((await tenant.waitFor(imageId)).status).toBe('completed');
    expect((await tenant.get('/images')).body.count).toBe(1);
    // Another tenant (the admin is one too) neither lists nor reads it.
    expect((await admin.get('/images')).body.images.map((i: { imageId: string }) => i.imageId)).not.toContain(
      imageId,
    );
    const foreign = await admin.get(`/images/${imageId}`);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('NOT_FOUND');

    const listed = await admin.get('/keys');
    expect(listed.status).toBe(200);
    expect(listed.body.keys.map((k: { name: string }) => k.name)).toEqual(
      expect.arrayContaining(['admin', 'tenant-a']),
    );
    expect(JSON.stringify(listed.body)).not.toContain(created.body.apiKey);
    // Only the admin manages keys.
    const notAdmin = await tenant.request('POST', '/keys', { name: 'sneaky' });
    expect(notAdmin.status).toBe(403);
    expect(notAdmin.body.error.code).toBe('ADMIN_REQUIRED');

    const revoked = await admin.request('DELETE', `/keys/${created.body.keyId}`);
    expect(revoked.body).toEqual({ message: 'API key revoked', keyId: created.body.keyId });
    // The gateway reads keys in snapshots of a second (as API Gateway caches them too).
    await expect.poll(async () => (await tenant.get('/images')).status, { timeout: 5000 }).toBe(403);
    expect((await tenant.get('/images')).body.error.code).toBe('INVALID_API_KEY');
    expect((await admin.request('DELETE', `/keys/${created.body.keyId}`)).status).toBe(404);
  });

  it.skipIf(!home.available)('refuses bad requests with the same codes, naming the field', async () => {
    const badType = await admin.request('POST', '/images/upload', {
      fileName: 'x.exe',
      fileType: 'text/plain',
    });
    expect(badType.status).toBe(400);
    expect(badType.body.error.code).toBe('VALIDATION_ERROR');
    expect(badType.body.error.message).toContain('fileType');
    const notJson = await admin.request('POST', '/images/upload', '{nope', {
      'content-type': 'application/json',
    });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.code).toBe('INVALID_JSON');
    const unknown = await admin.get('/images/00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('NOT_FOUND');
    const badCursor = await admin.get('/images?lastEvaluatedKey=garbage');
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.error.message).toContain('lastEvaluatedKey');

    const wrongKey = await admin.withKey('not-a-key-of-ours-0000').get('/images');
    expect(wrongKey.status).toBe(403);
    expect(wrongKey.body.error.code).toBe('INVALID_API_KEY');
    // The one difference: API Gateway answers a missing key as it answers a wrong one.
    const noKey = await admin.withKey(null).get('/images');
    expect([noKey.status, noKey.body.error.code]).toEqual(
      onAws ? [403, 'INVALID_API_KEY'] : [401, 'UNAUTHORIZED'],
    );
  });

  it.skipIf(!home.available)('fails an upload whose bytes are not the image it claims to be', async () => {
    const created = await admin.createUpload('fake.png', 'image/png');
    expect(created.status).toBe(200);
    const put = await putBytes(
      created.body.uploadUrl,
      Buffer.from('MZ this is not a PNG at all'),
      'image/png',
    );
    // Locally the PUT itself refuses; on AWS S3 takes any bytes and completing the upload
    // refuses them: the same check, the same code, met at a different moment.
    if (onAws) {
      expect(put.status).toBe(200);
      const status = await admin.waitFor(created.body.imageId, ['failed']);
      expect(status.error.code).toBe('CONTENT_MISMATCH');
    } else {
      expect(put.status).toBe(415);
      expect(((await put.json()) as { error: { code: string } }).error.code).toBe('CONTENT_MISMATCH');
    }
  });

  it.skipIf(!home.available)(
    'long-polls status until the image completes, with every step reported',
    async () => {
      const photo = await sharp(fixture('coffee.jpg')).resize(200).png().toBuffer();
      // No analysis asked for, whatever the server enables (a deployed stack runs them all).
      const created = await admin.request('POST', '/images/upload', {
        fileName: 'coffee.png',
        fileType: 'image/png',
        analysis: [],
      });
      await putBytes(created.body.uploadUrl, photo, 'image/png');
      // Long polls of 20 s until it is done (at most three): on a busy machine the first may
      // end before the image has.
      const status = () => admin.get(`/images/${created.body.imageId}/status?wait=20`);
      let res = await status();
      const finished = () => ['completed', 'failed'].includes(res.body.status);
      for (let polls = 1; polls < 3 && !finished(); polls++) res = await status();
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        imageId: created.body.imageId,
        status: 'completed',
        progress: 100,
        steps: { thumbnail: 'completed', webp: 'completed', metadata: 'completed', analysis: 'skipped' },
        attempts: 1,
      });
      const image = (await admin.get(`/images/${created.body.imageId}`)).body;
      expect(image).toMatchObject({ fileType: 'image/png', metadata: { width: 200, format: 'png' } });
      for (const url of [image.downloadUrl, image.thumbnails.small, image.webpUrl]) {
        const download = await fetch(url);
        expect(download.status).toBe(200);
        expect((await download.arrayBuffer()).byteLength).toBeGreaterThan(0);
      }
    },
    90_000,
  );

  it.skipIf(!home.available)(
    'serves health, the OpenAPI document and /docs without a key, and dead letters to the admin only',
    async () => {
      const health = await admin.withKey(null).get('/health');
      expect(health.status).toBe(200);
      // The local home adds its checks (storage, log); the AWS home has none to report.
      expect(health.body).toMatchObject({ status: 'ok' });
      const letters = await admin.get('/jobs/dead-letters');
      expect([letters.status, letters.body]).toEqual([200, { deadLetters: [] }]);
      const doc = await admin.withKey(null).get('/openapi.json');
      expect(doc.status).toBe(200);
      expect(doc.body.paths['/images/{imageId}/status']).toBeDefined();
      // The API reference, without a key, every file from the home itself (on AWS: the admin function).
      const page = await admin.withKey(null).get('/docs');
      expect(page.status).toBe(200);
      expect(page.body).toContain('docs/swagger-ui-bundle.js');
      for (const file of ['swagger-ui.css', 'swagger-ui-bundle.js', 'init.js']) {
        const asset = await admin.withKey(null).get(`/docs/${file}`);
        expect(asset.status, file).toBe(200);
      }
      // The favicon is inline (no binary answer through API Gateway).
      expect(page.body).toContain('href="data:image/png;base64,iVBORw0KGgo');
    },
  );

  it.skipIf(!home.available)(
    'works with the typed client: upload by path, waitFor, list pages, download, delete, typed errors',
    async () => {
      const client = createImageApiClient({ baseUrl: admin.baseUrl, apiKey: API_KEY });
      const uploaded = await client.upload(fixturePath('rocket.jpg'), { analysis: [] });
      expect(uploaded).toMatchObject({ fileName: 'rocket.jpg', fileType: 'image/jpeg' });
      expect((await client.waitFor(uploaded.imageId, { timeoutMs: 60_000 })).status).toBe('completed');
      const seen: string[] = [];
      for await (const page of client.list({ limit: 1 })) seen.push(...page.images.map((i) => i.imageId));
      expect(seen).toContain(uploaded.imageId);
      const small = await client.download(uploaded.imageId, 'small');
      expect([...small.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
      await client.delete(uploaded.imageId);
      const error = await client.get(uploaded.imageId).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ImageApiError);
      expect(error).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    },
    90_000,
  );

  it.skipIf(!home.available)(
    'works with the imgapi CLI: upload --wait --json, get, delete',
    async () => {
      const env = { ...process.env, IMGAPI_URL: admin.baseUrl, IMGAPI_KEY: API_KEY };
      const imgapi = (...args: string[]) => runCommand(process.execPath, [CLI, ...args], { env });
      const upload = await imgapi(
        'upload',
        fixturePath('coffee.jpg'),
        '--wait',
        '--json',
        '--analysis',
        'none',
      );
      expect(upload.code, upload.stderr).toBe(0);
      const [result] = JSON.parse(upload.stdout);
      expect(result).toMatchObject({ file: fixturePath('coffee.jpg'), status: 'completed' });
      const got = await imgapi('get', result.imageId, '--json');
      expect(JSON.parse(got.stdout)).toMatchObject({ imageId: result.imageId, fileName: 'coffee.jpg' });
      expect((await imgapi('delete', result.imageId)).code).toBe(0);
      expect((await imgapi('get', result.imageId)).code).toBe(1);
    },
    90_000,
  );
});
