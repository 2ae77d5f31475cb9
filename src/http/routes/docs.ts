import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRoute, z } from '@hono/zod-openapi';
import type { Env } from 'hono';
import { NotFoundError } from '../../core/errors.ts';
import { createRouter } from '../router.ts';

/**
 * The files of swagger-ui-dist the page loads, with their types: a fixed list, so nothing
 * else in that folder (or outside it) can be asked for.
 */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

/**
 * Our own start script, a file rather than an inline script so the page's CSP can forbid
 * inline code. `openapi.json` is relative to the page, as are the assets (/docs →
 * /docs/…): behind a proxy that adds a path prefix the page still finds them.
 * `validatorUrl: null` stops Swagger UI sending the document to validator.swagger.io.
 */
const INIT_JS = `window.ui = SwaggerUIBundle({
  url: new URL('openapi.json', document.baseURI).href,
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
});
`;

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>serverless-image-api: API reference</title>
    <link rel="stylesheet" href="docs/swagger-ui.css">
    <link rel="icon" type="image/png" href="docs/favicon-32x32.png" sizes="32x32">
    <link rel="icon" type="image/png" href="docs/favicon-16x16.png" sizes="16x16">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="docs/swagger-ui-bundle.js"></script>
    <script src="docs/init.js"></script>
  </body>
</html>
`;

const docsRoute = createRoute({
  method: 'get',
  path: '/docs',
  summary: 'Interactive API reference for this document (no x-api-key)',
  description:
    'Swagger UI, served with all its assets by this server (no CDN: it works offline); on AWS by the admin function.',
  responses: {
    200: { description: 'The page', content: { 'text/html': { schema: z.string() } } },
  },
});

interface Asset {
  body: Uint8Array<ArrayBuffer>;
  type: string;
  etag: string;
}

/**
 * GET /docs and its assets, read from `assetsDir` (swagger-ui-dist's folder) on first use
 * and kept in memory. `apiOrigin` is where "Try it out" sends requests (the document's
 * server), which the page's CSP must allow.
 */
export function docsRoutes<E extends Env>(assetsDir: string, apiOrigin: () => string) {
  const app = createRouter<E>();
  const cache = new Map<string, Promise<Asset>>();
  const load = (file: string, type: string): Promise<Asset> => {
    let asset = cache.get(file);
    if (!asset) {
      const read =
        file === 'init.js' ? Promise.resolve(Buffer.from(INIT_JS)) : readFile(join(assetsDir, file));
      asset = read.then((bytes) => {
        const body = new Uint8Array(bytes);
        return {
          body,
          type,
          etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
        };
      });
      // A failed read is not remembered: the next request tries again.
      asset.catch(() => cache.delete(file));
      cache.set(file, asset);
    }
    return asset;
  };

  app.openapi(docsRoute, (c) => {
    const origin = safeOrigin(apiOrigin());
    c.header(
      'Content-Security-Policy',
      `default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'${origin ? ` ${origin}` : ''}; frame-ancestors 'none'`,
    );
    c.header('X-Content-Type-Options', 'nosniff');
    return c.html(PAGE, 200);
  });
  // Registered after /docs, which '/docs/*' also matches: the page answers first.
  app.get('/docs/*', async (c) => {
    const file = c.req.path.slice('/docs/'.length);
    const type = file === 'init.js' ? 'text/javascript; charset=utf-8' : ASSETS[file];
    if (!type) throw new NotFoundError(`No such file in the API reference: ${file}`);
    const asset = await load(file, type);
    const headers = { ETag: asset.etag, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' };
    if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304, headers);
    return c.body(asset.body, 200, { ...headers, 'Content-Type': asset.type });
  });
  return app;
}

function safeOrigin(url: string): string | null {
  try {
    return url ? new URL(url).origin : null;
  } catch {
    return null;
  }
}
