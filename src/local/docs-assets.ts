import { createRequire } from 'node:module';
import { dirname } from 'node:path';

/** swagger-ui-dist's folder in node_modules: /docs serves its files from there, never a CDN. */
export function swaggerUiDir(): string {
  return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
}
