import type { RawImage } from '../ports/analyzer.ts';
import type { ImageMetadata, Placeholder, ThumbnailSize } from './image.ts';

export type Thumbnails = Record<ThumbnailSize, Buffer> & { pixels: RawImage };

export interface ImageProbe {
  width: number;
  height: number;
  /** Frames in an animation, 1 otherwise. */
  pages: number;
  format: string;
}

/** The image work itself, behind an interface so processing logic can be tested against failures. */
export interface ImagePipeline {
  /** Reads only the header: dimensions and frame count, before anything is decoded. */
  probe(path: string): Promise<ImageProbe>;
  /** The three thumbnails, plus the large one's pixels for analysis (no second decode). */
  thumbnails(path: string): Promise<Thumbnails>;
  webp(path: string): Promise<Buffer>;
  /** Pixels for reading small text, which needs more of them than 1024 px gives. */
  textImage(path: string): Promise<RawImage>;
  /** Metadata and EXIF from the file; the placeholder from the thumbnails' decoded pixels. */
  describe(
    path: string,
    fileSize: number,
    pixels: RawImage,
  ): Promise<{ metadata: ImageMetadata; placeholder: Placeholder }>;
}
