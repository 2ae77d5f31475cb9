import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { SharpPipeline, textLongEdge } from './sharp-pipeline.ts';

describe('textLongEdge', () => {
  it('enlarges small images 1.5× and keeps mid-sized ones as they are', () => {
    expect(textLongEdge(600)).toBe(900);
    expect(textLongEdge(1000)).toBe(1000);
    expect(textLongEdge(2400)).toBe(2400);
  });

  it('halves large images while they stay at 1,600 px or more, then caps them at 2,400', () => {
    // A 12 MP photo: JPEG decodes straight to half size.
    expect(textLongEdge(4240)).toBe(2120);
    expect(textLongEdge(3300)).toBe(1650);
    // Halving would go under 1,600: decoded in full and reduced.
    expect(textLongEdge(3000)).toBe(2400);
    expect(textLongEdge(6000)).toBe(2400);
    expect(textLongEdge(8000)).toBe(2000);
  });
});

describe('SharpPipeline.textImage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'text-image-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('returns sRGB pixels at the chosen size, turned upright', async () => {
    const path = join(dir, 'portrait.jpg');
    // Stored landscape, displayed portrait (EXIF orientation 6).
    const bytes = await sharp({ create: { width: 4240, height: 2832, channels: 3, background: '#336699' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    writeFileSync(path, bytes);
    const image = await new SharpPipeline(100e6).textImage(path);
    expect([image.width, image.height]).toEqual([1416, 2120]);
    expect(image.data.length).toBe(1416 * 2120 * 3);
  });
});
