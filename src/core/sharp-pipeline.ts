import sharp from 'sharp';
import { rgbaToThumbHash } from 'thumbhash';
import type { RawImage } from '../ports/analyzer.ts';
import { readExif } from './exif.ts';
import { THUMBNAIL_SIZES } from './image.ts';
import type { ImagePipeline, ImageProbe, Thumbnails } from './pipeline.ts';

const JPEG = { quality: 80, progressive: true } as const;
const WEBP = { quality: 80 } as const;
const TEXT_LONG_EDGE = { small: 800, min: 1600, max: 2400 } as const;

/**
 * The image pipeline on sharp/libvips. Outputs carry no metadata (sharp strips it unless
 * asked), so EXIF and GPS never leak into derivatives; colour is converted to sRGB.
 */
export class SharpPipeline implements ImagePipeline {
  constructor(private readonly maxPixels: number) {}

  private open(path: string) {
    // Second line of defence behind probe(): libvips refuses to decode more than this.
    return sharp(path, { limitInputPixels: this.maxPixels, failOn: 'error' });
  }

  async probe(path: string): Promise<ImageProbe> {
    const meta = await sharp(path, { limitInputPixels: false }).metadata();
    if (!meta.width || !meta.height || !meta.format) throw new Error('no image dimensions in header');
    return { width: meta.width, height: meta.height, pages: meta.pages ?? 1, format: meta.format };
  }

  /**
   * Decodes once at the largest thumbnail size (JPEG shrink-on-load makes this cheap), then
   * derives the smaller ones from those pixels instead of decoding the original again.
   */
  async thumbnails(path: string): Promise<Thumbnails> {
    const { data, info } = await this.open(path)
      .rotate()
      .resize(THUMBNAIL_SIZES.large, THUMBNAIL_SIZES.large, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const raw = { raw: rawShape(info, info.channels) };
    const encode = (size: number) =>
      sharp(data, raw).resize(size, size, { fit: 'inside', withoutEnlargement: true }).jpeg(JPEG).toBuffer();
    const [small, medium, large] = await Promise.all([
      encode(THUMBNAIL_SIZES.small),
      encode(THUMBNAIL_SIZES.medium),
      sharp(data, raw).jpeg(JPEG).toBuffer(),
    ]);
    return { small, medium, large, pixels: { data, width: info.width, height: info.height } };
  }

  async webp(path: string): Promise<Buffer> {
    return this.open(path).rotate().webp(WEBP).toBuffer();
  }

  /**
   * The image small text lines are read from (the detector finds them on the ≤ 1024 px
   * analysis pixels). Small images (scans, screenshots) are enlarged 1.5× (PP-OCR reads the
   * test page fully from it); large ones come out at 1,600–2,400 px on the long edge, at a
   * size JPEG can decode straight to (1/2, 1/4, 1/8 while that stays ≥ 1,600 px): a 12 MP
   * photo is decoded at 2120 px instead of in full (90 ms against 170 at 2400 px). Colour,
   * not greyscale: the recogniser greys only the lines it reads, and converting the whole
   * image would cost as much as decoding it.
   */
  async textImage(path: string) {
    const meta = await sharp(path, { limitInputPixels: false }).metadata();
    const edge = textLongEdge(Math.max(meta.width ?? 0, meta.height ?? 0));
    const { data, info } = await this.open(path)
      .rotate()
      .resize(edge, edge, { fit: 'inside' })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height };
  }

  async describe(path: string, fileSize: number, pixels: RawImage) {
    const [meta, exif, placeholder] = await Promise.all([
      sharp(path, { limitInputPixels: false }).metadata(),
      readExif(path),
      placeholderOf(pixels),
    ]);
    const orientation = meta.orientation ?? 1;
    const swapped = orientation >= 5;
    return {
      metadata: {
        // Dimensions as displayed, i.e. after EXIF orientation is applied.
        width: (swapped ? meta.height : meta.width) ?? 0,
        height: (swapped ? meta.width : meta.height) ?? 0,
        format: meta.format ?? 'unknown',
        size: fileSize,
        hasAlpha: meta.hasAlpha ?? false,
        orientation,
        exif,
      },
      placeholder,
    };
  }
}

/**
 * ThumbHash and dominant colour from the pixels already decoded for the thumbnails: one
 * 100-px reduction, no second decode of anything.
 */
async function placeholderOf(pixels: RawImage) {
  const { data, info } = await sharp(pixels.data, { raw: rawShape(pixels, 3) })
    .resize(100, 100, { fit: 'inside' })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    thumbhash: Buffer.from(rgbaToThumbHash(info.width, info.height, data)).toString('base64'),
    dominantColor: dominantColour(data),
  };
}

/**
 * The centre of the fullest bin of a 16-level-per-channel histogram, as sharp's
 * `stats().dominant` defines it; counted here because stats() costs ~10 ms even on 100 px.
 */
function dominantColour(rgba: Buffer): string {
  const bins = new Uint32Array(4096);
  let best = 0;
  for (let i = 0; i < rgba.length; i += 4) {
    const bin =
      ((rgba[i] as number) >> 4) * 256 + ((rgba[i + 1] as number) >> 4) * 16 + ((rgba[i + 2] as number) >> 4);
    bins[bin] = (bins[bin] as number) + 1;
    if ((bins[bin] as number) > (bins[best] as number)) best = bin;
  }
  const centre = (level: number) => (level * 16 + 8).toString(16).padStart(2, '0');
  return `#${centre(best >> 8)}${centre((best >> 4) & 15)}${centre(best & 15)}`;
}

/** The long edge of the text image for an original whose long edge is `longEdge`. */
export function textLongEdge(longEdge: number): number {
  if (longEdge < TEXT_LONG_EDGE.small) return Math.round(longEdge * 1.5);
  let edge = longEdge;
  while (edge / 2 >= TEXT_LONG_EDGE.min) edge /= 2;
  return Math.floor(Math.min(edge, TEXT_LONG_EDGE.max));
}

function rawShape(size: { width: number; height: number }, channels: 1 | 2 | 3 | 4) {
  return { width: size.width, height: size.height, channels };
}
