import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, startLocal } from '../src/local/start-local.ts';
import { fixture } from './helpers/images.ts';
import { ADMIN_KEY, ApiClient, putBytes, testServerConfig } from './helpers/server.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('Request ids', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'imgapi-reqid-'));
  const lines: Record<string, any>[] = [];
  let server: LocalServer;
  let api: ApiClient;

  const linesFor = (reqId: string) => lines.filter((line) => line.reqId === reqId);

  beforeAll(async () => {
    const config = testServerConfig(dataDir);
    // The server's log as JSON lines, kept for the assertions.
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    server = await startLocal(config, logger);
    api = new ApiClient(server.url, ADMIN_KEY);
  });
  afterAll(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('gives each request a new UUID, in x-request-id and on its one log line', async () => {
    const res = await api.get('/images');
    const reqId = res.headers.get('x-request-id') as string;
    expect(reqId).toMatch(UUID);
    expect(linesFor(reqId)).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'request',
        method: 'GET',
        route: '/images',
        path: '/images',
        status: 200,
        ms: expect.any(Number),
      }),
    ]);
    expect((await api.get('/images')).headers.get('x-request-id')).not.toBe(reqId);
  });

  it("keeps the caller's id when it is a token of at most 128 [A-Za-z0-9._-], and replaces any other", async () => {
    for (const id of ['trace.abc-123_X', 'a'.repeat(128), '0']) {
      const res = await api.request('GET', '/images', undefined, { 'x-request-id': id });
      expect(res.headers.get('x-request-id')).toBe(id);
      expect(linesFor(id)).toHaveLength(1);
    }
    for (const id of ['has space', 'a'.repeat(129), 'a<b>', 'x"y', 'ünï', 'a/b']) {
      const res = await api.request('GET', '/images', undefined, { 'x-request-id': id });
      expect(res.headers.get('x-request-id'), id).toMatch(UUID);
      expect(lines.some((line) => line.reqId === id)).toBe(false);
    }
  });

  it('answers errors with the id too: 401, 400, 404, 405, a CORS preflight', async () => {
    const calls = [
      api.withKey(null).get('/images'),
      api.get('/images/not-a-uuid'),
      api.get('/no-such-route'),
      api.request('PATCH', '/images'),
      api.request('OPTIONS', '/images', undefined, {
        origin: 'https://app.example',
        'access-control-request-method': 'GET',
      }),
    ];
    for (const res of await Promise.all(calls)) {
      const reqId = res.headers.get('x-request-id') as string;
      expect(reqId, String(res.status)).toMatch(UUID);
      expect(linesFor(reqId)[0]?.status).toBe(res.status);
    }
  });

  it('puts reqId and imageId on the 500 line, and the id in the answer', async () => {
    const imageId = '6f1f2a52-3c39-4b9e-9a55-0c9e4a7c2d11';
    const repo = server.core.repo;
    const get = repo.get;
    repo.get = async () => {
      throw new Error('disk on fire');
    };
    try {
      const res = await api.request('GET', `/images/${imageId}`, undefined, {
        'x-request-id': 'incident-42',
      });
      expect(res.status).toBe(500);
      expect(res.body.error.code).toBe('INTERNAL_ERROR');
      expect(res.headers.get('x-request-id')).toBe('incident-42');
    } finally {
      repo.get = get;
    }
    const [error, request] = linesFor('incident-42');
    expect(error).toMatchObject({
      level: 50,
      msg: 'unhandled error',
      imageId,
      err: { message: 'disk on fire' },
    });
    expect(request).toMatchObject({ msg: 'request', route: '/images/:imageId', status: 500, imageId });
  });

  it('names the image on upload lines, logs signed URLs without their query, and jobs carry imageId', async () => {
    const created = await api.createUpload();
    const { imageId, uploadUrl } = created.body;
    expect(linesFor(created.headers.get('x-request-id') as string)[0]).toMatchObject({
      route: '/images/upload',
      imageId,
    });
    const put = await putBytes(uploadUrl, fixture('coffee.jpg'), 'image/jpeg');
    expect(put.headers.get('x-request-id')).toMatch(UUID);
    await api.waitFor(imageId);
    const upload = linesFor(put.headers.get('x-request-id') as string)[0];
    expect(upload).toMatchObject({
      route: '/uploads/:imageId',
      path: `/uploads/${imageId}`,
      imageId,
      status: 200,
    });
    const download = await fetch((await api.get(`/images/${imageId}`)).body.downloadUrl);
    await download.arrayBuffer();
    const served = linesFor(download.headers.get('x-request-id') as string)[0];
    expect(served).toMatchObject({ route: '/files/:imageId/:variant', imageId, status: 200 });
    expect(JSON.stringify(lines)).not.toMatch(/signature=|expires=/);
    expect(lines.find((line) => line.msg === 'job finished')).toMatchObject({ imageId, outcome: 'delete' });
  });

  it('logs polled routes (/health, /ready, /metrics) at debug only', async () => {
    const res = await api.get('/health');
    expect(res.headers.get('x-request-id')).toMatch(UUID);
    expect(linesFor(res.headers.get('x-request-id') as string)).toEqual([]);
  });
});
