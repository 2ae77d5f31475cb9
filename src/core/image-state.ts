import type { ImageErrorInfo, ImageRecord, ImageStatus, StepName, Steps } from './image.ts';

/**
 * The image state machine as data. Every change of status is one of these transitions; a
 * repository turns each into a single conditional write (an SQL `WHERE status IN …`, a
 * DynamoDB `ConditionExpression`), so a duplicate or late job delivery can never move an
 * image backwards, whichever store holds it.
 *
 *   pending ──markUploaded──► uploaded ──startProcessing──► processing ──complete──► completed
 *      │                         ▲   ▲                          │  │
 *      │                         │   └──────scheduleRetry───────┘  │
 *      └──────────fail───────────┼────────► failed ◄───fail────────┘   (uploaded → failed too)
 *                                └──reopen───┘
 */
export interface StateChange {
  transition: TransitionName;
  /** The write happens only if the stored status is one of these. */
  from: readonly ImageStatus[];
  to: ImageStatus;
  /** Fields written with the status. */
  set: Partial<Pick<ImageRecord, TransitionField>>;
  /** Steps whose state changes in the same write (a nested update where the store has one). */
  steps?: Partial<Steps>;
  /** A further condition: the stored attempt number is below this one (a newer delivery). */
  attemptsBelow?: number;
}

/** Every field a transition may write besides `status`; adapters map each to a column or attribute. */
export const TRANSITION_FIELDS = [
  'size',
  'attempts',
  'message',
  'error',
  'uploadedAt',
  'startedAt',
  'processedAt',
  'updatedAt',
  'expiresAt',
] as const satisfies readonly (keyof ImageRecord)[];
export type TransitionField = (typeof TRANSITION_FIELDS)[number];

export const TRANSITIONS = {
  /** The original is stored and checked: processing may start. */
  markUploaded: (size: number, now: number, expiresAt: number): StateChange => ({
    transition: 'markUploaded',
    from: ['pending'],
    to: 'uploaded',
    set: { size, uploadedAt: now, updatedAt: now, expiresAt, message: 'Queued for processing' },
  }),
  /** A delivery of the job starts; only one newer than the last attempt proceeds. */
  startProcessing: (attempt: number, now: number): StateChange => ({
    transition: 'startProcessing',
    from: ['uploaded', 'processing'],
    to: 'processing',
    set: { attempts: attempt, startedAt: now, updatedAt: now, message: 'Processing', error: null },
    attemptsBelow: attempt,
  }),
  complete: (now: number): StateChange => ({
    transition: 'complete',
    from: ['processing'],
    to: 'completed',
    set: { processedAt: now, updatedAt: now, message: 'Processing complete' },
  }),
  /** A retryable failure: the queue will deliver the job again. */
  scheduleRetry: (message: string, now: number): StateChange => ({
    transition: 'scheduleRetry',
    from: ['processing'],
    to: 'uploaded',
    set: { message, updatedAt: now },
  }),
  /**
   * Storage was full: the job waits for space, and this attempt does not count, so the next
   * delivery (which the queue gives the same number) may start.
   */
  postpone: (attempt: number, now: number): StateChange => ({
    transition: 'postpone',
    from: ['processing'],
    to: 'uploaded',
    set: {
      attempts: attempt - 1,
      message: 'Waiting for free disk space (storage full); this attempt is not counted',
      updatedAt: now,
    },
  }),
  /**
   * The last attempt failed, the failure is permanent, or the upload itself was refused
   * (from pending, on AWS, where the bytes reach S3 before anything checks them). `step`, the
   * one that was running, says failed; those never reached stay as they are and show as
   * skipped (visibleSteps).
   */
  fail: (error: ImageErrorInfo, now: number, step: StepName | null, expiresAt?: number): StateChange => ({
    transition: 'fail',
    from: ['pending', 'uploaded', 'processing'],
    to: 'failed',
    // A refused upload had no retention yet: give it one, or it would never be swept.
    set: { error, message: `Failed: ${error.message}`, updatedAt: now, ...(expiresAt ? { expiresAt } : {}) },
    ...(step ? { steps: { [step]: 'failed' } } : {}),
  }),
  /** A dead-lettered job is redriven: attempts start again, the steps to rerun are pending. */
  reopen: (now: number, rerun: readonly StepName[]): StateChange => ({
    transition: 'reopen',
    from: ['failed'],
    to: 'uploaded',
    set: { attempts: 0, error: null, updatedAt: now, message: 'Queued for processing again (redriven)' },
    steps: Object.fromEntries(rerun.map((step) => [step, 'pending'])),
  }),
} as const;
export type TransitionName = keyof typeof TRANSITIONS;
