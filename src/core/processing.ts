import type { Analyzer } from '../ports/analyzer.ts';
import type { BlobStore } from '../ports/blob-store.ts';
import type { Clock } from '../ports/clock.ts';
import type { ImageRepository, StepUpdate } from '../ports/image-repository.ts';
import { analyzeImage } from './analyze-image.ts';
import { ImageGoneError, ProcessingError } from './errors.ts';
import { type ImageRecord, imagePrefix, requestedAnalyses, type StepName, storageKey } from './image.ts';
import { TRANSITIONS } from './image-state.ts';
import type { ImagePipeline } from './pipeline.ts';
import { isStorageFull } from './storage-full.ts';

export interface ProcessingDeps {
  repo: ImageRepository;
  blobs: BlobStore;
  pipeline: ImagePipeline;
  /** Null when the server runs no analysis (ANALYSIS=none). */
  analyzer: Analyzer | null;
  clock: Clock;
  maxPixels: number;
  maxAttempts: number;
  retryBaseDelayMs: number;
  /**
   * Whether the home's own disk is below its free-space minimum right now (local); absent
   * where storage cannot fill up (AWS). Only then does a storage-full error postpone the job
   * uncounted: a full /tmp, a quota or one output too big for what is left is an ordinary
   * retryable failure, so it cannot be postponed forever.
   */
  storageLow?: () => Promise<boolean>;
}

/** What the queue should do with the message once the job has run. */
export type JobOutcome = (
  | {
      action: 'delete';
      result: 'completed' | 'failed' | 'skipped';
      /** Why it failed, for traces (the image record says so too). */
      reason?: string;
    }
  | { action: 'retry'; delaySeconds: number; reason: string }
  /** Storage was full: run again later, and this attempt does not count (see JobQueue.postpone). */
  | { action: 'postpone'; delaySeconds: number; reason: string }
  | { action: 'dead-letter'; reason: string }
) & { steps?: StepTimings };

/**
 * When the steps of a delivery ran, for traces: measured where the job runs (a worker thread
 * locally) and carried back as plain data, so that the main thread can draw a span for each.
 */
export interface StepTimings {
  /** When the first step began, in epoch ms (threads share the clock, unlike performance.now()). */
  startedAt: number;
  /** Each step that ended, in the order they ran, with its duration in ms; then the one that failed. */
  ms: Record<string, number>;
  /** The step that was running when the delivery failed. */
  failed?: string;
}

/**
 * Runs one delivery of a process-image job and decides its fate. Safe to run twice: it
 * writes the same keys, and the conditional start lets only the newest delivery proceed.
 */
export async function runProcessImageJob(
  deps: ProcessingDeps,
  job: { tenant: string; imageId: string },
  attempt: number,
): Promise<JobOutcome> {
  const record = await deps.repo.transition(
    job.imageId,
    TRANSITIONS.startProcessing(attempt, deps.clock.now()),
  );
  if (!record) return { action: 'delete', result: 'skipped' };
  const running: RunningStep = { step: null, stepMs: {}, mark: performance.now() };
  const startedAt = performance.timeOrigin + running.mark;
  try {
    const ms = await processImage(deps, record, running, attempt < deps.maxAttempts);
    return { action: 'delete', result: 'completed', steps: { startedAt, ms } };
  } catch (error) {
    const failed = running.step ?? 'processing';
    const ms = { ...running.stepMs, [failed]: Math.round(performance.now() - running.mark) };
    const steps: StepTimings = { startedAt, ms, failed };
    if (error instanceof ImageGoneError) {
      // A write was refused: the image was deleted (its files are ours to clean up), or another
      // delivery of this job finished or retried it meanwhile (at-least-once queues do that):
      // then the files are that delivery's, and this one just stops.
      if (!(await deps.repo.getById(record.imageId)))
        await deps.blobs.deletePrefix(imagePrefix(record.tenant, record.imageId));
      // Interrupted, not failed: no step is to blame.
      return { action: 'delete', result: 'skipped', steps: { startedAt, ms } };
    }
    return { ...(await failureOutcome(deps, record, attempt, error, running.step)), steps };
  }
}

/**
 * Decides between retry and failure. Only the final failure marks the step that was running
 * as failed; a retry leaves the steps alone, as the next attempt runs them all again.
 */
async function failureOutcome(
  deps: ProcessingDeps,
  record: ImageRecord,
  attempt: number,
  error: unknown,
  step: StepName | null,
): Promise<JobOutcome> {
  const message = error instanceof Error ? error.message : String(error);
  const failure =
    error instanceof ProcessingError && !isStorageFull(error)
      ? error
      : isStorageFull(error)
        ? new ProcessingError('STORAGE_FULL', message, { retryable: true, cause: error })
        : new ProcessingError('PROCESSING_ERROR', message, { retryable: true, cause: error });
  const now = deps.clock.now();
  if (isStorageFull(error) && (await deps.storageLow?.().catch(() => true))) {
    // Not the image's fault: wait for space without using up its attempts. The queue and the
    // image record it (TRANSITIONS.postpone) where the consumer applies the outcome, which
    // can try again until the database has room to say so.
    return {
      action: 'postpone',
      delaySeconds: STORAGE_FULL_RETRY_SECONDS,
      reason: `STORAGE_FULL: ${failure.message}`,
    };
  }
  if (failure.retryable && attempt < deps.maxAttempts) {
    const delaySeconds = backoffSeconds(attempt, deps.retryBaseDelayMs);
    const message = `Attempt ${attempt} of ${deps.maxAttempts} failed (${failure.code}); retrying in ${delaySeconds.toFixed(1)} s`;
    await deps.repo.transition(record.imageId, TRANSITIONS.scheduleRetry(message, now));
    return { action: 'retry', delaySeconds, reason: `${failure.code}: ${failure.message}` };
  }
  const reason = { code: failure.code, message: failure.message };
  await deps.repo.transition(record.imageId, TRANSITIONS.fail(reason, now, step));
  if (!failure.retryable)
    return { action: 'delete', result: 'failed', reason: `${failure.code}: ${failure.message}` };
  return { action: 'dead-letter', reason: `${failure.code}: ${failure.message} (after ${attempt} attempts)` };
}

