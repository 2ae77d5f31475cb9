import { constants } from 'node:fs';
import { chmod, copyFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * What a backup handles itself at the top of DATA_DIR: the database (copied through SQLite,
 * never as files: its -wal and -shm belong to the live connection) and the image files.
 */
const HANDLED_ELSEWHERE = new Set([
  'db.sqlite',
  'db.sqlite-wal',
  'db.sqlite-shm',
  'db.sqlite-journal',
  'files',
]);

export interface StateFiles {
  /** Top-level files copied, such as the URL-signing secret. */
  copied: string[];
  /** Top-level entries that are not plain files (folders, links), left out and named in the summary. */
  skipped: string[];
}

/**
 * Copies the small files at the top of DATA_DIR that the server keeps its state in (today
 * the URL-signing secret) with their permissions, so the secret stays 0600. Copied rather
 * than linked: they are small, and a chmod on one must not change the other.
 */
export async function copyStateFiles(dataDir: string, dest: string): Promise<StateFiles> {
  const result: StateFiles = { copied: [], skipped: [] };
  const entries = await readdir(dataDir, { withFileTypes: true });
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (HANDLED_ELSEWHERE.has(entry.name)) continue;
    if (!entry.isFile()) {
      result.skipped.push(entry.name);
      continue;
    }
    const from = join(dataDir, entry.name);
    const to = join(dest, entry.name);
    try {
      const { mode } = await stat(from);
      await copyFile(from, to, constants.COPYFILE_EXCL);
      await chmod(to, mode & 0o7777);
      result.copied.push(entry.name);
    } catch (error) {
      // Gone since the listing: a short-lived file of the running server, not state.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return result;
}
