import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import type { DeadLetter, Job, JobData, JobName } from '../../ports/job-queue.ts';

// One schema per job name: adding a JobName without one fails to compile, so a new job
// cannot be sent that this adapter would then refuse to receive.
const jobDataSchemas: { [N in JobName]: z.ZodType<JobData[N]> } = {
  'process-image': z.object({ tenant: z.string().min(1), imageId: z.string().min(1) }),
};

/** What a message body turned out to be. */
export type ParsedBody =
  | { kind: 'job'; job: Job }
  /** The handshake S3 sends when a bucket notification is configured: it carries nothing. */
  | { kind: 's3-test-event' }
  | { kind: 'not-a-job'; reason: string };

/** A message body is the JSON of the typed job, nothing else. */
export function serializeJob(job: Job): string {
  return JSON.stringify({ name: job.name, data: job.data });
}

/** Reads a message body back into a typed job, or says why it is not one. */
export function parseBody(body: string | undefined): ParsedBody {
  let value: unknown;
  try {
    value = JSON.parse(body ?? '');
  } catch {
    return { kind: 'not-a-job', reason: 'body is not JSON' };
  }
  if (!isRecord(value)) return { kind: 'not-a-job', reason: 'body is not a JSON object' };
  if (value.Event === 's3:TestEvent') return { kind: 's3-test-event' };
  const { name, data } = value;
  if (typeof name !== 'string' || !Object.hasOwn(jobDataSchemas, name))
    return { kind: 'not-a-job', reason: `unknown job name ${JSON.stringify(name) ?? 'undefined'}` };
  const parsed = jobDataSchemas[name as JobName].safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${['data', ...i.path].join('.')} ${i.message}`);
    return { kind: 'not-a-job', reason: `invalid ${name}: ${issues.join('; ')}` };
  }
  return { kind: 'job', job: { name, data: parsed.data } as Job };
}

/**
 * What a receipt handle given out by SqsJobQueue carries. SQS's own handle is not enough:
 * dead-lettering sends a copy of the message, so the body (and the count) travel with the
 * lease. The port calls the handle opaque, so callers never look inside.
 */
export interface Receipt {
  handle: string;
  messageId: string;
  body: string;
  receiveCount: number;
}

const RECEIPT_PREFIX = 'sqs1.';

export function encodeReceipt(receipt: Receipt): string {
  const fields = [receipt.handle, receipt.messageId, receipt.body, receipt.receiveCount];
  return RECEIPT_PREFIX + Buffer.from(JSON.stringify(fields)).toString('base64url');
}

/** The receipt inside a handle this adapter issued, or null for anything else. */
export function decodeReceipt(token: string): Receipt | null {
  if (!token.startsWith(RECEIPT_PREFIX)) return null;
  try {
    const fields: unknown = JSON.parse(
      Buffer.from(token.slice(RECEIPT_PREFIX.length), 'base64url').toString('utf8'),
    );
    if (!Array.isArray(fields) || fields.length !== 4) return null;
    const [handle, messageId, body, receiveCount] = fields;
    if (typeof handle !== 'string' || typeof messageId !== 'string' || typeof body !== 'string') return null;
    if (!Number.isInteger(receiveCount)) return null;
    return { handle, messageId, body, receiveCount };
  } catch {
    return null;
  }
}

// Message attributes on the copies SqsJobQueue sends to the DLQ.
const REASON = 'DeadLetterReason';
const RECEIVE_COUNT = 'ReceiveCount';
const SOURCE_MESSAGE_ID = 'SourceMessageId';
/** The attributes to ask for when receiving from the DLQ. */
export const DEAD_LETTER_ATTRIBUTES = [REASON, RECEIVE_COUNT];

/** Attributes for a dead letter's copy: why it gave up, after how many deliveries, and where from. */
export function deadLetterAttributes(letter: {
  sourceId: string;
  receiveCount: number;
  reason: string;
}): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {
    [SOURCE_MESSAGE_ID]: { DataType: 'String', StringValue: letter.sourceId },
  };
  // SQS refuses empty attribute values: an empty reason is simply not recorded.
  const reason = attributeText(letter.reason);
  if (reason) attributes[REASON] = { DataType: 'String', StringValue: reason };
  if (Number.isInteger(letter.receiveCount) && letter.receiveCount > 0)
    attributes[RECEIVE_COUNT] = { DataType: 'Number', StringValue: String(letter.receiveCount) };
  return attributes;
}

/**
 * A DLQ message as a DeadLetter. One without our attributes was moved by the queue's
 * redrive policy: it was delivered exactly `maxReceives` times, SQS kept no error, and its
 * SentTimestamp is still the first send's.
 */
export function readDeadLetter(message: Message, job: Job, maxReceives: number): DeadLetter {
  const attributes = message.MessageAttributes ?? {};
  const count = Number(attributes[RECEIVE_COUNT]?.StringValue);
  return {
    id: message.MessageId ?? '',
    job,
    receiveCount: Number.isInteger(count) && count > 0 ? count : maxReceives,
    lastError: attributes[REASON]?.StringValue ?? null,
    deadLetteredAt: Number(message.Attributes?.SentTimestamp) || 0,
  };
}

// Characters SQS refuses in a message attribute (it allows #x9 #xA #xD, #x20–#xD7FF,
// #xE000–#xFFFD and the astral planes); an error message could carry any of them, and a
// refused dead letter would lose its job.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the ones to replace.
const NOT_ALLOWED_IN_ATTRIBUTE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|\p{Cs}/gu;
const MAX_REASON_LENGTH = 4096;

/** A failure reason made fit for a String message attribute (allowed characters, bounded). */
export function attributeText(text: string): string {
  // Cut first: a cut through a surrogate pair leaves a lone half, which is then replaced.
  return text.slice(0, MAX_REASON_LENGTH).replace(NOT_ALLOWED_IN_ATTRIBUTE, '\uFFFD');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
