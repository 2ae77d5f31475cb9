import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Variant } from './image.ts';

export interface SignedQuery {
  expires: number;
  signature: string;
}

export type SignatureCheck = 'valid' | 'invalid' | 'expired';

const MEMO_MAX = 50_000;

/**
 * Signs the URLs that stand in for S3 pre-signed URLs locally: PUT for the one upload,
 * GET for downloads. The signature covers method, path and expiry (epoch seconds).
 */
export class UrlSigner {
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

  uploadUrl(imageId: string, expires: number): string {
    const path = `/uploads/${imageId}`;
    return this.withQuery(path, expires, this.sign('PUT', path, expires));
  }

  downloadUrl(imageId: string, variant: Variant, expires: number): string {
    const path = `/files/${imageId}/${variant}`;
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

  /** Checks signature first (constant time), then expiry, so an attacker learns nothing from timing. */
  verify(
    method: 'PUT' | 'GET',
    path: string,
    query: { expires?: string; signature?: string },
    nowMs: number,
  ): SignatureCheck {
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

/**
 * Download URLs expire at the end of a 5-minute window rather than exactly TTL from now, so
 * repeated GETs hand out identical URLs and browsers and CDNs can cache the images.
 */
export function downloadExpiry(nowMs: number, ttlSeconds: number): number {
  const window = 300;
  return Math.ceil((nowMs / 1000 + ttlSeconds) / window) * window;
}
