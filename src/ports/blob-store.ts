import type { Readable } from 'node:stream';

export interface BlobInfo {
  size: number;
  etag: string;
  lastModified: Date;
}

/** Inclusive byte offsets, as HTTP's Content-Range and S3 GetObject's `Range` count them. */
export interface ByteRange {
  start: number;
  end: number;
}

/** `size` is always the whole object's, also when `body` streams only a range of it. */
export interface BlobStream extends BlobInfo {
  body: Readable;
}

/** Where originals and variants live: the filesystem locally, S3 on AWS. */
export interface BlobStore {
  /** Writes atomically: a reader sees the old object or the whole new one, never a part. */
  write(key: string, body: Readable | Buffer): Promise<BlobInfo>;
  /** A local path for tools (sharp, exifr) that read files; the caller calls `release`. */
  localPath(key: string): Promise<{ path: string; release: () => Promise<void> }>;
  /**
   * The object's bytes, or only `range` of them (the caller keeps it inside the size it got
   * from `stat`). The info describes the object actually opened, so a caller can tell if it
   * was replaced since its `stat`.
   */
  read(key: string, range?: ByteRange): Promise<BlobStream | null>;
  stat(key: string): Promise<BlobInfo | null>;
  /**
   * Moves an object to another key, replacing what is there; null when `from` does not
   * exist. Readers of `to` see the old object or the whole new one.
   */
  move(from: string, to: string): Promise<BlobInfo | null>;
  /** Removes every object under the prefix; removing nothing is not an error. */
  deletePrefix(prefix: string): Promise<void>;
}
