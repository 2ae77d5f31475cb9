/**
 * Version counters for image records, so readers can keep what they derived from a record
 * (a response body) and reuse it while the record has not changed.
 *
 * A writer wraps each change in `write`; while one runs, `image()` and `any()` answer null
 * and readers go to the database. Counting the write as under way until after it has
 * committed closes the gap where a reader could see the new row elsewhere but still the
 * old version here (a writer thread can be descheduled between its commit and its bump).
 */
export interface ImageVersions {
  /** Runs a synchronous change to the image's record, moving its version around it. */
  write<T>(imageId: string, change: () => T): T;
  /** Moves when this image changes (rarely also for another one); null while one is being written. */
  image(imageId: string): number | null;
  /** Moves when any image is created, changed or deleted; null while any is being written. */
  any(): number | null;
}
