import { Readable } from 'node:stream';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3BlobStore } from './s3-blob-store.ts';

// Answers moto cannot be made to give: partial DeleteObjects failures, odd Range replies.
const client = new S3Client({ region: 'us-east-1' });
const s3 = mockClient(client);
const store = new S3BlobStore({ client, bucket: 'images', prefix: 'blobs/' });

beforeEach(() => {
  s3.reset();
  s3.onAnyCommand().rejects(new Error('unexpected command'));
});

describe('Class: S3BlobStore (SDK answers)', () => {
  describe('Method: deletePrefix', () => {
    it('throws when DeleteObjects reports keys it could not delete', async () => {
      s3.on(ListObjectsV2Command).resolves({
        Contents: [{ Key: 'blobs/t1/img1/original' }, { Key: 'blobs/t1/img1/full.webp' }],
        IsTruncated: false,
      });
      s3.on(DeleteObjectsCommand).resolves({
        Errors: [{ Key: 'blobs/t1/img1/full.webp', Code: 'AccessDenied', Message: 'Access Denied' }],
      });
      await expect(store.deletePrefix('t1/img1/')).rejects.toThrow(
        'DeleteObjects under s3://images/blobs/t1/img1/ failed for 1 of 2 keys; first: blobs/t1/img1/full.webp (AccessDenied: Access Denied)',
      );
    });

    it('follows continuation tokens and deletes each page', async () => {
      s3.on(ListObjectsV2Command, { ContinuationToken: undefined }).resolves({
        Contents: [{ Key: 'blobs/t1/img1/a' }],
        IsTruncated: true,
        NextContinuationToken: 'next',
      });
      s3.on(ListObjectsV2Command, { ContinuationToken: 'next' }).resolves({
        Contents: [{ Key: 'blobs/t1/img1/b' }],
        IsTruncated: false,
      });
      s3.on(DeleteObjectsCommand).resolves({});
      await store.deletePrefix('t1/img1/');
      const deleted = s3.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input.Delete?.Objects);
      expect(deleted).toEqual([[{ Key: 'blobs/t1/img1/a' }], [{ Key: 'blobs/t1/img1/b' }]]);
      expect(s3.commandCalls(ListObjectsV2Command)[0]?.args[0].input).toMatchObject({
        Bucket: 'images',
        Prefix: 'blobs/t1/img1/',
        MaxKeys: 1000,
      });
    });
  });

  describe('Method: read', () => {
    it('refuses a ranged answer without Content-Range, whose body would be the whole object', async () => {
      const body = Readable.from([Buffer.from('whole object')]);
      s3.on(GetObjectCommand).resolves({
        // The adapter needs a Node.js Readable, not the SDK's helpers around it.
        Body: body as unknown as GetObjectCommandOutput['Body'],
        ContentLength: 12,
        ETag: '"e"',
        LastModified: new Date(),
      });
      await expect(store.read('t1/img1/original', { start: 0, end: 4 })).rejects.toThrow(
        'GetObject s3://images/blobs/t1/img1/original with Range bytes=0-4 answered without Content-Range (none)',
      );
      expect(body.destroyed).toBe(true);
    });

    it('answers null for NoSuchKey', async () => {
      s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'gone', $metadata: {} }));
      expect(await store.read('t1/img1/original')).toBeNull();
    });

    it('wraps any other failure in an S3BlobStoreError naming the operation and key', async () => {
      s3.on(GetObjectCommand).rejects(
        new S3ServiceException({
          name: 'AccessDenied',
          $fault: 'client',
          message: 'Access Denied',
          $metadata: {},
        }),
      );
      await expect(store.read('t1/img1/original')).rejects.toMatchObject({
        name: 'S3BlobStoreError',
        message: 'GetObject s3://images/blobs/t1/img1/original failed: AccessDenied: Access Denied',
      });
    });
  });

  describe('Method: stat', () => {
    it('answers null for a 404 NotFound from HeadObject', async () => {
      s3.on(HeadObjectCommand).rejects(
        new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } }),
      );
      expect(await store.stat('t1/img1/original')).toBeNull();
    });
  });
});