/** How soon a job postponed for a full disk looks again (the local runner also waits for space). */
export const STORAGE_FULL_RETRY_SECONDS = 5;

/** Exponential backoff with full jitter, as AWS recommends: random in [base·2^(n-1)/2, base·2^(n-1)]. */
export function backoffSeconds(attempt: number, baseDelayMs: number): number {
  const ceiling = baseDelayMs * 2 ** (attempt - 1);
  return (ceiling / 2 + Math.random() * (ceiling / 2)) / 1000;
}

/** How far processImage got, so that a failure can be pinned on a step and timed. */
interface RunningStep {
  /** The step it is working on; null between steps. */
  step: StepName | null;
  /** How long each finished step took, in ms. */
  stepMs: Record<string, number>;
  /** When the step under way began (performance.now()). */
  mark: number;
}

/** Processes one image; returns how long each step took, for the job log. */
async function processImage(
  deps: ProcessingDeps,
  record: ImageRecord,
  running: RunningStep,
  /** Whether another attempt will follow a failure: a temporary analysis failure may wait for it. */
  canRetry: boolean,
): Promise<Record<string, number>> {
  const { repo, blobs, pipeline, clock } = deps;
  const { stepMs } = running;
  const lap = (name: string) => {
    const now = performance.now();
    stepMs[name] = Math.round(now - running.mark);
    running.mark = now;
  };
  const key = (v: Parameters<typeof storageKey>[2]) => storageKey(record.tenant, record.imageId, v);
  const step = async (update: StepUpdate) => {
    if (!(await repo.updateStep(record.imageId, update, clock.now())))
      throw new ImageGoneError(record.imageId);
  };
  // Reading the original and checking its header are part of the first step.
  running.step = 'thumbnail';
  // Gone from storage while its record stays (lost, or removed by hand): no attempt will
  // find it, whichever store it was in, so fail now rather than retry into the DLQ.
  if (!(await blobs.stat(key('original'))))
    throw new ProcessingError('ORIGINAL_MISSING', 'The original is not in storage', { retryable: false });
  const original = await blobs.localPath(key('original'));
  try {
    const probe = await pipeline.probe(original.path).catch((cause) => {
      throw new ProcessingError('UNDECODABLE', 'The file is not a decodable image', {
        retryable: false,
        cause,
      });
    });
    const pixels = probe.width * probe.height * probe.pages;
    if (pixels > deps.maxPixels) {
      throw new ProcessingError(
        'TOO_MANY_PIXELS',
        `The image has ${pixels} pixels (${probe.width}×${probe.height}×${probe.pages} frames); the limit is ${deps.maxPixels}`,
        { retryable: false },
      );
    }
    lap('probe');

    const thumbs = await decode(() => pipeline.thumbnails(original.path));
    await blobs.write(key('thumb-small'), thumbs.small);
    await blobs.write(key('thumb-medium'), thumbs.medium);
    await blobs.write(key('thumb-large'), thumbs.large);
    await step({
      step: 'thumbnail',
      state: 'completed',
      variants: ['thumb-small', 'thumb-medium', 'thumb-large'],
    });
    lap('thumbnail');
    running.step = 'webp';

    await blobs.write(key('webp'), await decode(() => pipeline.webp(original.path)));
    await step({ step: 'webp', state: 'completed', variants: ['webp'] });
    lap('webp');
    running.step = 'metadata';

    const size = record.size ?? (await blobs.stat(key('original')))?.size ?? 0;
    const described = await decode(() => pipeline.describe(original.path, size, thumbs.pixels));
    await step({ step: 'metadata', state: 'completed', ...described });
    lap('metadata');
    running.step = null;

    const analyses = requestedAnalyses(record.steps);
    if (analyses.length > 0) {
      // A failing analysis only fails its own step; this is for anything else that throws.
      running.step = 'analysis';
      await step({ step: 'analysis', state: 'processing' });
      const input = {
        pixels: thumbs.pixels,
        jpeg: thumbs.large,
        textImage: () => decode(() => pipeline.textImage(original.path)),
      };
      const outcome = await analyzeImage(
        deps.analyzer,
        analyses,
        input,
        (name, state) => step({ step: name, state }),
        { retryTemporaryFailures: canRetry },
      );
      const allFailed = outcome.analysis.errors.length === analyses.length;
      await step({
        step: 'analysis',
        state: allFailed ? 'failed' : 'completed',
        analysis: outcome.analysis,
        terms: outcome.terms,
      });
      Object.assign(stepMs, outcome.stepMs);
      running.mark = performance.now();
      running.step = null;
    }

    if (!(await repo.transition(record.imageId, TRANSITIONS.complete(clock.now()))))
      throw new ImageGoneError(record.imageId);
    return stepMs;
  } finally {
    await original.release();
  }
}

/**
 * A header that parsed but pixels that do not decode (truncated or corrupt data) is the
 * file's fault, not ours: mark it undecodable instead of retrying.
 */
async function decode<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (
      /VipsJpeg|VipsPng|VipsGif|VipsForeign|premature end|corrupt|Input (file|buffer)|bad seek|decode/i.test(
        message,
      )
    ) {
      throw new ProcessingError('UNDECODABLE', 'The image data could not be decoded', {
        retryable: false,
        cause: error,
      });
    }
    throw error;
  }
}
