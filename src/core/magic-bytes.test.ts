import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { sniffImageType } from './magic-bytes.ts';

describe('Function: sniffImageType', () => {
  const image = sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } });

  it.each([
    ['image/jpeg', () => image.clone().jpeg().toBuffer()],
    ['image/png', () => image.clone().png().toBuffer()],
    ['image/gif', () => image.clone().gif().toBuffer()],
    ['image/webp', () => image.clone().webp().toBuffer()],
    ['image/avif', () => image.clone().avif().toBuffer()],
    ['image/tiff', () => image.clone().tiff().toBuffer()],
  ])('recognises %s from its first bytes', async (type, encode) => {
    expect(sniffImageType((await encode()).subarray(0, 32))).toBe(type);
  });

  it.each([
    ['empty', Buffer.alloc(0)],
    ['HTML', Buffer.from('<!doctype html><script>alert(1)</script>')],
    ['SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"></svg>')],
    ['a HEIC ftyp', Buffer.from('\0\0\0\x18ftypheic\0\0\0\0mif1heic', 'latin1')],
    ['random bytes', Buffer.from('8a7d6f5e4c3b2a1908f7e6d5c4b3a291', 'hex')],
  ])('rejects %s', (_name, bytes) => {
    expect(sniffImageType(bytes)).toBeNull();
  });
});
