import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenApiChecker } from './helpers/openapi-checker.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const photo = readFileSync(new URL('./fixtures/chelsea.jpg', import.meta.url));
const MISSING = '00000000-0000-4000-8000-000000000000';

/** Hono's `:param` → OpenAPI's `{param}`. */
const asTemplate = (path: string) => path.replace(/:([A-Za-z]+)/g, '{$1}');

describe('OpenAPI document', () => {
  let server: TestServer;
  let doc: any;
  let checker: OpenApiChecker;

  /** Calls the API and checks the answer against the document before returning it. */
  const call = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    const res = await server.api.request(method, path, body, headers);
    await checker.check(method, path, res);
    return res;
  };
  const raw = async (method: string, url: string, init: RequestInit = {}) => {
    const res = await fetch(url, { ...init, method });
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    const body = type.startsWith('application/json') ? JSON.parse(text) : text;
    const checked = { status: res.status, headers: res.headers, body };
    await checker.check(method, url, checked);
    return checked;
  };

  beforeAll(async () => {
    server = await startTestServer({ MAX_UPLOAD_BYTES: String(photo.length + 10) });
    doc = (await server.api.withKey(null).get('/openapi.json')).body;
    checker = new OpenApiChecker(doc);
  });
  afterAll(() => server.stop());

  it('is a valid OpenAPI 3.1 document with this server in servers', async () => {
    const result = await new Validator().validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: server.url }]);
  });

  it('documents every mounted route, and nothing that is not mounted', () => {
    const mounted = new Set(
      server.app.routes
        .filter((route) => route.method !== 'ALL' && !route.path.includes('*'))
        .map((route) => `${route.method.toLowerCase()} ${asTemplate(route.path)}`),
    );
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, operations]) =>
        Object.keys(operations as object).map((method) => `${method} ${path}`),
      ),
    );
    expect([...mounted].sort()).toEqual([...documented].sort());
    expect(mounted.size).toBeGreaterThanOrEqual(14);
  });

  it('lists the error codes each response can carry', () => {
    const upload = doc.paths['/images/upload'].post.responses;
    expect(Object.keys(upload)).toEqual(
      expect.arrayContaining(['200', '400', '401', '403', '413', '415', '429', '500']),
    );
    expect(upload['400'].content['application/json'].schema.properties.error.properties.code.enum).toEqual([
      'VALIDATION_ERROR',
      'INVALID_JSON',
      'ANALYSIS_NOT_ENABLED',
    ]);
    expect(upload['413'].description).toContain('PAYLOAD_TOO_LARGE');
  });

  it('matches real answers of the image routes, success and error', async () => {
    await call('GET', '/health');
    await call('GET', '/images');
    const created = await call('POST', '/images/upload', { fileName: 'cat.jpg', fileType: 'image/jpeg' });
    const { imageId, uploadUrl } = created.body;
    await call('POST', '/images/upload', { fileName: '', fileType: 'image/gif' });
    await call('POST', '/images/upload', '{"fileName":');
    await call('POST', '/images/upload', { fileName: 'a.jpg', fileType: 'image/jpeg', analysis: ['faces'] });
    await call('POST', '/images/upload', 'fileName=a', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    await call('POST', '/images/upload', JSON.stringify({ pad: 'x'.repeat(100_000) }));

    await raw('PUT', uploadUrl, { body: photo, headers: { 'content-type': 'image/png' } });
    await raw('PUT', uploadUrl.replace(/signature=[^&]+/, 'signature=AAAA'), {
      body: photo,
      headers: { 'content-type': 'image/jpeg' },
    });
    await raw('PUT', uploadUrl, { body: photo, headers: { 'content-type': 'image/jpeg' } });
    await raw('PUT', uploadUrl, { body: photo, headers: { 'content-type': 'image/jpeg' } });

    await call('GET', `/images/${imageId}/status?wait=20`);
    await call('GET', `/images/${imageId}/status?wait=99`);
    const image = await call('GET', `/images/${imageId}`);
    expect(image.body.status).toBe('completed');
    await call('GET', '/images?limit=1');
    await call('GET', '/images?lastEvaluatedKey=garbage');
    await call('GET', `/images/${MISSING}`);
    await call('GET', '/images/not-a-uuid');

    const download = await raw('GET', image.body.downloadUrl);
    await raw('GET', image.body.thumbnails.small, {
      headers: { 'if-none-match': download.headers.get('etag') as string },
    });
    await raw('GET', image.body.webpUrl, { headers: { 'if-none-match': '*' } });
    await raw('GET', image.body.downloadUrl, { headers: { range: 'bytes=0-99' } });
    await raw('GET', image.body.downloadUrl, { headers: { range: `bytes=${photo.length}-` } });
    await raw('GET', image.body.downloadUrl.replace(/signature=[^&]+/, 'signature=AAAA'));

    await call('DELETE', `/images/${imageId}`);
    await call('DELETE', `/images/${imageId}`);
    await raw('GET', image.body.downloadUrl);
    await server.api
      .withKey(null)
      .get('/images')
      .then((res) => checker.check('GET', '/images', res));
    await server.api
      .withKey('sk_wrong')
      .get('/images')
      .then((res) => checker.check('GET', '/images', res));
  });

  it('matches real answers of the admin routes', async () => {
    const key = await call('POST', '/keys', { name: 'client', rateLimit: { rps: 1, burst: 1 } });
    await call('POST', '/keys', { name: '' });
    await call('GET', '/keys');
    const client = server.api.withKey(key.body.apiKey);
    await client.get('/keys').then((res) => checker.check('GET', '/keys', res));
    await client.get('/images').then((res) => checker.check('GET', '/images', res));
    const limited = await client.get('/images');
    expect(limited.status).toBe(429);
    await checker.check('GET', '/images', limited);
    await call('DELETE', `/keys/${key.body.keyId}`);
    await call('DELETE', `/keys/${key.body.keyId}`);
    await call('DELETE', '/keys/admin');
    await call('GET', '/jobs/dead-letters');
    await call('POST', '/jobs/dead-letters/redrive', { ids: [] });
    await call('POST', '/jobs/dead-letters/redrive', { ids: 'all' });
    await call('GET', '/openapi.json');
    await call('GET', '/ready');
    await call('GET', '/metrics');
    await server.api
      .withKey(null)
      .get('/metrics')
      .then((res) => checker.check('GET', '/metrics', res));
    await raw('GET', `${server.url}/docs`);
  });

  it('had every documented status of the image and key routes answered for real at least once', () => {
    for (const expected of [
      'POST /images/upload 200',
      'POST /images/upload 400',
      'POST /images/upload 413',
      'POST /images/upload 415',
      'PUT /uploads/{imageId} 200',
      'PUT /uploads/{imageId} 403',
      'PUT /uploads/{imageId} 409',
      'PUT /uploads/{imageId} 415',
      'GET /files/{imageId}/{variant} 200',
      'GET /files/{imageId}/{variant} 304',
      'GET /files/{imageId}/{variant} 206',
      'GET /files/{imageId}/{variant} 416',
      'GET /files/{imageId}/{variant} 403',
      'GET /files/{imageId}/{variant} 404',
      'GET /images/{imageId} 404',
      'GET /images 401',
      'GET /images 403',
      'GET /images 429',
      'DELETE /keys/{keyId} 409',
    ]) {
      expect(checker.checked).toContain(expected);
    }
  });
});
