import { Transform, type TransformCallback } from 'node:stream';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from './errors.ts';
import type { ImageType } from './image.ts';
import { SNIFF_BYTES, sniffImageType } from './magic-bytes.ts';

/**
 * Passes an upload through while enforcing the size limit as bytes arrive (so an oversized
 * body is cut off, not buffered) and checking the magic number against the signed type.
 */
export class UploadGuard extends Transform {
  private received = 0;
  private head: Buffer[] = [];
  private headLength = 0;
  private sniffed = false;

  constructor(
    private readonly expectedType: ImageType,
    private readonly maxBytes: number,
  ) {
    super();
  }

  get bytesReceived(): number {
    return this.received;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.received += chunk.length;
    if (this.received > this.maxBytes) {
      callback(new PayloadTooLargeError(`Upload exceeds MAX_UPLOAD_BYTES (${this.maxBytes} bytes)`));
      return;
    }
    if (this.sniffed) {
      callback(null, chunk);
      return;
    }
    this.head.push(chunk);
    this.headLength += chunk.length;
    if (this.headLength < SNIFF_BYTES) {
      callback();
      return;
    }
    this.releaseHead(callback);
  }

  override _flush(callback: TransformCallback): void {
    if (this.received === 0) {
      callback(new ValidationError('body: the upload is empty', 'EMPTY_UPLOAD'));
      return;
    }
    if (!this.sniffed) {
      this.releaseHead(callback);
      return;
    }
    callback();
  }

  private releaseHead(callback: TransformCallback): void {
    const head = Buffer.concat(this.head);
    this.head = [];
    this.sniffed = true;
    const actual = sniffImageType(head);
    if (actual !== this.expectedType) {
      callback(
        new UnsupportedMediaTypeError(
          `body: expected ${this.expectedType} bytes but received ${actual ?? 'an unrecognised format'}`,
          'CONTENT_MISMATCH',
        ),
      );
      return;
    }
    callback(null, head);
  }
}
