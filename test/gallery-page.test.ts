import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleError } from '../src/http/errors.ts';
import { createRouter } from '../src/http/router.ts';
import { galleryRoutes } from '../src/http/routes/gallery.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

/** GET `path` exactly as written, no normalising of dots. */
function rawGet(base: string, path: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    request(new URL(base), { path, method: 'GET' }, (res) => {
      let text = '';
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    })
      .on('error', reject)
      .end();
  });
}

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
    expect(csp).toContain("style-src 'self';");
    expect(csp).toContain("form-action 'none'");
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
    // Sent as written (fetch would resolve the dots before sending; the server resolves plain
    // ones itself, so /gallery/../x is /x): the route itself refuses each.
    for (const path of [
      '/gallery/index.ts',
      '/gallery/index.html',
      '/gallery/%2e%2e%2fpackage.json',
      '/gallery/..%2f..%2fpackage.json',
      '/gallery/__proto__',
    ]) {
      const res = await rawGet(server.url, path);
      expect(res.status, path).toBe(404);
      expect(res.body.error.code, path).toBe('NOT_FOUND');
      expect(res.body.error.message, path).toMatch(/^No such file in the gallery: /);
    }
  });

  it('says how to build it when dist/gallery is missing, instead of a bare 500', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'imgapi-no-gallery-'));
    try {
      // The API's own error handler, as createApp installs it.
      const app = createRouter();
      app.onError(handleError(pino({ level: 'silent' }), () => {}));
      app.route(
        '/',
        galleryRoutes(empty, () => 'http://127.0.0.1:1'),
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
