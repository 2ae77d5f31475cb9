import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  CreateBucketCommand,
  ListObjectsV2Command,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { DynamoImageRepository } from '../src/adapters/aws/dynamo-image-repository.ts';
import { S3BlobStore } from '../src/adapters/aws/s3-blob-store.ts';
import { S3SignedUrls } from '../src/adapters/aws/s3-signed-urls.ts';
import { SqsJobQueue } from '../src/adapters/aws/sqs-job-queue.ts';
import { parseBody } from '../src/adapters/aws/sqs-messages.ts';
import { InProcessImageEvents } from '../src/adapters/local/in-process-image-events.ts';
import { SharedConfigSchema } from '../src/core/config.ts';
import { createCore, processingSettingsFrom } from '../src/core/create-core.ts';
import { createProcessing } from '../src/core/create-processing.ts';
import type { CoreDeps } from '../src/core/deps.ts';
import { createUpload } from '../src/core/upload.ts';
import { type ProcessBatchDeps, processBatch, type SqsEventRecord } from '../src/lambda/process-batch.ts';
import { decodeS3Key, incomingUpload, parseS3Notification } from '../src/lambda/s3-events.ts';
import { systemClock } from '../src/ports/clock.ts';
import { freshImageTable, motoDynamo } from './helpers/dynamo.ts';
import { MOTO_INSTALL_HINT, motoS3Client } from './helpers/moto.ts';
import { createQueuePair, motoSqsClient } from './helpers/sqs.ts';

const endpoint = inject('motoEndpoint');
if (!endpoint) console.warn(`\n!!! ${MOTO_INSTALL_HINT}\n`);

const CHELSEA = readFileSync(new URL('./fixtures/chelsea.jpg', import.meta.url));
const PNG = readFileSync(new URL('./fixtures/page.png', import.meta.url));

describe('Function: parseS3Notification', () => {
  it('decodes keys as S3 encodes them and keeps only ObjectCreated events', () => {
    const body = JSON.stringify({
      Records: [
        { eventName: 'ObjectCreated:Put', s3: { object: { key: 't1%2Fmy+img%2Fincoming', size: 5 } } },
        { eventName: 'ObjectRemoved:Delete', s3: { object: { key: 't1%2Fx%2Fincoming', size: 0 } } },
        { eventName: 'ObjectCreated:Put', s3: { object: { key: '%E0%A4%A', size: 1 } } },
      ],
    });
    expect(parseS3Notification(body)).toEqual({
      kind: 'created',
      objects: [{ key: 't1/my img/incoming', size: 5 }],
    });
    expect(parseS3Notification('{"Event":"s3:TestEvent"}')).toEqual({ kind: 'test-event' });
    expect(parseS3Notification('nope')).toEqual({ kind: 'other' });
    expect(decodeS3Key('a%2Bb+c')).toBe('a+b c');
  });

  it('accepts only the incoming key of a signed upload', () => {
    expect(incomingUpload('t1/img/incoming')).toEqual({ tenant: 't1', imageId: 'img' });
    for (const key of [
      't1/img/original',
      't1/img/thumb-small.jpg',
      'incoming',
      'a/b/c/incoming',
      '../img/incoming',
    ])
      expect(incomingUpload(key)).toBeNull();
  });
});

