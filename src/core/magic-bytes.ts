import type { ImageType } from './image.ts';

/**
 * Bytes needed to recognise every accepted type. Hand-written rather than a general sniffing
 * library because we accept six types only, and the newest `file-type` needs Node 22.
 */
export const SNIFF_BYTES = 32;

const ascii = (buf: Uint8Array, offset: number, text: string) =>
  buf.length >= offset + text.length &&
  Buffer.from(buf.subarray(offset, offset + text.length)).toString('latin1') === text;

const AVIF_BRANDS = new Set(['avif', 'avis']);

/** Identifies the image type from its first bytes, or null if it is none we accept. */
export function sniffImageType(head: Uint8Array): ImageType | null {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  if (ascii(head, 0, '\x89PNG\r\n\x1a\n')) return 'image/png';
  if (ascii(head, 0, 'GIF87a') || ascii(head, 0, 'GIF89a')) return 'image/gif';
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WEBP')) return 'image/webp';
  if (ascii(head, 0, 'II*\x00') || ascii(head, 0, 'MM\x00*')) return 'image/tiff';
  if (ascii(head, 4, 'ftyp')) {
    const major = Buffer.from(head.subarray(8, 12)).toString('latin1');
    if (AVIF_BRANDS.has(major)) return 'image/avif';
    // Compatible brands follow the minor version; some encoders put avif only there.
    for (let offset = 16; offset + 4 <= Math.min(head.length, SNIFF_BYTES); offset += 4) {
      if (AVIF_BRANDS.has(Buffer.from(head.subarray(offset, offset + 4)).toString('latin1')))
        return 'image/avif';
    }
  }
  return null;
}
