import { stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { glob } from 'tinyglobby';
import { IMAGE_EXTENSIONS, typeFromName } from '../client/index.ts';

/**
 * The files `imgapi upload` was given: a file as named (its type is checked by its bytes),
 * a directory's image files (by extension, recursively), a glob's image files. Globs are
 * expanded here because Node 20 has no fs.glob and a shell may pass one through unexpanded
 * (quoted, or on Windows). Returns the files in a stable order and the inputs that matched
 * nothing.
 */
export async function expandInputs(inputs: string[]): Promise<{ files: string[]; unmatched: string[] }> {
  const files: string[] = [];
  const unmatched: string[] = [];
  for (const input of inputs) {
    const found = await stat(input).catch(() => null);
    if (found?.isFile()) {
      files.push(input);
      continue;
    }
    const matches = found?.isDirectory()
      ? (await glob(`**/*.{${IMAGE_EXTENSIONS.join(',')}}`, { cwd: input, caseSensitiveMatch: false })).map(
          (file) => join(input, file),
        )
      : (await glob(input, { caseSensitiveMatch: false, absolute: isAbsolute(input) })).filter((file) =>
          typeFromName(file),
        );
    if (matches.length === 0) unmatched.push(input);
    files.push(...matches.sort());
  }
  return { files: [...new Set(files)], unmatched };
}
