/**
 * Whether an error means the storage is full rather than that anything is wrong with the
 * request or the image: the filesystem's ENOSPC / EDQUOT, SQLite's SQLITE_FULL, or libvips
 * failing a write for lack of space (its errors carry only a message). Causes are followed,
 * since our own errors wrap the ones that explain them.
 */
export function isStorageFull(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL') return true;
    if (/No space left on device|Disk quota exceeded|database or disk is full/i.test(e.message)) return true;
  }
  return false;
}
