import Database from 'better-sqlite3';
import type { SqliteDatabase } from '../../adapters/local/sqlite-database.ts';

/** better-sqlite3's largest step: more pages than any database has. */
const ALL_PAGES = 0x7fffffff;

/**
 * A connection to the database a running server may be writing. It never writes (the
 * schema is the server's to migrate), and it is read-write only so that, when no server is
 * running, closing it tidies the -wal and -shm files away as the server's own close does;
 * a read-only connection would leave them behind in DATA_DIR.
 */
export function openLiveDatabase(file: string): SqliteDatabase {
  const db = new Database(file, { fileMustExist: true });
  // The server's writers hold the lock for milliseconds; wait for them rather than fail.
  db.pragma('busy_timeout = 10000');
  return db;
}

/**
 * Copies the live database into `destFile` with SQLite's online backup API, which reads
 * through SQLite's own locking: unlike cp, it can never copy the main file and the -wal
 * from two different moments. better-sqlite3 copies 100 pages per step by default and lets
 * go of its read transaction between steps; a write by the server in between restarts the
 * copy, which under steady writes may never finish. Asking for every page in the next step
 * copies the whole database inside one read transaction: one consistent snapshot, and in
 * WAL mode the server's writers do not wait for it. (The first step, which better-sqlite3
 * always makes with 0 pages, only measures the database.)
 */
export async function snapshotDatabase(live: SqliteDatabase, destFile: string): Promise<void> {
  await live.backup(destFile, { progress: () => ALL_PAGES });
}

/** Throws unless SQLite's full integrity check passes. */
export function checkIntegrity(db: SqliteDatabase, file: string): void {
  const problems = (db.pragma('integrity_check') as { integrity_check: string }[]).map(
    (row) => row.integrity_check,
  );
  if (problems.length !== 1 || problems[0] !== 'ok')
    throw new Error(
      `The copied database ${file} failed its integrity check: ${problems.slice(0, 5).join('; ')}`,
    );
}
