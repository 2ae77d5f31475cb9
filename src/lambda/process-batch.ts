import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { parseBody } from '../adapters/aws/sqs-messages.ts';
import type { CoreDeps } from '../core/deps.ts';
import { AppError } from '../core/errors.ts';
import { imagePrefix } from '../core/image.ts';
import { type ProcessingDeps, runProcessImageJob } from '../core/processing.ts';
import { completeUpload } from '../core/upload.ts';
import { type CreatedObject, incomingUpload, parseS3Notification } from './s3-events.ts';

/** The fields of a Lambda SQS event record this handler reads. */
export interface SqsEventRecord {
  messageId: string;
  body: string;
  /** Needed only to apply a retry's delay (ChangeMessageVisibility). */
  receiptHandle?: string;
  attributes?: { ApproximateReceiveCount?: string };
}

/** Lambda's partial batch response: the messages to deliver again; the others are deleted. */
export interface BatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

export interface ProcessBatchDeps {
  core: CoreDeps;
  processing: ProcessingDeps;
  /**
   * The queue the batch came from. With it, a retried job's message stays hidden for the
   * backoff delay; without it, it comes back after the queue's visibility timeout.
   */
  sqs?: { client: SQSClient; queueUrl: string };
  /** One line per notable event; never given keys' contents or error stacks. Default console.warn. */
  log?: (line: string) => void;
  /** Counts what happened to images (the process function turns these into metrics). */
  count?: (event: ImageEvent) => void;
  /**
   * Told when an image ended for good (its job completed or failed for good, or its upload
   * was refused): the process function queues its webhook deliveries here. Its failure is logged, never a retry: the
   * image is done, and a redelivered job would find nothing to do.
   */
  imageEnded?: (imageId: string) => Promise<unknown>;
}

/** What a message did to an image, for metrics. */
export type ImageEvent =
  | 'uploadCompleted'
  | 'uploadRefused'
  | 'completed'
  | 'failed'
  | 'retried'
  | 'deadLettered';

// SQS's longest visibility timeout (12 hours).
const MAX_VISIBILITY_SECONDS = 43_200;

/**
 * Handles one batch from the jobs queue, which carries two kinds of message: S3's bucket
 * notifications (an upload's bytes arrived) and our typed jobs. A message that cannot be
 * read as either is reported as failed, not dropped: SQS delivers it again and its redrive
 * policy moves it to the DLQ after maxReceiveCount, where an operator can see it.
 */
export async function processBatch(
  records: readonly SqsEventRecord[],
  deps: ProcessBatchDeps,
): Promise<BatchResponse> {
  const batchItemFailures: BatchResponse['batchItemFailures'] = [];
  for (const record of records) {
    if (!(await handleRecord(record, deps))) batchItemFailures.push({ itemIdentifier: record.messageId });
  }
  return { batchItemFailures };
}

/**
 * One message of a batch: true when it is done with (and can be deleted), false to have SQS
 * deliver it again. Never throws: an unexpected error is logged and counts as not done.
 */
export async function handleRecord(record: SqsEventRecord, deps: ProcessBatchDeps): Promise<boolean> {
  const log = deps.log ?? ((line: string) => console.warn(line));
  try {
    return await processRecord(record, deps, log);
  } catch (error) {
    log(`message ${record.messageId} failed: ${describe(error)}`);
    return false;
  }
}

async function processRecord(
  record: SqsEventRecord,
  deps: ProcessBatchDeps,
  log: (line: string) => void,
): Promise<boolean> {
  const count = deps.count ?? (() => {});
  const notification = parseS3Notification(record.body);
  if (notification.kind === 'test-event') return true;
  if (notification.kind === 'created') {
    for (const object of notification.objects) {
      const event = await objectCreated(object, deps.core, log);
      if (event) count(event);
      // A refused upload failed its image for good: its tenant hears of it as of any failure.
      if (event === 'uploadRefused') {
        const upload = incomingUpload(object.key);
        if (upload) await announceEnd(upload.imageId, deps, log);
      }
    }
    return true;
  }
  const parsed = parseBody(record.body);
  if (parsed.kind === 's3-test-event') return true;
  if (parsed.kind === 'not-a-job') {
    log(
      `message ${record.messageId} is neither an S3 notification nor a job (${parsed.reason}); left for the DLQ`,
    );
    return false;
  }
  const attempt = Number(record.attributes?.ApproximateReceiveCount) || 1;
  const { imageId } = parsed.job.data;
  const outcome = await runProcessImageJob(deps.processing, parsed.job.data, attempt);
  const ended =
    outcome.action === 'dead-letter' || (outcome.action === 'delete' && outcome.result !== 'skipped');
  if (ended) await announceEnd(imageId, deps, log);
  if (outcome.action === 'delete') {
    if (outcome.result !== 'skipped') count(outcome.result);
    return true;
  }
  // Postponed (the function's /tmp was full): SQS cannot uncount the receive, so it is a retry here.
  const later = outcome.action === 'retry' || outcome.action === 'postpone';
  count(later ? 'retried' : 'deadLettered');
  log(`job for image ${imageId} (attempt ${attempt}): ${outcome.action}: ${outcome.reason}`);
  if (later) await delayRetry(record, outcome.delaySeconds, deps, log);
  return false;
}

/**
 * An object reached the bucket. Only what a signed upload URL writes concerns us (our own
 * writes of originals and variants are reported too): its image completes its upload.
 */
async function objectCreated(
  object: CreatedObject,
  core: CoreDeps,
  log: (line: string) => void,
): Promise<ImageEvent | null> {
  const upload = incomingUpload(object.key);
  if (!upload) return null;
  try {
    const completed = await completeUpload(core, upload.imageId, { key: object.key, size: object.size });
    if (completed) return 'uploadCompleted';
    if (await core.repo.getById(upload.imageId)) return null;
    // No such image: a PUT through a URL still valid after its image was deleted.
    await core.blobs.deletePrefix(imagePrefix(upload.tenant, upload.imageId));
    log(`image ${upload.imageId} is unknown: removed the object uploaded for it`);
    return null;
  } catch (error) {
    // A refused upload: completeUpload has already failed the image with this code.
    if (!(error instanceof AppError)) throw error;
    log(`upload of image ${upload.imageId} refused: ${error.code}`);
    return 'uploadRefused';
  }
}

/**
 * Tells imageEnded, if anyone listens; its failure is logged, never a retry. Deliveries it
 * stored before failing keep their "not yet scheduled" marker: the hourly sweep sends them.
 */
async function announceEnd(imageId: string, deps: ProcessBatchDeps, log: (line: string) => void) {
  await deps.imageEnded?.(imageId).catch((error: unknown) => {
    log(
      `image ${imageId} ended but its webhooks could not be queued (any stored are sent by the hourly sweep): ${describe(error)}`,
    );
  });
}

/** Keeps a retried job's message hidden for the backoff delay, when the queue is known. */
async function delayRetry(
  record: SqsEventRecord,
  delaySeconds: number,
  deps: ProcessBatchDeps,
  log: (line: string) => void,
): Promise<void> {
  if (!deps.sqs || !record.receiptHandle) return;
  const seconds = Math.min(MAX_VISIBILITY_SECONDS, Math.max(0, Math.ceil(delaySeconds)));
  try {
    await deps.sqs.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: deps.sqs.queueUrl,
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: seconds,
      }),
    );
  } catch (error) {
    // The message still comes back, only after the queue's visibility timeout.
    log(`could not delay the retry of message ${record.messageId}: ${describe(error)}`);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
