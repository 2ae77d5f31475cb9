import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { S3BlobStore } from '../../src/adapters/aws/s3-blob-store.ts';
import { FsBlobStore } from '../../src/adapters/local/fs-blob-store.ts';
import { MOTO_INSTALL_HINT, motoS3Client } from '../helpers/moto.ts';
import { blobStoreContract } from './blob-store.contract.ts';

const endpoint = inject('motoEndpoint');
if (!endpoint) console.warn(`\n!!! ${MOTO_INSTALL_HINT}\n`);

describe('Class: FsBlobStore (contract)', () => {
  // In a hook, not at collection: a run filtered to other suites would leave the folder behind.
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'blob-contract-fs-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  blobStoreContract({
    makeStore: async () => new FsBlobStore(join(root, randomUUID())),
    manyObjects: 30,
    localPathIsCopy: false,
  });
});

function motoClient(): S3Client {
  return motoS3Client(endpoint ?? '');
}

async function createBucket(client: S3Client): Promise<string> {
  const bucket = `blob-contract-${randomUUID()}`.slice(0, 63);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

describe.skipIf(!endpoint)('Class: S3BlobStore on moto (contract)', () => {
  const client = motoClient();
  let bucket: string;
  let run = 0;
  beforeAll(async () => {
    bucket = await createBucket(client);
  });
  afterAll(() => client.destroy());
  // One bucket for the suite; each test's store lives under its own key prefix in it.
  blobStoreContract({
    makeStore: async () => new S3BlobStore({ client, bucket, prefix: `run-${++run}/` }),
    manyObjects: 1005,
    localPathIsCopy: true,
  });
});

describe.skipIf(!endpoint)('Class: S3BlobStore on moto (adapter specifics)', () => {
  const client = motoClient();
  let bucket: string;
  beforeAll(async () => {
    bucket = await createBucket(client);
  });
  afterAll(() => client.destroy());

  it('stores keys under its prefix and deletePrefix leaves the rest of the bucket alone', async () => {
    const store = new S3BlobStore({ client, bucket, prefix: 'blobs/' });
    await store.write('t1/img1/original', Buffer.from('mine'));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 't1/img1/original', Body: 'not mine' }));
    const raw = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'blobs/t1/img1/original' }));
    expect(await raw.Body?.transformToString()).toBe('mine');
    await store.deletePrefix('t1/img1/');
    expect(await store.stat('t1/img1/original')).toBeNull();
    const other = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 't1/img1/original' }));
    expect(await other.Body?.transformToString()).toBe('not mine');
  });

  it('stores exactly the bytes of a stream, as another S3 client reads them', async () => {
    const store = new S3BlobStore({ client, bucket });
    await store.write('t1/img2/original', Readable.from([Buffer.from('plain '), Buffer.from('bytes')]));
    const raw = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 't1/img2/original' }));
    expect(await raw.Body?.transformToString()).toBe('plain bytes');
  });

  it('refuses a stream larger than maxStreamBytes and writes nothing', async () => {
    const store = new S3BlobStore({ client, bucket, maxStreamBytes: 1000 });
    const body = Readable.from([Buffer.alloc(600), Buffer.alloc(600)]);
    await expect(store.write('t1/img3/original', body)).rejects.toThrow(
      'Stream for t1/img3/original exceeds 1000 bytes, the most S3BlobStore collects for one PutObject',
    );
    expect(body.destroyed).toBe(true);
    expect(await store.stat('t1/img3/original')).toBeNull();
  });

  it('refuses a prefix without a trailing slash, which on S3 would match t1/img10/ too', async () => {
    const store = new S3BlobStore({ client, bucket });
    await expect(store.deletePrefix('t1/img1')).rejects.toThrow(
      "Expected a prefix ending in '/' for deletePrefix but received 't1/img1'",
    );
    await expect(store.deletePrefix('')).rejects.toThrow(TypeError);
  });

  it('rejects a missing bucket instead of answering null as for a missing key', async () => {
    const store = new S3BlobStore({ client, bucket: `missing-${randomUUID()}` });
    await expect(store.read('t1/img1/original')).rejects.toMatchObject({
      name: 'S3BlobStoreError',
      message: expect.stringContaining('NoSuchBucket'),
    });
  });

  it('rejects a store prefix that does not end in a slash', () => {
    expect(() => new S3BlobStore({ client, bucket, prefix: 'blobs' })).toThrow(
      "Expected empty or ending in '/' for prefix but received 'blobs'",
    );
  });
});
