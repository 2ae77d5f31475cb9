import type { Logger } from 'pino';
import { type JobOutcome, STORAGE_FULL_RETRY_SECONDS } from '../core/processing.ts';
import { isStorageFull } from '../core/storage-full.ts';
import type { Job, JobQueue, ReceivedJob } from '../ports/job-queue.ts';

export type JobHandler = (job: Job, attempt: number) => Promise<JobOutcome>;

export interface JobRunnerOptions {
  queue: JobQueue;
  handler: JobHandler;
  concurrency: number;
  visibilityTimeoutSeconds: number;
  pollIntervalMs?: number;
  logger: Logger;
  /** Called after each delivery has run and its outcome was applied (or the handler broke). */
  onJobEnded?: (job: Job, outcome: JobOutcome | 'crashed') => void;
  /**
   * While this says so, no job is taken (the disk is full: every job would fail for want of
   * space, and each delivery would count). Call wake() when it changes.
   */
  paused?: () => boolean;
  /** A job or the queue's own bookkeeping failed for lack of storage. */
  onStorageFull?: () => void;
  /** Records a postponed delivery beyond the queue (the image's state); retried like the queue's. */
  onPostpone?: (job: Job, attempt: number) => Promise<void>;
}

interface Postponed {
  message: ReceivedJob;
  outcome: Extract<JobOutcome, { action: 'postpone' }>;
}

/**
 * Consumes the queue: leases up to `concurrency` jobs, runs them, and applies each outcome
 * (delete, retry later, dead-letter). Leases are extended while a job runs, so a slow job
 * keeps its lease and a dead process's jobs come back after one visibility timeout.
 */
export class JobRunner {
  private readonly inFlight = new Map<string, { work: Promise<void>; receiptHandle: string }>();
  /** Postpones the queue could not record (its database was full), tried again before any receive. */
  private readonly unrecordedPostpones = new Map<string, Postponed>();
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;

  constructor(private readonly options: JobRunnerOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Ends the poll wait early: a job was just enqueued. */
  wake(): void {
    this.wakeUp?.();
  }

  get activeJobs(): number {
    return this.inFlight.size;
  }

  /**
   * Stops taking jobs and waits for those in flight up to `graceMs`; any still running then
   * are made visible again at once so the next start picks them up.
   */
  async stop(graceMs: number): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    const all = Promise.allSettled([...this.inFlight.values()].map((j) => j.work));
    const timedOut = await Promise.race([all.then(() => false), delay(graceMs).then(() => true)]);
    if (!timedOut) return;
    this.options.logger.warn(
      { jobs: this.inFlight.size },
      'shutdown grace ran out; returning jobs to the queue',
    );
    for (const { receiptHandle } of this.inFlight.values()) {
      await this.options.queue.changeVisibility(receiptHandle, 0).catch(() => {});
    }
  }

  private async run(): Promise<void> {
    const { queue, concurrency, visibilityTimeoutSeconds, logger } = this.options;
    while (this.running) {
      const free = concurrency - this.inFlight.size;
      let received: ReceivedJob[] = [];
      if (free > 0 && !this.options.paused?.() && (await this.recordPostpones())) {
        try {
          received = await queue.receive({ max: free, visibilityTimeoutSeconds });
        } catch (error) {
          if (isStorageFull(error)) this.options.onStorageFull?.();
          logger.error({ err: error }, 'queue receive failed');
        }
      }
      for (const message of received) {
        const work = this.execute(message).finally(() => {
          this.inFlight.delete(message.id);
          this.wake();
        });
        this.inFlight.set(message.id, { work, receiptHandle: message.receiptHandle });
      }
      if (received.length === 0 || this.inFlight.size >= concurrency) await this.idle();
    }
  }

  /** The image's side first: once the queue's is written, the job can be delivered again. */
  private async recordPostpone({ message, outcome }: Postponed): Promise<void> {
    await this.options.onPostpone?.(message.job, message.receiveCount);
    await this.options.queue.postpone(message.receiptHandle, outcome.delaySeconds, outcome.reason);
  }

