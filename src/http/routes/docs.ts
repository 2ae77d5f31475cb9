import { createRoute, z } from '@hono/zod-openapi';
import type { Env } from 'hono';
import { createRouter } from '../router.ts';
import { fileIn, pageSecurityHeaders, StaticAssets, TYPES } from '../static-assets.ts';

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

/**
 * The page, with the favicons inline as data: URIs: over API Gateway a PNG answer would come
 * back as base64 text to a browser (binary media types go by the request's first Accept
 * type), and two routes fewer is two requests fewer anyway.
 */
const page = (icon32: string, icon16: string) => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>serverless-image-api: API reference</title>
    <link rel="stylesheet" href="docs/swagger-ui.css">
    <link rel="icon" type="image/png" href="data:image/png;base64,${icon32}" sizes="32x32">
    <link rel="icon" type="image/png" href="data:image/png;base64,${icon16}" sizes="16x16">
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

/**
 * GET /docs and its assets: swagger-ui-dist's files from `assetsDir`, never a CDN.
 * `apiOrigin` is where "Try it out" sends requests (the document's server), which the
 * page's CSP must allow.
 */
export function docsRoutes<E extends Env>(assetsDir: string, apiOrigin: () => string) {
  const app = createRouter<E>();
  const inDist = (name: string) => fileIn(assetsDir, name);
  // The files of swagger-ui-dist the page loads: a fixed list, nothing else in that folder.
  const assets = new StaticAssets(
    {
      'swagger-ui.css': { type: TYPES.css, read: inDist('swagger-ui.css') },
      'swagger-ui-bundle.js': { type: TYPES.js, read: inDist('swagger-ui-bundle.js') },
      'init.js': { type: TYPES.js, read: async () => Buffer.from(INIT_JS) },
    },
    'the API reference',
  );

  let html: Promise<string> | undefined;
  const pageHtml = () => {
    html ??= Promise.all([inDist('favicon-32x32.png')(), inDist('favicon-16x16.png')()]).then(
      ([big, small]) => page(Buffer.from(big).toString('base64'), Buffer.from(small).toString('base64')),
    );
    // A failed read is not remembered: the next request tries again.
    html.catch(() => {
      html = undefined;
    });
    return html;
  };

  app.openapi(docsRoute, async (c) => c.html(await pageHtml(), 200, pageSecurityHeaders(apiOrigin())));
  // Registered after /docs, which '/docs/*' also matches: the page answers first.
  app.get('/docs/*', (c) => assets.respond(c, c.req.path.slice('/docs/'.length)));
  return app;
}
