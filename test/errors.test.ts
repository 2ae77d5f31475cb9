import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.ts';

describe('Error responses', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  const expectError = (
    res: { status: number; body: any },
    status: number,
    code: string,
    mentions?: string,
  ) => {
    expect(res.status).toBe(status);
    expect(Object.keys(res.body)).toEqual(['error']);
    expect(res.body.error).toEqual({ code, message: expect.any(String) });
    if (mentions) expect(res.body.error.message).toContain(mentions);
  };

  it('401 without x-api-key on every /images route', async () => {
    const anon = server.api.withKey(null);
    const id = '00000000-0000-4000-8000-000000000000';
    for (const [method, path] of [
      ['GET', '/images'],
      ['POST', '/images/upload'],
      ['GET', `/images/${id}`],
      ['GET', `/images/${id}/status`],
      ['DELETE', `/images/${id}`],
      ['GET', '/keys'],
    ] as const) {
      expectError(await anon.request(method, path), 401, 'UNAUTHORIZED', 'x-api-key');
    }
  });

  it('403 for an unknown key', async () => {
    expectError(await server.api.withKey('sk_not-a-real-key').get('/images'), 403, 'INVALID_API_KEY');
    expectError(await server.api.withKey('x'.repeat(10_000)).get('/images'), 403, 'INVALID_API_KEY');
  });

  it('400 naming the field for each invalid upload request', async () => {
    const cases: Array<[unknown, string]> = [
      [{ fileType: 'image/jpeg' }, 'fileName'],
      [{ fileName: '', fileType: 'image/jpeg' }, 'fileName'],
      [{ fileName: 'a'.repeat(256), fileType: 'image/jpeg' }, 'fileName'],
      [{ fileName: 'a\u0000b.jpg', fileType: 'image/jpeg' }, 'fileName'],
      [{ fileName: 'evil\u202egpj.exe', fileType: 'image/jpeg' }, 'fileName'],
      [{ fileName: 42, fileType: 'image/jpeg' }, 'fileName'],
      [{ fileName: 'a.svg', fileType: 'image/svg+xml' }, 'fileType'],
      [{ fileName: 'a.jpg' }, 'fileType'],
      [[], 'body'],
    ];
    for (const [body, field] of cases) {
      expectError(await server.api.request('POST', '/images/upload', body), 400, 'VALIDATION_ERROR', field);
    }
  });

  it('keeps a file name with ../ as harmless metadata', async () => {
    const res = await server.api.createUpload('../../etc/passwd', 'image/jpeg');
    expect(res.status).toBe(200);
    expect(res.body.uploadUrl).not.toContain('passwd');
    expect((await server.api.get(`/images/${res.body.imageId}`)).body.fileName).toBe('../../etc/passwd');
  });

  it('400 for an analysis the server does not run (this one runs none), and for a bad analysis list', async () => {
    const upload = (analysis: unknown) =>
      server.api.request('POST', '/images/upload', { fileName: 'a.jpg', fileType: 'image/jpeg', analysis });
    expectError(await upload(['faces']), 400, 'ANALYSIS_NOT_ENABLED', 'analysis: faces is not enabled');
    expectError(await upload('faces'), 400, 'VALIDATION_ERROR', 'analysis');
    expectError(await upload([42]), 400, 'VALIDATION_ERROR', 'analysis.0');
    expect((await upload([])).status).toBe(200);
  });

  it('400 for a body that is not JSON', async () => {
    expectError(
      await server.api.request('POST', '/images/upload', '{"fileName":'),
      400,
      'INVALID_JSON',
      'body',
    );
  });

  it('415 naming Content-Type for a form, multipart, text or untyped body', async () => {
    const body = 'fileName=a.jpg&fileType=image%2Fjpeg';
    for (const type of [
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'text/plain',
    ]) {
      const res = await server.api.request('POST', '/images/upload', body, { 'content-type': type });
      expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type: expected application/json');
      expect(res.body.error.message).toContain(type);
    }
    const untyped = await fetch(`${server.url}/images/upload`, {
      method: 'POST',
      headers: { 'x-api-key': server.api.apiKey as string },
      body: new Blob(['{"fileName":"a.jpg","fileType":"image/jpeg"}']),
    });
    expectError({ status: untyped.status, body: await untyped.json() }, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('405 with Allow for a method a path does not support', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    for (const [method, path, allow] of [
      ['GET', '/images/upload', 'POST'],
      ['DELETE', '/images/upload', 'POST'],
      ['PUT', '/images', 'GET, HEAD'],
      ['POST', `/images/${id}`, 'GET, HEAD, DELETE'],
      ['DELETE', `/images/${id}/status`, 'GET, HEAD'],
      ['PUT', '/keys', 'POST, GET, HEAD'],
      ['GET', '/jobs/dead-letters/redrive', 'POST'],
      ['GET', `/uploads/${id}`, 'PUT'],
      ['POST', '/health', 'GET, HEAD'],
    ] as const) {
      const res = await server.api.request(method, path);
      expectError(res, 405, 'METHOD_NOT_ALLOWED', `use ${allow.split(', ')[0]}`);
      expect(res.headers.get('allow')).toBe(allow);
    }
    expectError(await server.api.get('/no/such/route'), 404, 'NOT_FOUND');
  });

  it('403 ADMIN_REQUIRED saying what a non-admin key may not do', async () => {
    const created = await server.api.request('POST', '/keys', { name: 'plain' });
    const plain = server.api.withKey(created.body.apiKey);
    expectError(await plain.get('/keys'), 403, 'ADMIN_REQUIRED', 'Only an admin key may manage API keys');
    expectError(
      await plain.get('/jobs/dead-letters'),
      403,
      'ADMIN_REQUIRED',
      'Only an admin key may manage jobs and dead letters',
    );
  });

  it('413 for a huge JSON body', async () => {
    const huge = JSON.stringify({ fileName: 'a.jpg', fileType: 'image/jpeg', pad: 'x'.repeat(200_000) });
    expectError(await server.api.request('POST', '/images/upload', huge), 413, 'PAYLOAD_TOO_LARGE', 'body');
  });

  it('400 for a deeply nested JSON body', async () => {
    const nested = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    expectError(await server.api.request('POST', '/images/upload', nested), 400, 'VALIDATION_ERROR');
  });

  it('400 for bad list parameters, naming them', async () => {
    expectError(await server.api.get('/images?limit=0'), 400, 'VALIDATION_ERROR', 'limit');
    expectError(await server.api.get('/images?limit=101'), 400, 'VALIDATION_ERROR', 'limit');
    expectError(await server.api.get('/images?limit=ten'), 400, 'VALIDATION_ERROR', 'limit');
    expectError(await server.api.get('/images?status=done'), 400, 'VALIDATION_ERROR', 'status');
    expectError(
      await server.api.get('/images?lastEvaluatedKey=garbage!'),
      400,
      'INVALID_CURSOR',
      'lastEvaluatedKey',
    );
    const forged = Buffer.from('{"a":1}').toString('base64url');
    expectError(
      await server.api.get(`/images?lastEvaluatedKey=${forged}`),
      400,
      'INVALID_CURSOR',
      'lastEvaluatedKey',
    );
  });

  it('400 for a malformed image id, 404 for an unknown one', async () => {
    expectError(await server.api.get('/images/not-a-uuid'), 400, 'VALIDATION_ERROR', 'imageId');
    expectError(await server.api.get('/images/00000000-0000-4000-8000-000000000000'), 404, 'NOT_FOUND');
    expectError(await server.api.get('/nowhere'), 404, 'NOT_FOUND');
  });

  it('403 for a signed file URL with a bad signature, 404 for an unknown variant', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const res = await fetch(`${server.url}/files/${id}/original?expires=9999999999&signature=abc`);
    expect(res.status).toBe(403);
    expect((await fetch(`${server.url}/files/${id}/secrets?expires=1&signature=abc`)).status).toBe(404);
  });
});

