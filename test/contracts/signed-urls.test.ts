import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { describe, expect, inject, it } from 'vitest';
import {
  MAX_PRESIGNED_SECONDS,
  S3PresignError,
  S3SignedUrls,
} from '../../src/adapters/aws/s3-signed-urls.ts';
import { HmacSignedUrls } from '../../src/adapters/local/hmac-signed-urls.ts';
import { downloadExpiry } from '../../src/core/url-expiry.ts';
import { fixture } from '../helpers/images.ts';
import {
  objectOf,
  type SignedUrlsHarness,
  signedUrlsContract,
  uploadOf,
  WINDOW_START_MS,
} from './signed-urls.contract.ts';

const SECRET = Buffer.from('s'.repeat(32));
const BASE_URL = 'http://127.0.0.1:3000';
const BUCKET = 'images-bucket';

const hmacHarness: SignedUrlsHarness = {
  create: () => new HmacSignedUrls(SECRET, () => BASE_URL),
  expiresAt: (url) => Number(url.searchParams.get('expires')),
  isFor: (url, object) =>
    url.origin === BASE_URL &&
    url.pathname ===
      (object.variant === undefined
        ? `/uploads/${object.imageId}`
        : `/files/${object.imageId}/${object.variant}`),
};

/** Presigning makes no request: any endpoint will do, and no real credentials are needed. */
function s3Client(config: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example-secret' },
    endpoint: 'http://127.0.0.1:1',
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    ...config,
  });
}

/** X-Amz-Date (20270115T080000Z) as epoch seconds. */
function signedAt(url: URL): number {
  const date = url.searchParams.get('X-Amz-Date') ?? '';
  const iso = date.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z');
  return Date.parse(iso) / 1000;
}

const s3Harness: SignedUrlsHarness = {
  create: (clock) => new S3SignedUrls({ client: s3Client(), bucket: BUCKET, clock }),
  expiresAt: (url) => signedAt(url) + Number(url.searchParams.get('X-Amz-Expires')),
  isFor: (url, object) => url.pathname === `/${BUCKET}/${object.key}`,
};

describe.each([
  { name: 'HmacSignedUrls', harness: hmacHarness },
  { name: 'S3SignedUrls', harness: s3Harness },
])('SignedUrls contract › $name', ({ harness }) => {
  signedUrlsContract(harness);
});

describe('Class: HmacSignedUrls (round trip through its own verification)', () => {
  const urls = new HmacSignedUrls(SECRET, () => BASE_URL);
  const query = (url: string) => Object.fromEntries(new URL(url).searchParams);

  it('verifies an upload URL for its image until it expires', async () => {
    const object = uploadOf(1);
    const url = await urls.upload(object, 2_000_000_000);
    expect(urls.verifyUpload(object.imageId, query(url), 1_999_999_999_000)).toBe('valid');
    expect(urls.verifyUpload(object.imageId, query(url), 2_000_000_001_000)).toBe('expired');
    expect(urls.verifyUpload(objectOf(2).imageId, query(url), 0)).toBe('invalid');
  });

  it('verifies a download URL for its image and variant only', async () => {
    const object = objectOf(1, 'webp');
    const url = await urls.download(object, 2_000_000_000);
    expect(urls.verifyDownload(object.imageId, 'webp', query(url), 1_999_999_999_000)).toBe('valid');
    expect(urls.verifyDownload(object.imageId, 'webp', query(url), 2_000_000_001_000)).toBe('expired');
    expect(urls.verifyDownload(object.imageId, 'original', query(url), 0)).toBe('invalid');
    expect(urls.verifyUpload(object.imageId, query(url), 0)).toBe('invalid');
  });
});

