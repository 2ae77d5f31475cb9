/** How a wait for an image's next change ended. */
export type ChangeWait = 'changed' | 'timeout' | 'closed';

/**
 * Change notices for images, so that a status request with `wait` can answer the moment a
 * job ends instead of clients polling in a tight loop. Notices are a hint: the waiter always
 * re-reads the record, so a missed notice costs latency, never correctness.
 */
export interface ImageEvents {
  /** Something about this image may have changed (a job ended, it was deleted). */
  changed(imageId: string): void;
  /** Resolves on the next change of this image, after `ms`, or at once when closed. */
  next(imageId: string, ms: number): Promise<ChangeWait>;
  /** The server is draining: wake every waiter now and let no new one wait. */
  close(): void;
}