describe('Rate limits and quotas', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it('answers 429 with Retry-After once a key exceeds its token bucket', async () => {
    const created = await server.api.request('POST', '/keys', {
      name: 'slow',
      rateLimit: { rps: 1, burst: 3 },
    });
    const slow = server.api.withKey(created.body.apiKey);
    // Six at once, so that they all land within the second a new token takes to come.
    const answers = await Promise.all(Array.from({ length: 6 }, () => slow.get('/images')));
    expect(answers.map((res) => res.status).sort()).toEqual([200, 200, 200, 429, 429, 429]);
    const limited = answers.find((res) => res.status === 429) as (typeof answers)[number];
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Other keys are unaffected.
    expect((await server.api.get('/images')).status).toBe(200);
  });

  it('answers 429 QUOTA_EXCEEDED past the daily quota', async () => {
    const created = await server.api.request('POST', '/keys', { name: 'metered', dailyQuota: 2 });
    const metered = server.api.withKey(created.body.apiKey);
    expect((await metered.get('/images')).status).toBe(200);
    expect((await metered.get('/images')).status).toBe(200);
    const over = await metered.get('/images');
    expect(over.status).toBe(429);
    expect(over.body.error.code).toBe('QUOTA_EXCEEDED');
    const retryAfter = Number(over.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
  });
});
