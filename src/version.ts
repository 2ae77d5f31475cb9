import { readFileSync } from 'node:fs';

/**
 * The package's version, shown in the OpenAPI document. The Lambda bundler replaces
 * `process.env.IMGAPI_BUNDLED_VERSION` with the version at build time (a bundle has no
 * package.json beside it); run from src/ or dist/, the package.json one folder up is read.
 */
export const API_VERSION: string =
  process.env.IMGAPI_BUNDLED_VERSION ??
  (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
    .version;
