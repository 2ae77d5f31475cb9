import { existsSync } from 'node:fs';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { openDatabase, type SqliteDatabase } from '../adapters/local/sqlite-database.ts';
import { checkIntegrity, openLiveDatabase, snapshotDatabase } from './backup/database.ts';
import { BackupRefusedError, IN_PROGRESS_DATABASE, prepareDestination } from './backup/destination.ts';
import { copyImageFiles } from './backup/image-files.ts';
import { reconcileCopy } from './backup/reconcile.ts';
import { readImages } from './backup/snapshot-images.ts';
import { copyStateFiles } from './backup/state-files.ts';

export { BackupRefusedError } from './backup/destination.ts';

/** A stage that has just finished, in order. */
export type BackupStage = 'database' | 'files' | 'reconcile';

export interface BackupOptions {
  dataDir: string;
  /** A new or empty directory, outside DATA_DIR. */
  dest: string;
  /** Awaited after each stage: progress for the CLI, and a place for tests to act mid-backup. */
  onStage?: (stage: BackupStage) => void | Promise<void>;
}

export interface BackupSummary {
  dataDir: string;
  dest: string;
  /** Image records in the copy. */
  images: number;
  /** Images deleted from the live server while the backup ran, so left out of the copy. */
  imagesDropped: number;
  /** Images kept although some of their files are missing: they are missing on the live server too. */
  imagesIncomplete: number;
  /** Files hard-linked and copied (those of dropped images included: they were removed again). */
  filesLinked: number;
  filesCopied: number;
  /** Size of the image files, and of those that took new disk space (copied, not linked). */
  bytes: number;
  bytesCopied: number;
  databaseBytes: number;
  /** Top-level files of DATA_DIR copied with the data, e.g. the signing secret. */
  stateFiles: string[];
  /** Top-level entries of DATA_DIR that are not the server's and were left out. */
  skipped: string[];
  millis: { database: number; files: number; reconcile: number; total: number };
}

/**
 * Backs up a DATA_DIR that a server may be using, into DEST, in an order that never leaves
 * the copy naming a file it lacks: the database first (one consistent snapshot through
 * SQLite's online backup), then the files of the images in that snapshot (hard links where
 * possible), then the records of images deleted meanwhile are dropped, then the small state
 * files. The database gets its real name last. The result is a DATA_DIR: restoring is
 * starting a server on it. On failure DEST is left as it was found.
 */
export async function backupDataDir(options: BackupOptions): Promise<BackupSummary> {
  const started = performance.now();
  const dataDir = resolve(options.dataDir);
  const dest = resolve(options.dest);
  const liveFile = join(dataDir, 'db.sqlite');
  if (!existsSync(liveFile))
    throw new BackupRefusedError(
      existsSync(dataDir)
        ? `No database at ${liveFile}: is DATA_DIR the folder the server uses?`
        : `DATA_DIR ${dataDir} does not exist`,
    );
  const { created } = await prepareDestination(dataDir, dest);
  const live = openLiveDatabase(liveFile);
  try {
    return await writeBackup(live, dataDir, dest, options.onStage, started);
  } catch (error) {
    await discard(dest, created);
    throw error;
  } finally {
    live.close();
  }
}

async function writeBackup(
  live: SqliteDatabase,
  dataDir: string,
  dest: string,
  onStage: BackupOptions['onStage'],
  started: number,
): Promise<BackupSummary> {
  const copyFile = join(dest, IN_PROGRESS_DATABASE);
  const database = await timed(() => snapshotDatabase(live, copyFile));
  await onStage?.('database');

  const copy = openDatabase(copyFile);
  try {
    const files = await timed(() =>
      copyImageFiles(readImages(copy), join(dataDir, 'files'), join(dest, 'files')),
    );
    await onStage?.('files');
    const isLive = live.prepare<[string], number>('SELECT 1 FROM images WHERE image_id = ?').pluck();
    const reconciled = await timed(async () => {
      const result = await reconcileCopy(copy, join(dest, 'files'), (id) => isLive.get(id) !== undefined);
      checkIntegrity(copy, copyFile);
      return result;
    });
    const images = copy.prepare<[], number>('SELECT count(*) FROM images').pluck().get() ?? 0;
    // One self-contained file, with no -wal beside it, to copy elsewhere as it is; the
    // server turns WAL back on when it opens it.
    copy.pragma('journal_mode = DELETE');
    copy.close();
    await onStage?.('reconcile');

    const state = await copyStateFiles(dataDir, dest);
    const databaseBytes = (await stat(copyFile)).size;
    await rename(copyFile, join(dest, 'db.sqlite'));
    return {
      dataDir,
      dest,
      images,
      imagesDropped: reconciled.value.dropped.length,
      imagesIncomplete: reconciled.value.incomplete.length,
      filesLinked: files.value.linked,
      filesCopied: files.value.copied,
      bytes: files.value.bytes,
      bytesCopied: files.value.bytesCopied,
      databaseBytes,
      stateFiles: state.copied,
      skipped: state.skipped,
      millis: {
        database: database.ms,
        files: files.ms,
        reconcile: reconciled.ms,
        total: Math.round(performance.now() - started),
      },
    };
  } finally {
    if (copy.open) copy.close();
  }
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await work();
  return { value, ms: Math.round(performance.now() - start) };
}

/** Undoes a failed backup: DEST was new or empty, so everything in it is ours. */
async function discard(dest: string, created: boolean): Promise<void> {
  if (created) {
    await rm(dest, { recursive: true, force: true });
    return;
  }
  for (const entry of await readdir(dest)) await rm(join(dest, entry), { recursive: true, force: true });
}
