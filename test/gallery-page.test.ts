import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { galleryRoutes } from '../src/http/routes/gallery.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

/** The gallery's page and files over HTTP; what the page does is test/gallery.test.ts. */
describe('GET / (the gallery page)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it('answers the page without an API key, with a CSP that allows only this server', async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html\b/);
    const html = await res.text();
    expect(html).toContain('<script type="module" src="gallery/main.js">');
    expect(html).not.toMatch(/https?:\/\//);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).not.toMatch(/script-src|unsafe-eval|\*/);
    expect(csp).toContain(`img-src 'self' data: blob: ${new URL(server.url).origin}`);
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('serves its script, styles and icon with their types, revalidated by ETag', async () => {
    for (const [path, type] of [
      ['/gallery/main.js', /^text\/javascript\b/],
      ['/gallery/gallery.css', /^text\/css\b/],
      ['/gallery/icon.svg', /^image\/svg\+xml$/],
    ] as const) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toMatch(type);
      await res.arrayBuffer();
      const again = await fetch(`${server.url}${path}`, {
        headers: { 'if-none-match': res.headers.get('etag') as string },
      });
      expect(again.status, path).toBe(304);
    }
    for (const path of ['/gallery/index.ts', '/gallery/../package.json', '/gallery/%2e%2e%2fpackage.json']) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as any).error.code).toBe('NOT_FOUND');
    }
  });

  it('says how to build it when dist/gallery is missing, instead of a bare 500', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'imgapi-no-gallery-'));
    try {
      const app = galleryRoutes(empty, () => 'http://127.0.0.1:1');
      app.onError((error: any, c) =>
        c.json({ error: { code: error.code, message: error.message } }, error.status),
      );
      const res = await app.request('/');
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({
        error: { code: 'GALLERY_NOT_BUILT', message: expect.stringContaining('npm run build') },
      });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
