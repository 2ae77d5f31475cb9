import { randomUUID } from 'node:crypto';
import { close, createReadStream, createWriteStream, fstat, mkdirSync, open, type Stats } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import type { BlobInfo, BlobStore, BlobStream, ByteRange } from '../../ports/blob-store.ts';

// Callback fs on a plain fd, not a FileHandle: a stream over a FileHandle pays for a
// promise on every chunk it reads.
const openFd = promisify(open);
const fstatFd = promisify(fstat);
const closeFd = promisify(close);

// Keys are built from our own ids; this guard makes a bug there fail loudly instead of
// letting a path escape the store.
const SAFE_KEY = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_][A-Za-z0-9_.-]*)*\/?$/;

/** Blobs as files under one directory; writes go to a temp file and are renamed into place. */
export class FsBlobStore implements BlobStore {
  private readonly tmpDir: string;

  constructor(private readonly root: string) {
    this.tmpDir = join(root, '.tmp');
    // Created up front so write() can attach to its source stream before any await: an
    // error on a stream with no listener yet would crash the process.
    mkdirSync(this.tmpDir, { recursive: true });
  }

  private pathOf(key: string): string {
    if (!SAFE_KEY.test(key) || key.includes('..')) throw new Error(`Unsafe storage key: ${key}`);
    return join(this.root, key);
  }

  async write(key: string, body: Readable | Buffer): Promise<BlobInfo> {
    const target = this.pathOf(key);
    const temp = join(this.tmpDir, randomUUID());
    try {
      // A buffer in one write call; a stream through a pipeline, so its errors are handled.
      if (Buffer.isBuffer(body)) await writeFile(temp, body, { flag: 'wx' });
      else await pipeline(body, createWriteStream(temp, { flags: 'wx' }));
      await mkdir(dirname(target), { recursive: true });
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return (await this.stat(key)) as BlobInfo;
  }

  async localPath(key: string): Promise<{ path: string; release: () => Promise<void> }> {
    return { path: this.pathOf(key), release: async () => {} };
  }

  async read(key: string, range?: ByteRange): Promise<BlobStream | null> {
    const path = this.pathOf(key);
    const fd = await openFd(path, 'r').catch(nullIfMissing);
    if (fd === null) return null;
    const bounds = range ? { start: range.start, end: range.end } : {};
    try {
      // Info from the open file, not the path: a write renaming a new version into place
      // meanwhile cannot make the ETag describe other bytes than these.
      const s = await fstatFd(fd);
      // The stream owns the fd from here and closes it on end, error or destroy.
      if (s.isFile()) return { ...infoOf(s), body: createReadStream(path, { fd, ...bounds }) };
    } catch (error) {
      await closeFd(fd);
      throw error;
    }
    await closeFd(fd);
    return null;
  }

  async move(from: string, to: string): Promise<BlobInfo | null> {
    const source = this.pathOf(from);
    const target = this.pathOf(to);
    await mkdir(dirname(target), { recursive: true });
    // rename() is atomic within one filesystem, which one root is.
    if ((await rename(source, target).catch(nullIfMissing)) === null) return null;
    return this.stat(to);
  }

  async stat(key: string): Promise<BlobInfo | null> {
    const s = await stat(this.pathOf(key)).catch(nullIfMissing);
    return s?.isFile() ? infoOf(s) : null;
  }

  /** Removes half-written temp files a crashed process left; call only when no write is running. */
  async removeTempFiles(): Promise<void> {
    await rm(this.tmpDir, { recursive: true, force: true });
    await mkdir(this.tmpDir, { recursive: true });
  }

  async deletePrefix(prefix: string): Promise<void> {
    // A job still writing into the folder can add a file between rm's listing and its
    // rmdir (ENOTEMPTY); rm retries that itself when asked to.
    await rm(this.pathOf(prefix), { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
  }
}

function infoOf(s: Stats): BlobInfo {
  // Like nginx: size and mtime identify a version well enough, at no hashing cost.
  return {
    size: s.size,
    etag: `"${s.size.toString(16)}-${Math.floor(s.mtimeMs).toString(16)}"`,
    lastModified: s.mtime,
  };
}

function nullIfMissing(error: NodeJS.ErrnoException): null {
  if (error.code === 'ENOENT') return null;
  throw error;
}
