import type { Readable } from 'node:stream';

export interface BlobInfo {
  size: number;
  etag: string;
  lastModified: Date;
}

export interface BlobStream extends BlobInfo {
  body: Readable;
}

/** Where originals and variants live: the filesystem locally, S3 on AWS. */
export interface BlobStore {
  /** Writes atomically: a reader sees the old object or the whole new one, never a part. */
  write(key: string, body: Readable | Buffer): Promise<BlobInfo>;
  /** A local path for tools (sharp, exifr) that read files; the caller calls `release`. */
  localPath(key: string): Promise<{ path: string; release: () => Promise<void> }>;
  read(key: string): Promise<BlobStream | null>;
  stat(key: string): Promise<BlobInfo | null>;
  /** Removes every object under the prefix; removing nothing is not an error. */
  deletePrefix(prefix: string): Promise<void>;
}
