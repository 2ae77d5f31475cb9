import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { DeadLetter, DeadLetterQueue, Job, JobQueue, ReceivedJob } from '../../ports/job-queue.ts';
import { callOnLease, callSqs } from './sqs-errors.ts';
import {
  DEAD_LETTER_ATTRIBUTES,
  deadLetterAttributes,
  decodeReceipt,
  encodeReceipt,
  type ParsedBody,
  parseBody,
  readDeadLetter,
  serializeJob,
} from './sqs-messages.ts';

export interface SqsJobQueueOptions {
  client: SQSClient;
  queueUrl: string;
  deadLetterQueueUrl: string;
  /** The main queue's RedrivePolicy `maxReceiveCount`: the receive count reported for jobs that policy moved. */
  maxReceives: number;
  /**
   * Long-poll wait of each ReceiveMessage, 0–20 s (default 1). 0 answers at once but on AWS
   * asks only some of the queue's servers, so it can miss messages; 1 asks all of them.
   */
  waitTimeSeconds?: number;
  /** How long listing and redriving hold the DLQ's messages while they look through them (default 30 s). */
  peekSeconds?: number;
}

/** SQS's limits: messages per ReceiveMessage or batch call, and the longest DelaySeconds. */
export const MAX_MESSAGES_PER_CALL = 10;
export const MAX_DELAY_SECONDS = 900;
const MAX_VISIBILITY_SECONDS = 43_200;
// How long deadLetter() holds the lease while it copies the message to the DLQ.
const DEAD_LETTER_HOLD_SECONDS = 30;

/**
 * The job queue on SQS: a standard queue whose RedrivePolicy moves a message to the DLQ
 * after `maxReceives` deliveries. Where SQS cannot do what the port asks, this says how it
 * comes close: `changeVisibility` drops `lastError` (a message cannot be annotated),
 * `deadLetter` sends a copy carrying the reason and deletes the original, `deleteJobsFor`
 * drops nothing, and the DLQ is listed and redriven by receiving from it. Seconds are whole
 * on SQS: fractions round up, and values past SQS's limits are clamped to them.
 *
 * Messages on the main queue that are not jobs never reach the caller: S3's `s3:TestEvent`
 * handshake is deleted; anything else is dead-lettered at once with the reason, so nothing
 * is lost and it stays out of the way (the DLQ's listing and redrive skip it; it is left
 * for an operator with the SQS console).
 */
export class SqsJobQueue implements JobQueue, DeadLetterQueue {
  private readonly client: SQSClient;
  private readonly queueUrl: string;
  private readonly dlqUrl: string;
  private readonly maxReceives: number;
  private readonly waitTimeSeconds: number;
  private readonly peekSeconds: number;

  constructor(options: SqsJobQueueOptions) {
    this.client = options.client;
    this.queueUrl = options.queueUrl;
    this.dlqUrl = options.deadLetterQueueUrl;
    this.maxReceives = checkInteger('maxReceives', options.maxReceives, 1, 1000);
    this.waitTimeSeconds = checkInteger('waitTimeSeconds', options.waitTimeSeconds ?? 1, 0, 20);
    this.peekSeconds = checkInteger('peekSeconds', options.peekSeconds ?? 30, 1, MAX_VISIBILITY_SECONDS);
  }

  /** Sends a job; `delaySeconds` rounds up to whole seconds and is clamped to SQS's 900 s maximum. */
  async send(job: Job, options: { delaySeconds?: number } = {}): Promise<string> {
    const out = await callSqs('SendMessage', () =>
      this.client.send(
        new SendMessageCommand({
          QueueUrl: this.queueUrl,
          MessageBody: serializeJob(job),
          DelaySeconds: wholeSeconds('delaySeconds', options.delaySeconds ?? 0, MAX_DELAY_SECONDS),
        }),
      ),
    );
    if (!out.MessageId) throw new Error('SQS SendMessage answered without a MessageId');
    return out.MessageId;
  }

