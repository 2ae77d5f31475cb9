import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { DynamoImageRepository } from '../src/adapters/aws/dynamo-image-repository.ts';
import { DynamoWebhookStore } from '../src/adapters/aws/dynamo-webhook-store.ts';
import { S3BlobStore } from '../src/adapters/aws/s3-blob-store.ts';
import { S3SignedUrls } from '../src/adapters/aws/s3-signed-urls.ts';
import { SqsJobQueue } from '../src/adapters/aws/sqs-job-queue.ts';
import { parseDeliveryMessage, SqsWebhookQueue } from '../src/adapters/aws/sqs-webhook-queue.ts';
import { InProcessImageEvents } from '../src/adapters/local/in-process-image-events.ts';
import { SharedConfigSchema } from '../src/core/config.ts';
import { createCore } from '../src/core/create-core.ts';
import type { CoreDeps } from '../src/core/deps.ts';
import { TRANSITIONS } from '../src/core/image-state.ts';
import { createUpload } from '../src/core/upload.ts';
import { publishImageEvent } from '../src/lambda/publish-image-event.ts';
import { sweepUnscheduledDeliveries } from '../src/lambda/sweep-unscheduled-webhooks.ts';
import type { DeliveryRef } from '../src/ports/webhooks.ts';
import { freshImageTable, motoDynamo } from './helpers/dynamo.ts';
import { MOTO_INSTALL_HINT, motoS3Client } from './helpers/moto.ts';
import { createQueuePair, motoSqsClient } from './helpers/sqs.ts';

const endpoint = inject('motoEndpoint');
if (!endpoint) console.warn(`\n!!! ${MOTO_INSTALL_HINT}\n`);

const MINUTE = 60_000;
/** Later than any marker: the sweep's cutoff when a test wants to see every marker. */
const END_OF_TIME = Number.MAX_SAFE_INTEGER;

/**
 * Nothing is lost between DynamoDB and SQS: a delivery stored but never sent (the send failed,
 * or the process function died between the two) keeps a marker, and the cleanup function's
 * hourly sweep sends it. All on moto: the real table, the real webhook queue.
 */
