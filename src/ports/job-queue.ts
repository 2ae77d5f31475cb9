/** Jobs are typed by name; adding a name without a handler fails to compile. */
export interface JobData {
  'process-image': { tenant: string; imageId: string };
}
export type JobName = keyof JobData;
export type Job<N extends JobName = JobName> = { name: N; data: JobData[N] };

export interface ReceivedJob {
  id: string;
  job: Job;
  /** Opaque lease token; only the current holder can delete or extend. */
  receiptHandle: string;
  /** How many times this message has been delivered, this delivery included (SQS's ApproximateReceiveCount). */
  receiveCount: number;
}

export interface DeadLetter {
  id: string;
  job: Job;
  receiveCount: number;
  lastError: string | null;
  deadLetteredAt: number;
}

/**
 * At-least-once queue with SQS semantics: a received job is invisible for the visibility
 * timeout, then delivered again unless deleted; after `maxReceives` deliveries it moves to
 * the dead-letter queue instead.
 */
export interface JobQueue {
  send(job: Job, options?: { delaySeconds?: number }): Promise<string>;
  receive(options: { max: number; visibilityTimeoutSeconds: number }): Promise<ReceivedJob[]>;
  delete(receiptHandle: string): Promise<boolean>;
  changeVisibility(receiptHandle: string, seconds: number, lastError?: string): Promise<boolean>;
  /** Moves the job to the dead-letter queue now (the last attempt failed). */
  deadLetter(receiptHandle: string, reason: string): Promise<boolean>;
  /** Drops queued jobs for a deleted image (a no-op where the queue cannot, e.g. SQS: the job then finds no image). */
  deleteJobsFor(imageId: string): Promise<number>;
}

/**
 * Administration of the dead-letter queue, apart from the queue itself: SQS lists a DLQ by
 * receiving from it (and so only sees messages not already being looked at) and redrives by
 * moving messages, while a SQL table simply selects and updates.
 */
export interface DeadLetterQueue {
  /** Up to `limit` dead letters, oldest first where the store keeps order. */
  listDeadLetters(limit: number): Promise<DeadLetter[]>;
  /** Moves these dead letters (all if no ids) back to the main queue with a fresh receive count. */
  redrive(ids?: string[]): Promise<number>;
}
