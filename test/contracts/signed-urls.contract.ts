import { describe, expect, it } from 'vitest';
import {
  type ImageType,
  storageKey,
  VARIANTS,
  type Variant,
  variantContentType,
} from '../../src/core/image.ts';
import { downloadExpiry } from '../../src/core/url-expiry.ts';
import type { Clock } from '../../src/ports/clock.ts';
import type { SignedObject, SignedUrls } from '../../src/ports/signed-urls.ts';

export interface SignedUrlsHarness {
  /** An adapter whose clock, where it keeps one, is `clock`. */
  create(clock: Clock): SignedUrls;
  /** When the URL stops working (epoch seconds), as the URL itself says. */
  expiresAt(url: URL): number;
  /** Whether the URL is the one for this object (and variant, for a download). */
  isFor(url: URL, object: SignedObject & { variant?: Variant }): boolean;
}

/** 2027-01-15T08:00:00Z, the start of a download window; tests add seconds to it. */
export const WINDOW_START_MS = 1_800_000_000_000;

export const imageId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** A stored variant as the core signs a download of it: our own ids in the key, the type it is served as. */
export function objectOf(
  n: number,
  variant: Variant = 'original',
  fileType: ImageType = 'image/png',
): SignedObject & { variant: Variant } {
  return {
    imageId: imageId(n),
    key: storageKey('tenant-1', imageId(n), variant),
    contentType: variantContentType(variant, fileType),
    variant,
  };
}

/** An original as the core signs its upload: the type the client declared. */
export function uploadOf(n: number, fileType: ImageType = 'image/png'): SignedObject {
  const { variant: _, ...object } = objectOf(n, 'original', fileType);
  return object;
}

/**
 * What the core relies on from SignedUrls, whichever server checks the signature: an
 * absolute URL for exactly the object asked for, that stops working at the absolute expiry
 * the core chose, and a download URL that stays the same within a download window (so
 * browsers and CDNs can cache images).
 */
export function signedUrlsContract(harness: SignedUrlsHarness): void {
  const at = (ms: number) => harness.create({ now: () => ms });

  describe('upload', () => {
    it('is an absolute URL for the object, ending when asked', async () => {
      const now = WINDOW_START_MS + 17_000;
      const expires = Math.floor(now / 1000) + 3600;
      const url = new URL(await at(now).upload(uploadOf(1), expires));
      expect(url.protocol).toMatch(/^https?:$/);
      expect(harness.isFor(url, uploadOf(1))).toBe(true);
      expect(harness.isFor(url, uploadOf(2))).toBe(false);
      expect(harness.expiresAt(url)).toBe(expires);
    });

    it('differs from one image to another', async () => {
      const urls = at(WINDOW_START_MS);
      const expires = WINDOW_START_MS / 1000 + 600;
      expect(await urls.upload(uploadOf(1), expires)).not.toBe(await urls.upload(uploadOf(2), expires));
    });
  });

  describe('download', () => {
    it.each(VARIANTS.map((variant) => ({ variant })))(
      'is a URL for the $variant, ending when asked',
      async ({ variant }) => {
        const now = WINDOW_START_MS + 42_000;
        const expires = downloadExpiry(now, 3600);
        const url = new URL(await at(now).download(objectOf(3, variant), expires));
        expect(harness.isFor(url, objectOf(3, variant))).toBe(true);
        expect(harness.expiresAt(url)).toBe(expires);
      },
    );

    it('gives each variant and each image its own URL', async () => {
      const urls = at(WINDOW_START_MS);
      const expires = downloadExpiry(WINDOW_START_MS, 3600);
      const all = await Promise.all(
        [3, 4].flatMap((n) => VARIANTS.map((variant) => urls.download(objectOf(n, variant), expires))),
      );
      expect(new Set(all).size).toBe(all.length);
    });

    it('hands out the same URL throughout a download window, and a new one in the next', async () => {
      const ask = (ms: number) => at(ms).download(objectOf(5, 'thumb-small'), downloadExpiry(ms, 3600));
      const first = await ask(WINDOW_START_MS + 10_000);
      expect(await ask(WINDOW_START_MS + 250_000)).toBe(first);
      expect(await ask(WINDOW_START_MS + 310_000)).not.toBe(first);
    });
  });
}
