/** Jobs are typed by name; adding a name without a handler fails to compile. */
export interface JobData {
  /** `traceparent`: the upload request's trace, where the home traces (see CoreDeps.traceparent). */
  'process-image': { tenant: string; imageId: string; traceparent?: string };
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
  /** What `redrive` takes. SQS: the DLQ message's id, a new one when `deadLetter` copied the job there. */
  id: string;
  job: Job;
  receiveCount: number;
  /** Why it gave up, where known: SQS keeps `deadLetter`'s reason but never `changeVisibility`'s `lastError`. */
  lastError: string | null;
  /** Epoch ms. SQS: when a job moved by its redrive policy (not by `deadLetter`) was first sent. */
  deadLetteredAt: number;
}

/**
 * At-least-once queue with SQS semantics: a received job is invisible for the visibility
 * timeout, then delivered again unless deleted; after `maxReceives` deliveries it moves to
 * the dead-letter queue instead. No order is promised. Handlers must be idempotent: a job
 * can run twice, and a lease-holder cannot always learn that its lease was lost (below).
 *
 * Methods taking a receipt handle answer `false`, never throw, when the store refuses the
 * handle: one it never issued, or one for a job already gone (SQS: `delete` accepts that
 * again). A handle superseded by a later delivery is refused by SQL, but SQS accepts any
 * handle the message ever had: there a worker whose lease lapsed can still extend, delete
 * or dead-letter the job. Hence the lease heartbeat while a job runs, and idempotent jobs.
 * `test/contracts/job-queue.contract.ts` holds every adapter to this.
 */
export interface JobQueue {
  /** Returns the id `receive` will report. SQS counts whole seconds: a delay rounds up and stops at 900. */
  send(job: Job, options?: { delaySeconds?: number }): Promise<string>;
  /** Leases up to `max` ready jobs; SQS gives at most 10 a call and may give fewer than are ready. */
  receive(options: { max: number; visibilityTimeoutSeconds: number }): Promise<ReceivedJob[]>;
  /** Ends the job for good; false if the handle is refused (SQS: see above). */
  delete(receiptHandle: string): Promise<boolean>;
  /**
   * The lease now ends `seconds` from now (0: deliver again at once). `lastError` is kept
   * for the dead-letter listing where the store can (SQL); SQS cannot change a sent message,
   * so there it is dropped and only `deadLetter`'s reason reaches the dead letter.
   */
  changeVisibility(receiptHandle: string, seconds: number, lastError?: string): Promise<boolean>;
  /**
   * Like changeVisibility, but this delivery is not counted towards the dead-letter limit:
   * the job could not run for a reason that is not its own (the disk was full). SQL gives
   * the receive count back; SQS cannot change ApproximateReceiveCount, so there it counts.
   */
  postpone(receiptHandle: string, seconds: number, reason: string): Promise<boolean>;
  /** Moves the job to the dead-letter queue now (the last attempt failed); SQS: a copy, then a delete. */
  deadLetter(receiptHandle: string, reason: string): Promise<boolean>;
  /** Drops queued jobs for a deleted image and says how many; SQS cannot (0): the job then finds no image. */
  deleteJobsFor(imageId: string): Promise<number>;
}

/**
 * Administration of the dead-letter queue, apart from the queue itself: SQS lists a DLQ by
 * receiving from it (and so only sees messages not already being looked at) and redrives by
 * moving messages, while a SQL table simply selects and updates.
 */
export interface DeadLetterQueue {
  /** Up to `limit` dead letters, oldest first (SQS has no order to page through: it sorts the page it returns). */
  listDeadLetters(limit: number): Promise<DeadLetter[]>;
  /** Moves these dead letters (all if no ids) back to the main queue, receive count fresh (SQS: new ids). */
  redrive(ids?: string[]): Promise<number>;
}