  /** Leases up to `max` jobs, at most 10 (SQS's limit per call); SQS may return fewer than are ready. */
  async receive(options: { max: number; visibilityTimeoutSeconds: number }): Promise<ReceivedJob[]> {
    if (options.max < 1) return [];
    const visibility = wholeSeconds(
      'visibilityTimeoutSeconds',
      options.visibilityTimeoutSeconds,
      MAX_VISIBILITY_SECONDS,
    );
    const messages = await this.receiveFrom(this.queueUrl, options.max, visibility);
    const received: ReceivedJob[] = [];
    const strays: Promise<unknown>[] = [];
    for (const message of messages) {
      const body = parseBody(message.message.Body);
      if (body.kind === 'job') received.push(toReceivedJob(message, body.job));
      else strays.push(this.clearStray(message, body));
    }
    // A stray that could not be cleared away comes back after the visibility timeout and the
    // redrive policy moves it in the end; failing here would only hold up the jobs leased with it.
    await Promise.allSettled(strays);
    return received;
  }

  async delete(receiptHandle: string): Promise<boolean> {
    const receipt = decodeReceipt(receiptHandle);
    if (!receipt) return false;
    return this.deleteFrom(this.queueUrl, receipt.handle);
  }

  /** Moves the lease's end; `lastError` is dropped, as an SQS message cannot be changed once sent. */
  async changeVisibility(receiptHandle: string, seconds: number, _lastError?: string): Promise<boolean> {
    const receipt = decodeReceipt(receiptHandle);
    if (!receipt) return false;
    return this.setVisibility(receipt.handle, wholeSeconds('seconds', seconds, MAX_VISIBILITY_SECONDS));
  }

  /** SQS cannot uncount a receive: the delivery counts (see the port). */
  async postpone(receiptHandle: string, seconds: number, reason: string): Promise<boolean> {
    return this.changeVisibility(receiptHandle, seconds, reason);
  }

  /**
   * SQS cannot move a message: this sends a copy to the DLQ with the reason and deletes the
   * original. Holding the lease first checks that SQS still knows the handle (for a job
   * already gone: false, and no copy) and keeps the job from being delivered again between
   * the copy and the delete. SQS accepts a superseded handle here too (see the port).
   */
  async deadLetter(receiptHandle: string, reason: string): Promise<boolean> {
    const receipt = decodeReceipt(receiptHandle);
    if (!receipt) return false;
    if (!(await this.setVisibility(receipt.handle, DEAD_LETTER_HOLD_SECONDS))) return false;
    await this.copyToDlq(receipt.body, receipt.messageId, receipt.receiveCount, reason);
    // Should the lease be lost after all, the original comes back and is dead-lettered (or
    // moved by the redrive policy) again: a duplicate dead letter, never a lost job.
    await this.deleteFrom(this.queueUrl, receipt.handle);
    return true;
  }

  /** SQS cannot find messages by content: drops nothing; the job later finds no image. */
  async deleteJobsFor(_imageId: string): Promise<number> {
    return 0;
  }

  /**
   * Receives up to `limit` dead letters and makes them visible again at once. Sorted oldest
   * first, but only among those returned: SQS has no order to page through.
   */
  async listDeadLetters(limit: number): Promise<DeadLetter[]> {
    const letters: DeadLetter[] = [];
    await this.walkDeadLetters(
      async ({ message }, body) => {
        if (body.kind === 'job') letters.push(readDeadLetter(message, body.job, this.maxReceives));
        return false;
      },
      () => letters.length >= limit,
    );
    return letters.sort((a, b) => a.deadLetteredAt - b.deadLetteredAt);
  }

