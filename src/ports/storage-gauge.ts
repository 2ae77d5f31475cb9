/** How a home's own storage stands, for /health. */
export interface StorageReport {
  /** ok; low: uploads are refused; full: a write failed for lack of space, processing waits. */
  status: 'ok' | 'low' | 'full';
  freeMb: number;
  minFreeMb: number;
  /** Held for the outputs of accepted images not processed yet. */
  reservedMb: number;
}

/**
 * Free space where the home keeps its files, when it has a disk of its own (the embedded
 * home; S3 and DynamoDB do not fill up, so the AWS home has none). Uploads ask it first, so
 * a nearly full disk refuses them with a clear 507 instead of failing halfway.
 */
export interface StorageGauge {
  /**
   * Throws InsufficientStorageError unless `bytes` more, on top of what is reserved, would
   * still leave the minimum free.
   */
  assertRoomFor(bytes: number): void;
  /** Holds room for an accepted image's outputs until release(): its backlog must fit too. */
  reserve(imageId: string, bytes: number): void;
  release(imageId: string): void;
  /** A write failed for lack of space: processing waits until space returns. */
  reportFull(): void;
  report(): StorageReport;
}
