import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.ts';

/** Every src/href in the page, resolved against the page's own URL as a browser would. */
function referencedUrls(html: string, pageUrl: string): URL[] {
  return [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)]
    .map((match) => new URL(match[1] as string, pageUrl))
    .filter((url) => url.protocol !== 'data:');
}

const TYPES: Record<string, RegExp> = {
  css: /^text\/css\b/,
  js: /^text\/javascript\b/,
  png: /^image\/png$/,
};

describe('GET /docs', () => {
  let server: TestServer;
  let pageUrl: string;
  let html: string;
  let page: Response;

  beforeAll(async () => {
    server = await startTestServer();
    pageUrl = `${server.url}/docs`;
    // No x-api-key: the reference is public, like /openapi.json.
    page = await fetch(pageUrl);
    html = await page.text();
  });
  afterAll(() => server.stop());

  it('answers an HTML page without an API key', () => {
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html\b/);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(html).toContain('<div id="swagger-ui">');
  });

  it('references no other origin: every asset is served by this server, 200, with its type', async () => {
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
    const urls = referencedUrls(html, pageUrl);
    expect(urls.map((u) => u.pathname).sort()).toEqual([
      '/docs/init.js',
      '/docs/swagger-ui-bundle.js',
      '/docs/swagger-ui.css',
    ]);
    for (const url of urls) {
      expect(url.origin).toBe(new URL(server.url).origin);
      const res = await fetch(url);
      const body = Buffer.from(await res.arrayBuffer());
      expect(res.status, url.pathname).toBe(200);
      expect(body.length, url.pathname).toBeGreaterThan(0);
      const extension = url.pathname.split('.').pop() as string;
      expect(res.headers.get('content-type'), url.pathname).toMatch(TYPES[extension] as RegExp);
    }
  });

  it("forbids other origins in the page's CSP, but for the API's own server", () => {
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    // No script-src: default-src 'self' governs scripts, so no inline or eval'd code runs.
    expect(csp).not.toMatch(/script-src|unsafe-eval|\*/);
    expect(csp).toContain(`connect-src 'self' ${new URL(server.url).origin}`);
  });

  it('starts Swagger UI on our own /openapi.json, with no validator or CDN', async () => {
    const init = await (await fetch(`${server.url}/docs/init.js`)).text();
    expect(init).toContain("new URL('openapi.json', document.baseURI)");
    expect(init).toContain('validatorUrl: null');
    expect(init).not.toMatch(/https?:\/\//);
    const document = await fetch(new URL('openapi.json', pageUrl));
    expect(document.status).toBe(200);
    expect(((await document.json()) as any).paths['/docs'].get.summary).toMatch(/API reference/);
  });

  it('revalidates assets by ETag (304) and serves nothing but its own files', async () => {
    const first = await fetch(`${server.url}/docs/swagger-ui.css`);
    await first.arrayBuffer();
    const etag = first.headers.get('etag') as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await fetch(`${server.url}/docs/swagger-ui.css`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    for (const path of [
      '/docs/index.html',
      '/docs/swagger-ui-bundle.js.map',
      '/docs/package.json',
      '/docs/%2e%2e%2fpackage.json',
      '/docs/..%2f..%2fpackage.json',
    ]) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as any).error.code).toBe('NOT_FOUND');
    }
  });
});
