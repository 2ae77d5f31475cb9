import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.ts';

const photo = readFileSync(new URL('./fixtures/chelsea.jpg', import.meta.url));
const APP = 'https://app.example.com';

/** A browser's preflight: no key, the method and headers the real request will carry. */
const preflight = (url: string, method: string, headers: string) =>
  fetch(url, {
    method: 'OPTIONS',
    headers: {
      origin: APP,
      'access-control-request-method': method,
      'access-control-request-headers': headers,
    },
  });

describe('CORS (default: any origin)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it('answers the preflight for POST /images/upload without a key', async () => {
    const res = await preflight(`${server.url}/images/upload`, 'POST', 'x-api-key, content-type');
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')?.split(',')).toEqual(
      expect.arrayContaining(['x-api-key', 'content-type']),
    );
    expect(Number(res.headers.get('access-control-max-age'))).toBeGreaterThan(0);
  });

  it('lets a browser read answers, errors included, and the headers clients need', async () => {
    const ok = await fetch(`${server.url}/images`, {
      headers: { origin: APP, 'x-api-key': server.api.apiKey as string },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('*');
    const exposed = ok.headers.get('access-control-expose-headers')?.split(',') ?? [];
    expect(exposed).toEqual(
      expect.arrayContaining(['ETag', 'Retry-After', 'Content-Range', 'Accept-Ranges', 'X-Request-Id']),
    );
    const denied = await fetch(`${server.url}/images`, { headers: { origin: APP } });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('covers the signed upload and download URLs a browser uses directly', async () => {
    const created = await server.api.createUpload('cat.jpg', 'image/jpeg');
    const uploadUrl: string = created.body.uploadUrl;
    const pre = await preflight(uploadUrl, 'PUT', 'content-type');
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-methods')).toContain('PUT');
    const put = await fetch(uploadUrl, {
      method: 'PUT',
      body: photo,
      headers: { origin: APP, 'content-type': 'image/jpeg' },
    });
    expect(put.status).toBe(200);
    expect(put.headers.get('access-control-allow-origin')).toBe('*');

    const image = await server.api.get(`/images/${created.body.imageId}`);
    const download = await fetch(image.body.downloadUrl, { headers: { origin: APP } });
    expect(download.status).toBe(200);
    expect(download.headers.get('access-control-allow-origin')).toBe('*');
    expect(Buffer.from(await download.arrayBuffer()).equals(photo)).toBe(true);
  });
});

describe('CORS_ORIGINS', () => {
  it('allows only the listed origins, and varies on Origin', async () => {
    const server = await startTestServer({ CORS_ORIGINS: APP });
    try {
      const key = server.api.apiKey as string;
      const allowed = await fetch(`${server.url}/images`, { headers: { origin: APP, 'x-api-key': key } });
      expect(allowed.headers.get('access-control-allow-origin')).toBe(APP);
      expect(allowed.headers.get('vary')).toContain('Origin');
      const other = await fetch(`${server.url}/images`, {
        headers: { origin: 'https://evil.example.net', 'x-api-key': key },
      });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await server.stop();
    }
  });

  it('none: no CORS headers at all; a preflight is an unauthenticated request like any other', async () => {
    const server = await startTestServer({ CORS_ORIGINS: 'none' });
    try {
      const res = await preflight(`${server.url}/images/upload`, 'POST', 'x-api-key');
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(res.status).toBe(401);
    } finally {
      await server.stop();
    }
  });
});
