import type { Variant } from '../core/image.ts';

/** The stored object a signed URL is for. `key` is the blob store's key; `imageId` names it in routes. */
export interface SignedObject {
  imageId: string;
  key: string;
  /** Upload: the type the client must send (signed). Download: the type it is served as. */
  contentType: string;
}

/**
 * URLs that let a client move bytes without passing them through the API: HMAC-signed
 * routes of our own server locally, S3 presigned URLs on AWS. Expiry is absolute (epoch
 * seconds), chosen by the core; what a URL looks like is the adapter's business.
 */
export interface SignedUrls {
  /** A single PUT of the original, with `Content-Type: contentType`, until `expiresAt`. */
  upload(object: SignedObject, expiresAt: number): Promise<string>;
  /** A GET of a stored original or variant until `expiresAt`. */
  download(object: SignedObject & { variant: Variant }, expiresAt: number): Promise<string>;
}
