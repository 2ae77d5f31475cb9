import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Variant } from '../../core/image.ts';
import { DOWNLOAD_URL_WINDOW_SECONDS } from '../../core/url-expiry.ts';
import { type Clock, systemClock } from '../../ports/clock.ts';
import type { SignedObject, SignedUrls } from '../../ports/signed-urls.ts';

/** SigV4 presigned URLs live at most 7 days; S3 refuses a longer X-Amz-Expires. */
export const MAX_PRESIGNED_SECONDS = 7 * 24 * 3600;

/** As the local /files route serves them: a browser may keep an image for 5 minutes. */
const DOWNLOAD_CACHE_CONTROL = 'private, max-age=300';

/** Presigning failed (no credentials could be resolved, a misconfigured client): the SDK's error is the cause. */
export class S3PresignError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'S3PresignError';
  }
}

export interface S3SignedUrlsOptions {
  /** A configured client; it must not add checksums to requests (see upload). */
  client: S3Client;
  bucket: string;
  clock?: Clock;
}

/**
 * S3 presigned URLs: a PUT of the original straight into the bucket, GETs of stored objects.
 * S3 checks the signature and the expiry; the core's completeUpload runs when S3 reports the
 * object. Expiry is absolute (`expiresAt`, epoch seconds) as the port has it: X-Amz-Date plus
 * X-Amz-Expires lands on it, clamped to at least 1 s and at most 7 days (SigV4's limit;
 * the config allows TTLs up to 7 days, and download expiry rounds up to a window).
 *
 * S3 also refuses a URL once the credentials that signed it have expired, whatever its
 * X-Amz-Expires: signed with a Lambda role's short-lived credentials, a URL may end sooner
 * than a long TTL asks for.
 */
export class S3SignedUrls implements SignedUrls {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly clock: Clock;

  constructor({ client, bucket, clock = systemClock }: S3SignedUrlsOptions) {
    if (typeof bucket !== 'string' || bucket === '')
      throw new TypeError(`Expected a bucket name for bucket but received ${JSON.stringify(bucket)}`);
    this.client = client;
    this.bucket = bucket;
    this.clock = clock;
  }

  /**
   * Content-Type is signed, so S3 refuses a PUT of another type. The client must be created
   * with `requestChecksumCalculation: 'WHEN_REQUIRED'`: by default the SDK signs the CRC32 of
   * an empty body into the URL and S3 would refuse every real upload, so such a URL is
   * refused here instead.
   */
  async upload(object: SignedObject, expiresAt: number): Promise<string> {
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: object.key,
      ContentType: object.contentType,
    });
    const url = await this.sign('PutObject', command, this.clock.now(), expiresAt, new Set(['content-type']));
    const checksums = [...new URL(url).searchParams.keys()].filter((name) =>
      /^x-amz-(sdk-)?checksum-/i.test(name),
    );
    if (checksums.length > 0)
      throw new S3PresignError(
        `S3SignedUrls: the S3Client signs ${checksums.join(', ')} into upload URLs (the checksum of an empty body), so S3 would refuse every upload; create it with requestChecksumCalculation: 'WHEN_REQUIRED'`,
      );
    return url;
  }

  /**
   * Served with the variant's Content-Type and the local home's Cache-Control. Signed as of
   * the start of the current download window: with the core's windowed expiry, every request
   * for an image within a window gets the same URL, so browsers and CDNs can cache it (the
   * signing date would otherwise make each URL unique).
   */
  async download(object: SignedObject & { variant: Variant }, expiresAt: number): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: object.key,
      ResponseContentType: object.contentType,
      ResponseCacheControl: DOWNLOAD_CACHE_CONTROL,
    });
    const window = DOWNLOAD_URL_WINDOW_SECONDS * 1000;
    return this.sign('GetObject', command, Math.floor(this.clock.now() / window) * window, expiresAt);
  }

  private async sign(
    operation: string,
    command: PutObjectCommand | GetObjectCommand,
    signedAtMs: number,
    expiresAt: number,
    signableHeaders?: Set<string>,
  ): Promise<string> {
    const signedAt = Math.floor(signedAtMs / 1000);
    const expiresIn = Math.min(MAX_PRESIGNED_SECONDS, Math.max(1, Math.floor(expiresAt - signedAt)));
    try {
      return await getSignedUrl(this.client, command, {
        expiresIn,
        signingDate: new Date(signedAt * 1000),
        ...(signableHeaders ? { signableHeaders } : {}),
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new S3PresignError(`S3SignedUrls: could not presign ${operation} of ${this.bucket}: ${reason}`, {
        cause: error,
      });
    }
  }
}
