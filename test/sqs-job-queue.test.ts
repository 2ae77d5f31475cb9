import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { SqsQueueError } from '../src/adapters/aws/sqs-errors.ts';
import { SqsJobQueue } from '../src/adapters/aws/sqs-job-queue.ts';
import {
  attributeText,
  decodeReceipt,
  encodeReceipt,
  parseBody,
  serializeJob,
} from '../src/adapters/aws/sqs-messages.ts';
import type { Job } from '../src/ports/job-queue.ts';
import { MOTO_INSTALL_HINT } from './helpers/moto.ts';
import { createQueuePair, motoSqsClient, type SqsQueuePair } from './helpers/sqs.ts';

const motoEndpoint = inject('motoEndpoint');
if (!motoEndpoint) console.warn(`\n!!! ${MOTO_INSTALL_HINT}\n`);

const job: Job = { name: 'process-image', data: { tenant: 't-1', imageId: 'img-1' } };
const S3_TEST_EVENT = JSON.stringify({
  Service: 'Amazon S3',
  Event: 's3:TestEvent',
  Time: '2026-01-01T00:00:00.000Z',
  Bucket: 'originals',
  RequestId: 'R1',
  HostId: 'H1',
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Class: SqsJobQueue', () => {
  describe('Method: constructor', () => {
    it('names the option and the value it refuses', () => {
      const base = { client: {} as SQSClient, queueUrl: 'q', deadLetterQueueUrl: 'd' };
      expect(() => new SqsJobQueue({ ...base, maxReceives: 0 })).toThrow(
        'Expected integer between 1 and 1000 for maxReceives but received 0 of type number',
      );
      expect(() => new SqsJobQueue({ ...base, maxReceives: 3, waitTimeSeconds: 21 })).toThrow(
        'Expected integer between 0 and 20 for waitTimeSeconds but received 21 of type number',
      );
    });
  });

  describe('Function: parseBody', () => {
    it('reads back what serializeJob wrote, and says why anything else is not a job', () => {
      expect(parseBody(serializeJob(job))).toEqual({ kind: 'job', job });
      expect(parseBody(S3_TEST_EVENT)).toEqual({ kind: 's3-test-event' });
      expect(parseBody('<xml/>')).toEqual({ kind: 'not-a-job', reason: 'body is not JSON' });
      expect(parseBody('{"name":"process-image","data":{"tenant":"t-1"}}')).toEqual({
        kind: 'not-a-job',
        reason: expect.stringMatching(/^invalid process-image: data\.imageId /),
      });
    });
  });

  describe('Function: decodeReceipt', () => {
    it('opens only the receipts encodeReceipt made', () => {
      const receipt = { handle: 'h', messageId: 'm', body: serializeJob(job), receiveCount: 2 };
      expect(decodeReceipt(encodeReceipt(receipt))).toEqual(receipt);
      expect(decodeReceipt('not-a-receipt-handle')).toBeNull();
      expect(decodeReceipt('sqs1.bm90IGpzb24')).toBeNull();
    });
  });

  describe('Function: attributeText', () => {
    it('replaces characters SQS refuses in an attribute and bounds the length', () => {
      expect(attributeText('bad\u0000byte\u001f\uFFFF')).toBe('bad\uFFFDbyte\uFFFD\uFFFD');
      expect(attributeText('tab\tnewline\n ok ✓ 🙂')).toBe('tab\tnewline\n ok ✓ 🙂');
      expect(attributeText(`${'x'.repeat(4095)}🙂`)).toBe(`${'x'.repeat(4095)}\uFFFD`);
    });
  });
});

