import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Variant } from '../../core/image.ts';
import type { SignedObject, SignedUrls } from '../../ports/signed-urls.ts';

export type SignatureCheck = 'valid' | 'invalid' | 'expired';

export interface SignedQuery {
  expires?: string;
  signature?: string;
}

const MEMO_MAX = 50_000;

/**
 * The local stand-in for S3 presigned URLs: our own `/uploads/{imageId}` (PUT, the one
 * upload) and `/files/{imageId}/{variant}` (GET) routes, signed with HMAC-SHA256 over
 * method, path and expiry (epoch seconds). The routes call `verify*` before serving.
 */
export class HmacSignedUrls implements SignedUrls {
  /**
   * Download URLs repeat within an expiry window (see downloadExpiry), and every image read
   * signs up to five: a bounded memo saves the HMACs (~9% of a GET /images/{id} profile).
   * Verification never reads it, so made-up URLs cannot churn it.
   */
  private readonly downloads = new Map<string, string>();

  constructor(
    private readonly secret: Buffer,
    private readonly baseUrl: () => string,
  ) {}

  async upload(object: SignedObject, expiresAt: number): Promise<string> {
    return this.uploadUrl(object.imageId, expiresAt);
  }

  async download(object: SignedObject & { variant: Variant }, expiresAt: number): Promise<string> {
    return this.downloadUrl(object.imageId, object.variant, expiresAt);
  }

  uploadUrl(imageId: string, expires: number): string {
    const path = uploadPath(imageId);
    return this.withQuery(path, expires, this.sign('PUT', path, expires));
  }

  downloadUrl(imageId: string, variant: Variant, expires: number): string {
    const path = downloadPath(imageId, variant);
    const memo = `${path}\n${expires}`;
    let signature = this.downloads.get(memo);
    if (signature === undefined) {
      signature = this.sign('GET', path, expires);
      // Oldest out first: insertion order is roughly expiry order.
      if (this.downloads.size >= MEMO_MAX)
        this.downloads.delete(this.downloads.keys().next().value as string);
      this.downloads.set(memo, signature);
    }
    return this.withQuery(path, expires, signature);
  }

  verifyUpload(imageId: string, query: SignedQuery, nowMs: number): SignatureCheck {
    return this.verify('PUT', uploadPath(imageId), query, nowMs);
  }

  verifyDownload(imageId: string, variant: Variant, query: SignedQuery, nowMs: number): SignatureCheck {
    return this.verify('GET', downloadPath(imageId, variant), query, nowMs);
  }

  /** Checks signature first (constant time), then expiry, so an attacker learns nothing from timing. */
  verify(method: 'PUT' | 'GET', path: string, query: SignedQuery, nowMs: number): SignatureCheck {
    const expires = Number(query.expires);
    if (!query.signature || !Number.isSafeInteger(expires)) return 'invalid';
    const expected = Buffer.from(this.sign(method, path, expires), 'base64url');
    const given = Buffer.from(query.signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    return expires * 1000 < nowMs ? 'expired' : 'valid';
  }

  private withQuery(path: string, expires: number, signature: string): string {
    return `${this.baseUrl()}${path}?expires=${expires}&signature=${signature}`;
  }

  private sign(method: string, path: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`${method}\n${path}\n${expires}`).digest('base64url');
  }
}

const uploadPath = (imageId: string) => `/uploads/${imageId}`;
const downloadPath = (imageId: string, variant: Variant) => `/files/${imageId}/${variant}`;