describe('Class: S3SignedUrls', () => {
  const now = WINDOW_START_MS + 17_000;
  const urls = new S3SignedUrls({ client: s3Client(), bucket: BUCKET, clock: { now: () => now } });
  const params = (url: string) => new URL(url).searchParams;

  describe('Method: upload', () => {
    it('signs Content-Type, for the seconds left until the expiry, as of now', async () => {
      const url = await urls.upload(uploadOf(1, 'image/webp'), now / 1000 + 3600);
      const query = params(url);
      expect(new URL(url).pathname).toBe(`/${BUCKET}/tenant-1/${objectOf(1).imageId}/original`);
      expect(query.get('X-Amz-SignedHeaders')?.split(';')).toEqual(['content-type', 'host']);
      expect(query.get('X-Amz-Expires')).toBe('3600');
      expect(query.get('X-Amz-Date')).toBe('20270115T080017Z');
      expect(query.get('X-Amz-Credential')).toBe('AKIDEXAMPLE/20270115/us-east-1/s3/aws4_request');
      expect(query.get('x-id')).toBe('PutObject');
    });

    it('signs the declared type itself: another type gives another signature', async () => {
      const signature = async (type: 'image/png' | 'image/webp') =>
        params(await urls.upload(uploadOf(1, type), now / 1000 + 3600)).get('X-Amz-Signature');
      expect(await signature('image/png')).toMatch(/^[0-9a-f]{64}$/);
      expect(await signature('image/png')).toBe(await signature('image/png'));
      expect(await signature('image/png')).not.toBe(await signature('image/webp'));
    });

    it('carries no checksum, which would be that of an empty body', async () => {
      const url = await urls.upload(uploadOf(1), now / 1000 + 3600);
      expect([...params(url).keys()].filter((k) => k.toLowerCase().includes('checksum'))).toEqual([]);
    });

    it('refuses a client that signs a checksum into upload URLs, saying how to create it', async () => {
      const defaults = new S3SignedUrls({
        client: s3Client({ requestChecksumCalculation: 'WHEN_SUPPORTED' }),
        bucket: BUCKET,
      });
      const upload = defaults.upload(uploadOf(1), Math.floor(Date.now() / 1000) + 60);
      await expect(upload).rejects.toThrow(S3PresignError);
      await expect(upload).rejects.toThrow(
        "S3SignedUrls: the S3Client signs x-amz-checksum-crc32, x-amz-sdk-checksum-algorithm into upload URLs (the checksum of an empty body), so S3 would refuse every upload; create it with requestChecksumCalculation: 'WHEN_REQUIRED'",
      );
    });

    it('clamps the expiry to S3’s 7 days, and to 1 s for one already past', async () => {
      const far = await urls.upload(uploadOf(1), now / 1000 + 8 * 24 * 3600);
      expect(params(far).get('X-Amz-Expires')).toBe(String(MAX_PRESIGNED_SECONDS));
      expect(MAX_PRESIGNED_SECONDS).toBe(604_800);
      const past = await urls.upload(uploadOf(1), now / 1000 - 10);
      expect(params(past).get('X-Amz-Expires')).toBe('1');
    });

    it('wraps a failure to sign, naming the operation and keeping the cause', async () => {
      const cause = new Error('Could not load credentials from any providers');
      const broken = new S3SignedUrls({
        client: s3Client({ credentials: () => Promise.reject(cause) }),
        bucket: BUCKET,
      });
      const failure = await broken.upload(uploadOf(1), now / 1000 + 60).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(S3PresignError);
      expect((failure as Error).message).toBe(
        `S3SignedUrls: could not presign PutObject of ${BUCKET}: Could not load credentials from any providers`,
      );
      expect((failure as Error).cause).toBe(cause);
    });
  });

  describe('Method: download', () => {
    it('overrides Content-Type and Cache-Control, signing only the host', async () => {
      const url = await urls.download(objectOf(2, 'thumb-medium'), downloadExpiry(now, 3600));
      const query = params(url);
      expect(new URL(url).pathname).toBe(`/${BUCKET}/tenant-1/${objectOf(2).imageId}/thumb-medium.jpg`);
      expect(query.get('response-content-type')).toBe('image/jpeg');
      expect(query.get('response-cache-control')).toBe('private, max-age=300');
      expect(query.get('X-Amz-SignedHeaders')).toBe('host');
      expect(query.get('x-id')).toBe('GetObject');
    });

    it('serves the original as the type it was uploaded as', async () => {
      const url = await urls.download(objectOf(2, 'original', 'image/avif'), downloadExpiry(now, 3600));
      expect(params(url).get('response-content-type')).toBe('image/avif');
    });

    it('is signed as of the window start, for exactly the seconds from there to the expiry', async () => {
      const url = await urls.download(objectOf(2, 'webp'), WINDOW_START_MS / 1000 + 3900);
      expect(params(url).get('X-Amz-Date')).toBe('20270115T080000Z');
      expect(params(url).get('X-Amz-Expires')).toBe('3900');
    });
  });

  describe('Constructor', () => {
    it('requires a bucket name', () => {
      expect(() => new S3SignedUrls({ client: s3Client(), bucket: '' })).toThrow(
        'Expected a bucket name for bucket but received ""',
      );
    });
  });

  describe('against moto', () => {
    const endpoint = inject('motoEndpoint');

    // moto, like every emulator here, does not check presigned signatures (a tampered URL is
    // accepted too), and moto 5.2.1 ignores the response-* overrides: this proves the URLs
    // work end to end and store the signed type; what is signed is proved from the URLs above.
    it.skipIf(!endpoint)(
      'stores a PUT through an upload URL and serves the same bytes back through a download URL',
      async () => {
        const client = s3Client({ endpoint: endpoint as string });
        const bucket = `signed-urls-${randomUUID()}`;
        await client.send(new CreateBucketCommand({ Bucket: bucket }));
        const moto = new S3SignedUrls({ client, bucket });
        const object = objectOf(7, 'original', 'image/jpeg');
        const expires = Math.floor(Date.now() / 1000) + 600;
        const bytes = fixture('chelsea.jpg');

        const put = await fetch(await moto.upload(object, expires), {
          method: 'PUT',
          headers: { 'Content-Type': 'image/jpeg' },
          body: bytes,
        });
        expect(put.status).toBe(200);

        const got = await fetch(await moto.download(object, downloadExpiry(Date.now(), 600)));
        expect(got.status).toBe(200);
        expect(got.headers.get('content-type')).toBe('image/jpeg');
        expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);
        client.destroy();
      },
    );
  });
});
