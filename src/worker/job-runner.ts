import type { Logger } from 'pino';
import type { JobOutcome } from '../core/processing.ts';
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
  onJobEnded?: (job: Job) => void;
}

/**
 * Consumes the queue: leases up to `concurrency` jobs, runs them, and applies each outcome
 * (delete, retry later, dead-letter). Leases are extended while a job runs, so a slow job
 * keeps its lease and a dead process's jobs come back after one visibility timeout.
 */
export class JobRunner {
  private readonly inFlight = new Map<string, { work: Promise<void>; receiptHandle: string }>();
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
      if (free > 0) {
        try {
          received = await queue.receive({ max: free, visibilityTimeoutSeconds });
        } catch (error) {
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
    try {
      const outcome = await handler(message.job, message.receiveCount);
      await this.apply(message, outcome);
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
      this.options.onJobEnded?.(message.job);
    }
  }

  private async apply(message: ReceivedJob, outcome: JobOutcome): Promise<void> {
    const { queue } = this.options;
    switch (outcome.action) {
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
    ? { result: outcome.result, stepMs: outcome.stepMs }
    : { reason: outcome.reason };
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
