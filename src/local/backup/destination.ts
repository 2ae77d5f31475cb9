import { mkdir, readdir, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';

/** The database's name in DEST until the backup is complete: an interrupted backup has no db.sqlite to restore from. */
export const IN_PROGRESS_DATABASE = 'db.sqlite.backup-in-progress';

/** A backup that was refused before anything was written: a usage problem, not a failure. */
export class BackupRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupRefusedError';
  }
}

/**
 * Checks where a backup of `dataDir` may go, and creates DEST when it does not exist yet.
 * DEST must be new or an empty directory, so a backup never mixes with (or overwrites) other
 * files, and must not be inside DATA_DIR, where it would copy itself and be lost with the
 * data it is meant to protect. Returns whether DEST was created here (a failed backup then
 * removes it; an empty DEST it found is emptied again instead).
 */
export async function prepareDestination(dataDir: string, dest: string): Promise<{ created: boolean }> {
  const realDataDir = await realpath(dataDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new BackupRefusedError(`DATA_DIR ${dataDir} does not exist`);
    throw error;
  });
  // Through symlinks on both sides: a link into DATA_DIR is still inside it.
  const realDest = await realPathOfMaybeMissing(dest);
  if (realDest === realDataDir) throw new BackupRefusedError(`DEST ${dest} is DATA_DIR itself`);
  if (isInside(realDest, realDataDir))
    throw new BackupRefusedError(
      `DEST ${dest} is inside DATA_DIR ${dataDir}: the backup would copy itself and be lost with the data it protects`,
    );
  let entries: string[];
  try {
    entries = await readdir(dest);
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code === 'ENOTDIR') throw new BackupRefusedError(`DEST ${dest} exists and is not a directory`);
    if (code !== 'ENOENT') throw error;
    await mkdir(dest, { recursive: true });
    return { created: true };
  }
  if (entries.length > 0) {
    const interrupted = entries.includes(IN_PROGRESS_DATABASE)
      ? ' (it holds an interrupted backup: remove it and run again)'
      : '';
    throw new BackupRefusedError(
      `DEST ${dest} is not empty (${entries.length} entries)${interrupted}: a backup goes into a new or empty directory`,
    );
  }
  return { created: false };
}

/** The real path of `path`; for a path that does not exist yet, its nearest existing ancestor's real path joined with the rest. */
async function realPathOfMaybeMissing(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const parent = dirname(path);
  if (parent === path) return path;
  return join(await realPathOfMaybeMissing(parent), basename(path));
}

function isInside(path: string, directory: string): boolean {
  const rel = relative(directory, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}
