import { createRoute, z } from '@hono/zod-openapi';
import type { Env } from 'hono';
import { AppError } from '../../core/errors.ts';
import { createRouter } from '../router.ts';
import { fileIn, pageSecurityHeaders, StaticAssets, TYPES } from '../static-assets.ts';

const galleryRoute = createRoute({
  method: 'get',
  path: '/',
  summary: 'Web gallery: upload, browse, search and inspect images in a browser (no x-api-key)',
  description:
    'A page served by this server with all its assets. It asks for an API key, keeps it in the browser (localStorage) and calls this API with it. Local home only.',
  responses: {
    200: { description: 'The page', content: { 'text/html': { schema: z.string() } } },
  },
});

/** The bundle `npm run build` writes to dist/gallery; a clone that never built has none. */
const NOT_BUILT = 'The gallery is not built: run `npm run build` (npm start builds it when missing)';

/**
 * GET / (the gallery page) and GET /gallery/* (its script, styles and source map), from
 * `assetsDir`, the folder the build writes (src/gallery bundled by esbuild). `apiUrl` is
 * where the signed URLs point, which the CSP must let the page load and PUT to.
 */
export function galleryRoutes<E extends Env>(assetsDir: string, apiUrl: () => string) {
  const app = createRouter<E>();
  const inDir = (name: string) => fileIn(assetsDir, name);
  // The page only at /, where it gets its CSP; /gallery/* serves the files it loads.
  const page = new StaticAssets(
    { 'index.html': { type: TYPES.html, read: inDir('index.html') } },
    'the gallery',
  );
  const assets = new StaticAssets(
    {
      'main.js': { type: TYPES.js, read: inDir('main.js') },
      'main.js.map': { type: TYPES.json, read: inDir('main.js.map') },
      'gallery.css': { type: TYPES.css, read: inDir('gallery.css') },
      'gallery.css.map': { type: TYPES.json, read: inDir('gallery.css.map') },
      'icon.svg': { type: TYPES.svg, read: inDir('icon.svg') },
    },
    'the gallery',
  );

  app.openapi(galleryRoute, async (c) => {
    try {
      // blob: for the previews of files being uploaded; no inline styles (it sets them
      // through element.style, which CSP allows).
      const headers = pageSecurityHeaders(apiUrl(), { img: 'blob:', inlineStyles: false });
      return (await page.respond(c, 'index.html', headers)) as never;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw new AppError(503, 'GALLERY_NOT_BUILT', NOT_BUILT, { cause: error });
      throw error;
    }
  });
  app.get('/gallery/*', (c) => assets.respond(c, c.req.path.slice('/gallery/'.length)));
  return app;
}