describe.skipIf(!endpoint)('webhook deliveries never sent are swept (on moto)', () => {
  const dynamo = motoDynamo(endpoint ?? '');
  const sqs = motoSqsClient(endpoint ?? '');
  const s3 = motoS3Client(endpoint ?? '');
  let now: number;
  const clock = { now: () => now };
  let core: CoreDeps;
  let store: DynamoWebhookStore;
  let webhookQueueUrl: string;
  let queue: SqsWebhookQueue;
  /** A queue whose every send fails, as SQS refusing (after the SDK's retries) would. */
  let broken: SqsWebhookQueue;
  const removals: Array<() => Promise<void>> = [];
  const logged: string[] = [];

  beforeAll(() => {
    now = Date.now();
  });
  afterAll(async () => {
    for (const remove of removals) await remove();
    dynamo.base.destroy();
    sqs.destroy();
    s3.destroy();
  });

  beforeEach(async () => {
    logged.length = 0;
    const tableName = await freshImageTable(dynamo.base);
    const jobs = await createQueuePair(sqs, 3);
    const webhooks = await createQueuePair(sqs, 5);
    removals.push(jobs.remove, webhooks.remove);
    webhookQueueUrl = webhooks.queueUrl;
    const repo = new DynamoImageRepository({ client: dynamo.client, tableName });
    const jobQueue = new SqsJobQueue({
      client: sqs,
      queueUrl: jobs.queueUrl,
      deadLetterQueueUrl: jobs.deadLetterQueueUrl,
      maxReceives: 3,
    });
    // A failed image is presented without reading an object: the bucket need not exist.
    core = createCore(
      {
        repo,
        blobs: new S3BlobStore({ client: s3, bucket: 'unused' }),
        queue: jobQueue,
        deadLetters: jobQueue,
        urls: new S3SignedUrls({ client: s3, bucket: 'unused' }),
        clock,
        events: new InProcessImageEvents(),
      },
      SharedConfigSchema.parse({ ANALYSIS: 'none' }),
    );
    store = new DynamoWebhookStore({ client: dynamo.client, tableName });
    queue = new SqsWebhookQueue({ client: sqs, queueUrl: webhookQueueUrl, clock });
    broken = new SqsWebhookQueue({
      client: sqs,
      queueUrl: webhookQueueUrl.replace(/[^/]+$/, 'no-such-queue'),
      clock,
    });
  });

  const subscribe = (tenant: string) =>
    store.create({ tenant, url: 'https://example.com/hooks', events: ['image.failed'], createdAt: now });

  /** An image of `tenant` that failed for good just now: its webhooks are due an image.failed. */
  const failedImage = async (tenant: string) => {
    const { imageId } = await createUpload(core, tenant, { fileName: 'a.jpg', fileType: 'image/jpeg' });
    await core.repo.transition(imageId, TRANSITIONS.fail({ code: 'UNSUPPORTED', message: 'no' }, now, null));
    return imageId;
  };

  const publish = (imageId: string, via: SqsWebhookQueue) =>
    publishImageEvent({ core, store, queue: via, log: (line) => logged.push(line) }, imageId);

  /** Every marker left, oldest first. */
  const markers = () => store.unscheduled(END_OF_TIME, 1000);

  /** What the webhook queue holds (removed as read, so each test sees only what it sent since). */
  const received = async (): Promise<DeliveryRef[]> => {
    const refs: DeliveryRef[] = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: webhookQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      if (Messages.length === 0) return refs;
      for (const m of Messages) refs.push(parseDeliveryMessage(m.Body ?? '') as DeliveryRef);
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: webhookQueueUrl,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
  };
  const byId = (refs: DeliveryRef[]) => [...refs].sort((a, b) => (a.deliveryId < b.deliveryId ? -1 : 1));

  it('leaves no marker when the message is sent', async () => {
    await subscribe('t1');
    expect(await publish(await failedImage('t1'), queue)).toBe(1);
    const [sent] = await received();
    expect(sent).toMatchObject({ tenant: 't1', createdAt: now });
    expect(await store.pending(sent as DeliveryRef)).toMatchObject({ attempts: 0 });
    expect(await markers()).toEqual([]);
  });

  it('keeps the delivery pending and marked when SQS refuses, and the sweep sends it later', async () => {
    await subscribe('t1');
    await expect(publish(await failedImage('t1'), broken)).rejects.toThrow(/SendMessageBatch/);
    const [ref] = await markers();
    expect(ref).toMatchObject({ tenant: 't1', createdAt: now });
    expect(await store.pending(ref as DeliveryRef)).toMatchObject({ attempts: 0 });
    expect(await received()).toEqual([]);

    // Five minutes on, the send might still be under way: left alone.
    const sweep = (at: number) => sweepUnscheduledDeliveries({ store, queue, clock: { now: () => at } });
    expect(await sweep(now + 5 * MINUTE)).toEqual({ scheduled: 0, stale: 0 });
    expect(await markers()).toEqual([ref]);

    // An hour on, it is a send that failed: the message goes, the marker too.
    expect(await sweep(now + 60 * MINUTE)).toEqual({ scheduled: 1, stale: 0 });
    expect(await received()).toEqual([ref]);
    expect(await markers()).toEqual([]);
    expect(await sweep(now + 120 * MINUTE)).toEqual({ scheduled: 0, stale: 0 });
  });

  it('sends only deliveries still pending and never attempted, drops the other markers, and stops at its limit', async () => {
    await Promise.all([subscribe('t2'), subscribe('t2'), subscribe('t2'), subscribe('t2')]);
    const created = now;
    await expect(publish(await failedImage('t2'), broken)).rejects.toThrow();
    const [fresh, delivered, retrying, orphan] = (await markers()) as DeliveryRef[];
    const attempt = { attemptsBefore: 0, lastStatus: 200, lastError: null, now: created + 1000 };
    // Delivered already (a message was sent after all; only the unmarking failed).
    expect(
      await store.recordAttempt({
        ...attempt,
        ref: delivered as DeliveryRef,
        status: 'succeeded',
        nextAttemptAt: null,
      }),
    ).toBe(true);
    // Attempted and waiting for its retry: its chain of messages goes on without the sweep.
    expect(
      await store.recordAttempt({
        ...attempt,
        ref: retrying as DeliveryRef,
        status: 'pending',
        lastStatus: 503,
        nextAttemptAt: created + 6000,
      }),
    ).toBe(true);
    // Its webhook deleted since: nothing to send it to.
    await store.delete('t2', (orphan as DeliveryRef).webhookId);

    // Deliveries of an image that ended 8 minutes later: too young for a sweep at +11 min.
    now = created + 8 * MINUTE;
    await expect(publish(await failedImage('t2'), broken)).rejects.toThrow();
    const young = (await markers()).filter((m) => m.createdAt === now);
    expect(young).toHaveLength(3);

    const sweep = (at: number, limit?: number) =>
      sweepUnscheduledDeliveries(
        { store, queue, clock: { now: () => at } },
        { olderThanMs: 10 * MINUTE, ...(limit ? { limit } : {}) },
      );
    expect(await sweep(created + 11 * MINUTE)).toEqual({ scheduled: 1, stale: 3 });
    expect(await received()).toEqual([fresh]);
    expect(byId(await markers())).toEqual(byId(young));

    // Bounded: two a run, the third is the next run's.
    expect(await sweep(created + 30 * MINUTE, 2)).toEqual({ scheduled: 2, stale: 0 });
    expect(await markers()).toHaveLength(1);
    expect(await sweep(created + 90 * MINUTE, 2)).toEqual({ scheduled: 1, stale: 0 });
    expect(byId(await received())).toEqual(byId(young));
    expect(await markers()).toEqual([]);
  });

  it('logs, and still succeeds, when the marker cannot be removed after the send', async () => {
    await subscribe('t3');
    const failingUnmark = {
      enqueue: store.enqueue.bind(store),
      markScheduled: async () => {
        throw new Error('throttled');
      },
    };
    const imageId = await failedImage('t3');
    expect(
      await publishImageEvent(
        { core, store: failingUnmark, queue, log: (line) => logged.push(line) },
        imageId,
      ),
    ).toBe(1);
    expect(logged).toEqual([expect.stringContaining('still marked unscheduled')]);
    const [ref] = await received();
    expect(await markers()).toEqual([ref]);
  });
});