  /** Records postpones the queue refused for lack of space; true once none is left. */
  private async recordPostpones(): Promise<boolean> {
    for (const [receiptHandle, postponed] of this.unrecordedPostpones) {
      try {
        await this.recordPostpone(postponed);
        this.unrecordedPostpones.delete(receiptHandle);
      } catch (error) {
        if (!isStorageFull(error)) {
          // Anything but a full store means the handle is no use any more: drop it.
          this.unrecordedPostpones.delete(receiptHandle);
          continue;
        }
        this.options.onStorageFull?.();
        return false;
      }
    }
    return true;
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.options.pollIntervalMs ?? 500);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }

  private async execute(message: ReceivedJob): Promise<void> {
    const { queue, handler, visibilityTimeoutSeconds, logger } = this.options;
    const log = logger.child({
      jobId: message.id,
      job: message.job.name,
      attempt: message.receiveCount,
      ...message.job.data,
    });
    const heartbeat = setInterval(
      () => {
        queue.changeVisibility(message.receiptHandle, visibilityTimeoutSeconds).catch((err) => {
          log.warn({ err }, 'could not extend job lease');
        });
      },
      (visibilityTimeoutSeconds * 1000) / 2,
    );
    const started = Date.now();
    let ended: JobOutcome | 'crashed' = 'crashed';
    try {
      const outcome = await handler(message.job, message.receiveCount).catch((error: unknown) => {
        // Storage full before the job could even say so (its first database write): the
        // same as a job that reported it.
        if (!isStorageFull(error)) throw error;
        return postponeFor(error);
      });
      await this.apply(message, outcome);
      ended = outcome;
      log.info(
        { outcome: outcome.action, ms: Date.now() - started, ...outcomeDetail(outcome) },
        'job finished',
      );
    } catch (error) {
      // The handler itself broke (e.g. a worker thread died): leave the lease to expire so
      // the job is delivered again, counting towards the dead-letter limit.
      log.error(
        { err: error },
        'job handler crashed; it will be delivered again after the visibility timeout',
      );
    } finally {
      clearInterval(heartbeat);
      try {
        this.options.onJobEnded?.(message.job, ended);
      } catch (error) {
        // Its listeners (metrics, webhooks, held space) must not take the runner down.
        log.error({ err: error }, 'after-job hook failed');
      }
    }
  }

  private async apply(message: ReceivedJob, outcome: JobOutcome): Promise<void> {
    const { queue } = this.options;
    switch (outcome.action) {
      case 'postpone':
        this.options.onStorageFull?.();
        try {
          await this.recordPostpone({ message, outcome });
        } catch (error) {
          if (!isStorageFull(error)) throw error;
          // The database is full too. The lease will run out and the job come back (nothing
          // is lost), but counted, to an image still marked as on that attempt: so the
          // postpone is kept and recorded before this runner takes any job again; until then
          // the handle stays this delivery's.
          this.unrecordedPostpones.set(message.receiptHandle, { message, outcome });
        }
        return;
      case 'delete':
        await queue.delete(message.receiptHandle);
        return;
      case 'retry':
        await queue.changeVisibility(message.receiptHandle, outcome.delaySeconds, outcome.reason);
        return;
      case 'dead-letter':
        await queue.deadLetter(message.receiptHandle, outcome.reason);
        return;
    }
  }
}

function outcomeDetail(outcome: JobOutcome): Record<string, unknown> {
  return outcome.action === 'delete'
    ? { result: outcome.result, stepMs: outcome.result === 'completed' ? outcome.steps?.ms : undefined }
    : { reason: outcome.reason };
}

function postponeFor(error: unknown): JobOutcome {
  const message = error instanceof Error ? error.message : String(error);
  return { action: 'postpone', delaySeconds: STORAGE_FULL_RETRY_SECONDS, reason: `STORAGE_FULL: ${message}` };
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
