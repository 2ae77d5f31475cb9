import { constants } from 'node:fs';
import { copyFile, link, mkdir, readdir, rmdir, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { eachLimited } from '../../core/each-limited.ts';
import { imagePrefix } from '../../core/image.ts';

/** Where an image's files live: `files/<tenant>/<imageId>/`. */
export interface ImageLocation {
  tenant: string;
  imageId: string;
}

export interface FileCounts {
  /** Hard-linked: the copy shares the live file's bytes on disk. */
  linked: number;
  /** Copied, where a hard link was not possible (DEST on another filesystem). */
  copied: number;
  /** Size of every file in the copy. */
  bytes: number;
  /** Of which newly written to disk (the copied files). */
  bytesCopied: number;
}

/** Images whose folders are read at once: enough to keep a disk busy, few enough file descriptors. */
const CONCURRENCY = 8;

/**
 * Puts every file of the given images (the ones in the database snapshot) into `toRoot`.
 * Going by the snapshot's images rather than walking all of `files/` leaves out the
 * half-written temp files in `files/.tmp` and the files of images uploaded after the
 * snapshot, which the copy has no record of and nothing would ever remove.
 *
 * A hard link is safe because the server never changes a file in place: a new version is
 * written to a temp file and renamed over the old name, which leaves the copy's link on the
 * old bytes, and a delete only removes the live name. A file that vanishes meanwhile (its
 * image deleted) is skipped; reconcileCopy deals with the record.
 */
export async function copyImageFiles(
  images: readonly ImageLocation[],
  fromRoot: string,
  toRoot: string,
): Promise<FileCounts> {
  const copier = new FileCopier();
  await eachLimited(images, CONCURRENCY, async (image) => {
    const prefix = safePrefix(image);
    await copier.copyFolder(join(fromRoot, prefix), join(toRoot, prefix));
  });
  return copier.counts;
}

/**
 * Link errors after which the file is copied instead: another filesystem (EXDEV), one
 * without hard links (ENOTSUP), a file we may not link (EPERM: Linux's protected_hardlinks,
 * for a file we do not own), a file with too many links already (EMLINK).
 */
const COPY_INSTEAD = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK']);
/** Of those, the ones every other file would meet too: stop trying to link. */
const NO_LINKS_HERE = new Set(['EXDEV', 'ENOTSUP', 'EOPNOTSUPP']);

class FileCopier {
  readonly counts: FileCounts = { linked: 0, copied: 0, bytes: 0, bytesCopied: 0 };
  /** Cleared when the filesystem refuses links: the rest would be refused too. */
  private linking = true;

  async copyFolder(from: string, to: string): Promise<void> {
    const entries = await readdir(from, { withFileTypes: true }).catch(emptyIfMissing);
    const files = entries.filter((entry) => entry.isFile());
    if (files.length === 0) return;
    await mkdir(to, { recursive: true });
    let kept = 0;
    for (const file of files) if (await this.copyFile(join(from, file.name), join(to, file.name))) kept++;
    // Every file vanished: the image was deleted meanwhile; leave no empty folder for it.
    if (kept === 0) await rmdir(to);
  }

  /** Links or copies one file; false when it no longer exists. */
  private async copyFile(from: string, to: string): Promise<boolean> {
    if (this.linking) {
      try {
        await link(from, to);
        // Not `bytes += (await stat(to)).size`: that reads the total before the await and
        // loses what other folders added meanwhile.
        const { size } = await stat(to);
        this.counts.linked++;
        this.counts.bytes += size;
        return true;
      } catch (error) {
        const { code } = error as NodeJS.ErrnoException;
        if (code === 'ENOENT') return false;
        if (!COPY_INSTEAD.has(code ?? '')) throw error;
        if (NO_LINKS_HERE.has(code ?? '')) this.linking = false;
      }
    }
    const source = await stat(from).catch(nullIfMissing);
    if (!source) return false;
    if ((await copyFile(from, to, constants.COPYFILE_EXCL).catch(nullIfMissing)) === null) return false;
    // The same modification time keeps the restored server's ETags (size and whole
    // milliseconds of mtime) the same, so clients' cached downloads stay valid. Set at the
    // middle of its millisecond: seconds as a double lose a fraction of a microsecond, which
    // could put a time at the very edge of a millisecond into the one before.
    await utimes(to, source.atimeMs / 1000, (Math.floor(source.mtimeMs) + 0.5) / 1000);
    this.counts.copied++;
    this.counts.bytes += source.size;
    this.counts.bytesCopied += source.size;
    return true;
  }
}

/** The image's folder, relative to files/; ids are ours, but this guard keeps a bad record from naming a path outside DEST. */
function safePrefix({ tenant, imageId }: ImageLocation): string {
  const part = /^[A-Za-z0-9_-]+$/;
  if (!part.test(tenant) || !part.test(imageId))
    throw new Error(`Unexpected image location in the database: ${JSON.stringify({ tenant, imageId })}`);
  return imagePrefix(tenant, imageId);
}

function emptyIfMissing(error: NodeJS.ErrnoException): [] {
  if (error.code === 'ENOENT') return [];
  throw error;
}

function nullIfMissing(error: NodeJS.ErrnoException): null {
  if (error.code === 'ENOENT') return null;
  throw error;
}
