import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { BlobInfo, BlobStore, BlobStream, ByteRange } from '../../ports/blob-store.ts';

export interface S3BlobStoreOptions {
  client: S3Client;
  bucket: string;
  /** Prepended to every key, e.g. `blobs/`; empty or ending in `/`. */
  prefix?: string;
  /** Largest stream write() collects into memory before refusing it (default 64 MiB). */
  maxStreamBytes?: number;
}

/** What the adapter throws; `code` is `ENOENT` for a missing object, as fs would say. */
export class S3BlobStoreError extends Error {
  readonly code: string | undefined;

  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, { cause: options?.cause });
    this.name = 'S3BlobStoreError';
    this.code = options?.code;
  }
}

// DeleteObjects takes at most 1,000 keys; listing pages of that size map one to one.
const PAGE_SIZE = 1000;

/** Blobs as objects in one S3 bucket, under an optional key prefix. */
export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly maxStreamBytes: number;

  constructor(options: S3BlobStoreOptions) {
    const prefix = options.prefix ?? '';
    if (prefix !== '' && !prefix.endsWith('/')) {
      throw new TypeError(`Expected empty or ending in '/' for prefix but received '${prefix}'`);
    }
    this.client = options.client;
    this.bucket = options.bucket;
    this.prefix = prefix;
    this.maxStreamBytes = options.maxStreamBytes ?? 64 * 1024 * 1024;
  }

  async write(key: string, body: Readable | Buffer): Promise<BlobInfo> {
    // PutObject needs a Content-Length, which a stream does not have, and multipart upload
    // (lib-storage) is not installed. On AWS the original goes straight to S3 through a
    // presigned PUT; what write() gets are our variants, which come as Buffers. So a stream
    // is collected, up to a bound. Collecting starts before any await, so a stream error is
    // always caught (an error on a stream with no listener would crash the process).
    const bytes = Buffer.isBuffer(body) ? body : await collect(body, this.maxStreamBytes, key);
    // One PutObject is atomic: a reader gets the previous object or the whole new one.
    const put = await this.send('PutObject', key, () =>
      this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key), Body: bytes })),
    );
    const etag = required(put.ETag, 'ETag', 'PutObject', key);
    // PutObject does not say when S3 dated the object; HEAD does, unless a newer write won.
    const head = await this.stat(key);
    if (head?.etag === etag) return head;
    return { size: bytes.length, etag, lastModified: new Date() };
  }

  async localPath(key: string): Promise<{ path: string; release: () => Promise<void> }> {
    const object = await this.get(key);
    if (!object) {
      throw new S3BlobStoreError(`No object at ${this.where(key)}`, { code: 'ENOENT' });
    }
    const path = join(tmpdir(), `s3-blob-${randomUUID()}`);
    const release = () => rm(path, { force: true });
    try {
      await pipeline(object.body, createWriteStream(path, { flags: 'wx' }));
    } catch (error) {
      await release();
      throw error;
    }
    return { path, release };
  }

  async read(key: string, range?: ByteRange): Promise<BlobStream | null> {
    return this.get(key, range);
  }

  async stat(key: string): Promise<BlobInfo | null> {
    const head = await this.send('HeadObject', key, () =>
      this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) })),
    ).catch(nullIfMissing);
    if (!head) return null;
    return {
      size: required(head.ContentLength, 'ContentLength', 'HeadObject', key),
      etag: required(head.ETag, 'ETag', 'HeadObject', key),
      lastModified: required(head.LastModified, 'LastModified', 'HeadObject', key),
    };
  }

  /** CopyObject then DeleteObject: S3 has no rename; the copy is atomic for readers of `to`. */
  async move(from: string, to: string): Promise<BlobInfo | null> {
    const source = `${this.bucket}/${this.keyOf(from).split('/').map(encodeURIComponent).join('/')}`;
    const copied = await this.send('CopyObject', from, () =>
      this.client.send(
        new CopyObjectCommand({ Bucket: this.bucket, Key: this.keyOf(to), CopySource: source }),
      ),
    ).catch(nullIfMissing);
    if (!copied) return null;
    await this.send('DeleteObject', from, () =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.keyOf(from) })),
    );
    return this.stat(to);
  }

  async deletePrefix(prefix: string): Promise<void> {
    // Unlike a directory, an S3 prefix `t1/img1` also matches `t1/img10/…`.
    if (!prefix.endsWith('/') || prefix === '/') {
      throw new TypeError(`Expected a prefix ending in '/' for deletePrefix but received '${prefix}'`);
    }
    let token: string | undefined;
    do {
      // Deleting between pages is safe: the continuation token stands for the last key listed.
      const page = await this.send('ListObjectsV2', prefix, () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.keyOf(prefix),
            MaxKeys: PAGE_SIZE,
            ContinuationToken: token,
          }),
        ),
      );
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
      if (keys.length > 0) await this.deleteBatch(prefix, keys);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  private async deleteBatch(prefix: string, keys: { Key: string }[]): Promise<void> {
    const result = await this.send('DeleteObjects', prefix, () =>
      this.client.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys, Quiet: true } }),
      ),
    );
    // DeleteObjects answers 200 even when some keys failed; the failures are in the body.
    const errors = result.Errors ?? [];
    if (errors.length > 0) {
      const first = errors[0];
      throw new S3BlobStoreError(
        `DeleteObjects under ${this.where(prefix)} failed for ${errors.length} of ${keys.length} keys; first: ${first?.Key} (${first?.Code}: ${first?.Message})`,
      );
    }
  }

  private async get(key: string, range?: ByteRange): Promise<BlobStream | null> {
    const object = await this.send('GetObject', key, () =>
      this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.keyOf(key),
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
        }),
      ),
    ).catch(nullIfMissing);
    if (!object) return null;
    if (!(object.Body instanceof Readable)) {
      throw new S3BlobStoreError(`GetObject ${this.where(key)} returned no Node.js stream`);
    }
    return {
      size: this.wholeSize(object, key, range),
      etag: required(object.ETag, 'ETag', 'GetObject', key),
      lastModified: required(object.LastModified, 'LastModified', 'GetObject', key),
      body: object.Body,
    };
  }

  /** The whole object's size: from `Content-Range: bytes 0-9/1234` when only a range came. */
  private wholeSize(object: GetObjectCommandOutput, key: string, range?: ByteRange): number {
    if (!range) return required(object.ContentLength, 'ContentLength', 'GetObject', key);
    const total = /\/(\d+)$/.exec(object.ContentRange ?? '')?.[1];
    if (total === undefined) {
      // Without Content-Range the body would be the whole object, not the bytes asked for.
      if (object.Body instanceof Readable) object.Body.destroy();
      throw new S3BlobStoreError(
        `GetObject ${this.where(key)} with Range bytes=${range.start}-${range.end} answered without Content-Range (${object.ContentRange ?? 'none'})`,
      );
    }
    return Number(total);
  }

  private keyOf(key: string): string {
    return this.prefix + key;
  }

  private where(key: string): string {
    return `s3://${this.bucket}/${this.keyOf(key)}`;
  }

  /** Runs one SDK call; its failures leave as S3BlobStoreError, with the SDK error as cause. */
  private async send<T>(operation: string, key: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (cause) {
      const { name, message } = cause instanceof Error ? cause : { name: 'Error', message: String(cause) };
      throw new S3BlobStoreError(`${operation} ${this.where(key)} failed: ${name}: ${message}`, {
        cause,
        code: isMissing(cause) ? 'ENOENT' : undefined,
      });
    }
  }
}

/** A missing key: GetObject says NoSuchKey; HeadObject has no body, so only 404 NotFound. */
function isMissing(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  if (e?.name === 'NoSuchKey' || e?.name === 'NotFound') return true;
  return e?.$metadata?.httpStatusCode === 404 && e.name !== 'NoSuchBucket';
}

function nullIfMissing(error: unknown): null {
  if (error instanceof S3BlobStoreError && error.code === 'ENOENT') return null;
  throw error;
}

function required<T>(value: T | undefined, field: string, operation: string, key: string): T {
  if (value === undefined) throw new S3BlobStoreError(`${operation} of ${key} answered without ${field}`);
  return value;
}

async function collect(body: Readable, limit: number, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  // for-await destroys the stream when the loop throws, so the source is not left hanging.
  for await (const chunk of body) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    size += buffer.length;
    if (size > limit) {
      throw new S3BlobStoreError(
        `Stream for ${key} exceeds ${limit} bytes, the most S3BlobStore collects for one PutObject`,
      );
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, size);
}