describe.skipIf(!endpoint)('Function: processBatch (on moto)', () => {
  let s3: S3Client;
  let sqs: SQSClient;
  let dynamo: ReturnType<typeof motoDynamo>;
  let bucket: string;
  let queueUrl: string;
  let core: CoreDeps;
  let deps: ProcessBatchDeps;
  const logged: string[] = [];
  /** The images the batch announced as ended for good (the process function queues webhooks there). */
  const ended: string[] = [];

  beforeAll(() => {
    s3 = motoS3Client(endpoint ?? '');
    sqs = motoSqsClient(endpoint ?? '');
    dynamo = motoDynamo(endpoint ?? '');
  });
  afterAll(() => {
    s3.destroy();
    sqs.destroy();
    dynamo.base.destroy();
  });

  beforeEach(async () => {
    logged.length = 0;
    ended.length = 0;
    bucket = `batch-${randomUUID()}`.slice(0, 63);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const queues = await createQueuePair(sqs, 3);
    queueUrl = queues.queueUrl;
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        NotificationConfiguration: {
          QueueConfigurations: [{ QueueArn: Attributes?.QueueArn, Events: ['s3:ObjectCreated:*'] }],
        },
      }),
    );
    const tableName = await freshImageTable(dynamo.base);
    const config = SharedConfigSchema.parse({ ANALYSIS: 'none' });
    const blobs = new S3BlobStore({ client: s3, bucket });
    const repo = new DynamoImageRepository({ client: dynamo.client, tableName });
    const queue = new SqsJobQueue({
      client: sqs,
      queueUrl,
      deadLetterQueueUrl: queues.deadLetterQueueUrl,
      maxReceives: 3,
    });
    core = createCore(
      {
        repo,
        blobs,
        queue,
        deadLetters: queue,
        urls: new S3SignedUrls({ client: s3, bucket }),
        clock: systemClock,
        events: new InProcessImageEvents(),
      },
      config,
    );
    const processing = createProcessing(
      { repo, blobs, analyzer: null, clock: systemClock },
      processingSettingsFrom(config),
    );
    deps = {
      core,
      processing,
      sqs: { client: sqs, queueUrl },
      log: (line) => logged.push(line),
      imageEnded: async (imageId) => ended.push(imageId),
    };
  });

  /** Receives from the queue until `done` holds for what was received, as Lambda's event source would. */
  async function receiveUntil(done: (records: SqsEventRecord[]) => boolean): Promise<SqsEventRecord[]> {
    const records: SqsEventRecord[] = [];
    const deadline = Date.now() + 15_000;
    while (!done(records)) {
      if (Date.now() > deadline)
        throw new Error(`gave up waiting; received ${JSON.stringify(records.map((r) => r.body))}`);
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      for (const m of Messages)
        records.push({
          messageId: m.MessageId ?? '',
          body: m.Body ?? '',
          receiptHandle: m.ReceiptHandle ?? '',
          attributes: { ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1' },
        });
    }
    return records;
  }

  /** Runs a batch and deletes what succeeded, as Lambda does with a partial batch response. */
  async function deliver(records: SqsEventRecord[]) {
    const response = await processBatch(records, deps);
    const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    const done = records.filter((r) => !failed.has(r.messageId));
    if (done.length > 0)
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
        }),
      );
    return response;
  }

  const createdKey = (key: string) => (r: SqsEventRecord) => {
    const n = parseS3Notification(r.body);
    return n.kind === 'created' && n.objects.some((o) => o.key === key);
  };
  const isJob = (r: SqsEventRecord) => parseBody(r.body).kind === 'job';

  async function upload(bytes: Buffer): Promise<string> {
    const { imageId, uploadUrl } = await createUpload(core, 't1', {
      fileName: 'cat.jpg',
      fileType: 'image/jpeg',
    });
    const res = await fetch(uploadUrl, {
      method: 'PUT',
      body: bytes,
      headers: { 'Content-Type': 'image/jpeg' },
    });
    expect(res.status).toBe(200);
    return imageId;
  }

  async function keysUnder(prefix: string): Promise<string[]> {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return (listed.Contents ?? []).map((o) => o.Key ?? '').sort();
  }

  it('completes an upload from the S3 notification, then processes its job', async () => {
    const imageId = await upload(CHELSEA);
    const notices = await receiveUntil((rs) => rs.some(createdKey(`t1/${imageId}/incoming`)));
    expect(await deliver(notices)).toEqual({ batchItemFailures: [] });
    expect((await core.repo.getById(imageId))?.status).toBe('uploaded');
    expect(ended).toEqual([]);

    const jobs = await receiveUntil((rs) => rs.some(isJob));
    expect(jobs.filter(isJob).map((r) => parseBody(r.body))).toEqual([
      { kind: 'job', job: { name: 'process-image', data: { tenant: 't1', imageId } } },
    ]);
    expect(await deliver(jobs)).toEqual({ batchItemFailures: [] });
    const image = await core.repo.getById(imageId);
    expect(image?.status).toBe('completed');
    expect(ended).toEqual([imageId]);
    expect(await keysUnder(`t1/${imageId}/`)).toEqual(
      ['full.webp', 'original', 'thumb-large.jpg', 'thumb-medium.jpg', 'thumb-small.jpg'].map(
        (name) => `t1/${imageId}/${name}`,
      ),
    );
  });

  it('reports a job to retry as failed and keeps its message hidden for the backoff delay', async () => {
    const imageId = await upload(CHELSEA);
    await deliver(await receiveUntil((rs) => rs.some(createdKey(`t1/${imageId}/incoming`))));
    const jobs = (await receiveUntil((rs) => rs.some(isJob))).filter(isJob);
    const pipeline = Object.create(deps.processing.pipeline);
    pipeline.thumbnails = () => Promise.reject(new Error('disk full'));
    const failing = { ...deps, processing: { ...deps.processing, pipeline, retryBaseDelayMs: 2000 } };
    expect(await processBatch(jobs, failing)).toEqual({
      batchItemFailures: jobs.map((r) => ({ itemIdentifier: r.messageId })),
    });
    expect((await core.repo.getById(imageId))?.message).toMatch(
      /^Attempt 1 of 3 failed \(PROCESSING_ERROR\)/,
    );
    // A retry is not an end: no webhook until the image completes.
    expect(ended).toEqual([]);
    // The queue's visibility timeout is 30 s: back within seconds means the delay was applied.
    const again = (await receiveUntil((rs) => rs.some(isJob))).filter(isJob);
    expect(again.map((r) => [r.messageId, r.attributes?.ApproximateReceiveCount])).toEqual(
      jobs.map((r) => [r.messageId, '2']),
    );
    expect(await deliver(again)).toEqual({ batchItemFailures: [] });
    expect((await core.repo.getById(imageId))?.status).toBe('completed');
  });

  it('fails an upload whose bytes are not the declared type, without failing the message', async () => {
    const imageId = await upload(PNG);
    const notices = await receiveUntil((rs) => rs.some(createdKey(`t1/${imageId}/incoming`)));
    expect(await deliver(notices)).toEqual({ batchItemFailures: [] });
    const image = await core.repo.getById(imageId);
    expect(image?.status).toBe('failed');
    expect(image?.error?.code).toBe('CONTENT_MISMATCH');
    expect(await keysUnder(`t1/${imageId}/`)).toEqual([]);
    expect(logged).toContain(`upload of image ${imageId} refused: CONTENT_MISMATCH`);
    // Failed for good: its tenant's webhooks hear of it.
    expect(ended).toEqual([imageId]);
  });

  it('reports a message it cannot read as failed, so that SQS dead-letters it', async () => {
    const records = [
      { messageId: 'm1', body: '<not json>' },
      { messageId: 'm2', body: '{"name":"resize","data":{}}' },
      { messageId: 'm3', body: '{"Event":"s3:TestEvent"}' },
    ];
    expect(await processBatch(records, deps)).toEqual({
      batchItemFailures: [{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }],
    });
    expect(logged).toHaveLength(2);
  });

  it('removes what was uploaded for an unknown image, and ignores keys that are not uploads', async () => {
    const orphan = randomUUID();
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `t1/${orphan}/incoming`, Body: CHELSEA }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'other/thing.txt', Body: 'keep' }));
    const notices = await receiveUntil(
      (rs) => rs.some(createdKey(`t1/${orphan}/incoming`)) && rs.some(createdKey('other/thing.txt')),
    );
    expect(await deliver(notices)).toEqual({ batchItemFailures: [] });
    expect(await keysUnder(`t1/${orphan}/`)).toEqual([]);
    expect(await keysUnder('other/')).toEqual(['other/thing.txt']);
  });
});
