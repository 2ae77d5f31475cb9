import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** swagger-ui-dist's folder in node_modules: /docs serves its files from there, never a CDN. */
export function swaggerUiDir(): string {
  return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
}

/**
 * Where `npm run build` writes the gallery's bundle (src/gallery through esbuild):
 * <project>/dist/gallery, the same folder whether this module runs from src/ or dist/.
 */
export function galleryDir(): string {
  return fileURLToPath(new URL('../../dist/gallery/', import.meta.url));
}