  /** Sends these dead letters (all if no ids) to the main queue as new messages, then deletes them from the DLQ. */
  async redrive(ids?: string[]): Promise<number> {
    const wanted = ids && new Set(ids);
    let moved = 0;
    await this.walkDeadLetters(
      async ({ id, handle, message }, body) => {
        if (body.kind !== 'job' || (wanted && !wanted.has(id))) return false;
        await callSqs('SendMessage', () =>
          this.client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: message.Body })),
        );
        await this.deleteFrom(this.dlqUrl, handle);
        wanted?.delete(id);
        moved++;
        return true;
      },
      () => wanted?.size === 0,
    );
    return moved;
  }

  /**
   * Walks the DLQ by receiving from it until `done()` or it has nothing new to show. `visit`
   * answers whether it took the message away; the rest are made visible again at the end.
   */
  private async walkDeadLetters(
    visit: (message: Received, body: ParsedBody) => Promise<boolean>,
    done: () => boolean,
  ): Promise<void> {
    const held: string[] = [];
    const seen = new Set<string>();
    try {
      for (let more = !done(); more; ) {
        const batch = await this.receiveFrom(this.dlqUrl, MAX_MESSAGES_PER_CALL, this.peekSeconds);
        more = batch.some((m) => !seen.has(m.id));
        for (const message of batch) {
          const fresh = !seen.has(message.id) && !done();
          seen.add(message.id);
          if (!fresh || !(await visit(message, parseBody(message.message.Body)))) held.push(message.handle);
        }
        more &&= !done();
      }
    } finally {
      await this.release(this.dlqUrl, held);
    }
  }

  /** S3's handshake carries nothing and is deleted; any other non-job goes to the DLQ with the reason. */
  private async clearStray({ id, handle, message }: Received, body: Exclude<ParsedBody, { kind: 'job' }>) {
    if (body.kind === 'not-a-job')
      await this.copyToDlq(message.Body ?? '', id, receiveCountOf(message), `not a job: ${body.reason}`);
    await this.deleteFrom(this.queueUrl, handle);
  }

  private async receiveFrom(queueUrl: string, max: number, visibility: number): Promise<Received[]> {
    const out = await callSqs('ReceiveMessage', () =>
      this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(max, MAX_MESSAGES_PER_CALL),
          VisibilityTimeout: visibility,
          WaitTimeSeconds: this.waitTimeSeconds,
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          MessageAttributeNames: DEAD_LETTER_ATTRIBUTES,
        }),
      ),
    );
    return (out.Messages ?? []).flatMap((message) =>
      message.MessageId && message.ReceiptHandle
        ? [{ id: message.MessageId, handle: message.ReceiptHandle, message }]
        : [],
    );
  }

  private async copyToDlq(body: string, sourceId: string, receiveCount: number, reason: string) {
    const attributes = deadLetterAttributes({ sourceId, receiveCount, reason });
    await callSqs('SendMessage', () =>
      this.client.send(
        new SendMessageCommand({ QueueUrl: this.dlqUrl, MessageBody: body, MessageAttributes: attributes }),
      ),
    );
  }

  private deleteFrom(queueUrl: string, handle: string): Promise<boolean> {
    return callOnLease('DeleteMessage', () =>
      this.client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: handle })),
    );
  }

  private setVisibility(handle: string, seconds: number): Promise<boolean> {
    return callOnLease('ChangeMessageVisibility', () =>
      this.client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.queueUrl,
          ReceiptHandle: handle,
          VisibilityTimeout: seconds,
        }),
      ),
    );
  }

  /** Makes held messages visible again now; one that fails shows up after its peek anyway. */
  private async release(queueUrl: string, handles: string[]): Promise<void> {
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < handles.length; i += MAX_MESSAGES_PER_CALL) {
      const entries = handles
        .slice(i, i + MAX_MESSAGES_PER_CALL)
        .map((handle, n) => ({ Id: String(n), ReceiptHandle: handle, VisibilityTimeout: 0 }));
      calls.push(
        this.client.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: entries })),
      );
    }
    await Promise.allSettled(calls);
  }
}

interface Received {
  id: string;
  handle: string;
  message: Message;
}

function toReceivedJob({ id, handle, message }: Received, job: Job): ReceivedJob {
  const receiveCount = receiveCountOf(message);
  const receiptHandle = encodeReceipt({ handle, messageId: id, body: message.Body ?? '', receiveCount });
  return { id, job, receiptHandle, receiveCount };
}

// Always asked for; should SQS leave it out, this delivery is at least the first.
const receiveCountOf = (message: Message) => Number(message.Attributes?.ApproximateReceiveCount) || 1;

function checkInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new TypeError(
      `Expected integer between ${min} and ${max} for ${name} but received ${value} of type ${typeof value}`,
    );
  return value;
}

/** SQS takes whole seconds within limits: fractions round up, larger values are clamped. */
function wholeSeconds(name: string, value: number, max: number): number {
  if (!Number.isFinite(value) || value < 0)
    throw new TypeError(
      `Expected non-negative number for ${name} but received ${value} of type ${typeof value}`,
    );
  return Math.min(Math.ceil(value), max);
}
