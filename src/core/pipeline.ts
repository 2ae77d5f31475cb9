import type { ImageMetadata, Placeholder, ThumbnailSize } from './image.ts';

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
  thumbnails(path: string): Promise<Record<ThumbnailSize, Buffer>>;
  webp(path: string): Promise<Buffer>;
  describe(
    path: string,
    fileSize: number,
    smallThumbnail: Buffer,
  ): Promise<{ metadata: ImageMetadata; placeholder: Placeholder }>;
}
