import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * The version of an installed package, read from its package.json (for the `models` field).
 * Walks up from the package's entry file: some packages' `exports` hide their package.json.
 */
export async function packageVersion(entryFile: string, name: string): Promise<string> {
  let dir = dirname(entryFile);
  while (dir !== dirname(dir)) {
    try {
      const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === name) return pkg.version ?? 'unknown';
    } catch {
      // not the package root yet: keep walking up
    }
    dir = dirname(dir);
  }
  return 'unknown';
}