describe.skipIf(!motoEndpoint)('Class: SqsJobQueue on moto_server', () => {
  let client: SQSClient;
  let pair: SqsQueuePair;
  let queue: SqsJobQueue;

  beforeEach(async () => {
    client = motoSqsClient(motoEndpoint as string);
    pair = await createQueuePair(client, 3);
    queue = new SqsJobQueue({
      client,
      queueUrl: pair.queueUrl,
      deadLetterQueueUrl: pair.deadLetterQueueUrl,
      maxReceives: 3,
      waitTimeSeconds: 0,
    });
  });
  afterEach(async () => {
    await pair.remove();
    client.destroy();
  });

  const sendRaw = (queueUrl: string, body: string) =>
    client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
  const receiveRaw = async (queueUrl: string) =>
    (
      await client.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 0,
          MessageAttributeNames: ['All'],
        }),
      )
    ).Messages ?? [];

  describe('Method: receive', () => {
    it("deletes S3's s3:TestEvent and returns the jobs received with it", async () => {
      await sendRaw(pair.queueUrl, S3_TEST_EVENT);
      await queue.send(job);
      const received = await queue.receive({ max: 10, visibilityTimeoutSeconds: 30 });
      expect(received.map((m) => m.job)).toEqual([job]);
      expect(await receiveRaw(pair.queueUrl)).toEqual([]);
      expect(await receiveRaw(pair.deadLetterQueueUrl)).toEqual([]);
    });

    it('dead-letters a body that is not a job at once, with the reason; listing and redrive leave it there', async () => {
      await sendRaw(pair.queueUrl, '{"name":"resize-everything","data":{}}');
      expect(await queue.receive({ max: 10, visibilityTimeoutSeconds: 30 })).toEqual([]);
      expect(await queue.listDeadLetters(10)).toEqual([]);
      expect(await queue.redrive()).toBe(0);
      const [stray, ...rest] = await receiveRaw(pair.deadLetterQueueUrl);
      expect(rest).toEqual([]);
      expect(stray?.Body).toBe('{"name":"resize-everything","data":{}}');
      expect(stray?.MessageAttributes?.DeadLetterReason?.StringValue).toBe(
        'not a job: unknown job name "resize-everything"',
      );
      expect(await receiveRaw(pair.queueUrl)).toEqual([]);
    });

    it('asks for at most 10 messages a call, whatever max says', async () => {
      for (let i = 0; i < 12; i++) await queue.send(job);
      const received = await queue.receive({ max: 50, visibilityTimeoutSeconds: 30 });
      expect(received.length).toBeGreaterThan(0);
      expect(received.length).toBeLessThanOrEqual(10);
    });
  });

  describe('Seconds', () => {
    it("clamps delaySeconds to SQS's 900 s maximum", async () => {
      await queue.send(job, { delaySeconds: 3600 });
      const { Attributes } = await client.send(
        new GetQueueAttributesCommand({
          QueueUrl: pair.queueUrl,
          AttributeNames: ['ApproximateNumberOfMessagesDelayed'],
        }),
      );
      expect(Attributes?.ApproximateNumberOfMessagesDelayed).toBe('1');
      expect(await queue.receive({ max: 10, visibilityTimeoutSeconds: 30 })).toEqual([]);
    });

    it('rounds a fraction of a second up, so a short retry delay still hides the job', async () => {
      await queue.send(job);
      const [message] = await queue.receive({ max: 1, visibilityTimeoutSeconds: 30 });
      expect(await queue.changeVisibility(message?.receiptHandle as string, 0.2)).toBe(true);
      expect(await queue.receive({ max: 1, visibilityTimeoutSeconds: 30 })).toEqual([]);
      await sleep(1250);
      expect(await queue.receive({ max: 1, visibilityTimeoutSeconds: 30 })).toHaveLength(1);
    });
  });

  describe('Receipt handles', () => {
    it('answers false when SQS refuses the handle inside a receipt', async () => {
      const forged = encodeReceipt({ handle: 'garbage', messageId: 'm', body: '{}', receiveCount: 1 });
      expect(await queue.delete(forged)).toBe(false);
      expect(await queue.changeVisibility(forged, 0)).toBe(false);
      expect(await queue.deadLetter(forged, 'nope')).toBe(false);
      expect(await receiveRaw(pair.deadLetterQueueUrl)).toEqual([]);
    });

    it('acts on a superseded handle, as SQS accepts any handle a message ever had', async () => {
      await queue.send(job);
      const [stale] = await queue.receive({ max: 1, visibilityTimeoutSeconds: 1 });
      await sleep(1250);
      expect(await queue.receive({ max: 1, visibilityTimeoutSeconds: 30 })).toHaveLength(1);
      expect(await queue.changeVisibility(stale?.receiptHandle as string, 0)).toBe(true);
      expect(await queue.receive({ max: 1, visibilityTimeoutSeconds: 30 })).toMatchObject([
        { receiveCount: 3 },
      ]);
    });
  });

  describe('Dead letters', () => {
    it('keeps no lastError for a job its redrive policy moved, and reports maxReceives receives', async () => {
      await queue.send(job);
      for (let i = 1; i <= 3; i++) {
        const [message] = await queue.receive({ max: 1, visibilityTimeoutSeconds: 30 });
        await queue.changeVisibility(message?.receiptHandle as string, 0, `attempt ${i} failed`);
      }
      expect(await queue.receive({ max: 1, visibilityTimeoutSeconds: 30 })).toEqual([]);
      // Listing receives from the DLQ, which counts as a delivery there; the count stays 3.
      await queue.listDeadLetters(10);
      expect(await queue.listDeadLetters(10)).toEqual([
        expect.objectContaining({ job, receiveCount: 3, lastError: null }),
      ]);
    });

    it('stores a reason with characters SQS refuses, with U+FFFD in their place', async () => {
      await queue.send(job);
      const [message] = await queue.receive({ max: 1, visibilityTimeoutSeconds: 30 });
      expect(await queue.deadLetter(message?.receiptHandle as string, 'bad\u0000byte')).toBe(true);
      expect(await queue.listDeadLetters(10)).toMatchObject([{ lastError: 'bad\uFFFDbyte' }]);
    });
  });

  describe('Errors', () => {
    it('wraps any other SQS failure in SqsQueueError naming the action, with the cause', async () => {
      const missing = new SqsJobQueue({
        client,
        queueUrl: `${pair.queueUrl}-missing`,
        deadLetterQueueUrl: `${pair.deadLetterQueueUrl}-missing`,
        maxReceives: 3,
        waitTimeSeconds: 0,
      });
      const sent = missing.send(job);
      await expect(sent).rejects.toBeInstanceOf(SqsQueueError);
      await expect(sent).rejects.toMatchObject({
        name: 'SqsQueueError',
        operation: 'SendMessage',
        message: expect.stringMatching(/^SQS SendMessage failed: QueueDoesNotExist/),
        cause: expect.objectContaining({ name: 'QueueDoesNotExist' }),
      });
      await expect(missing.receive({ max: 1, visibilityTimeoutSeconds: 1 })).rejects.toMatchObject({
        operation: 'ReceiveMessage',
      });
      const receipt = encodeReceipt({ handle: 'garbage', messageId: 'm', body: '{}', receiveCount: 1 });
      await expect(missing.delete(receipt)).rejects.toMatchObject({ operation: 'DeleteMessage' });
      await expect(missing.listDeadLetters(10)).rejects.toBeInstanceOf(SqsQueueError);
    });
  });
});
