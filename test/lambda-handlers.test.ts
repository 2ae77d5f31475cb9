import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEvent, Context, DynamoDBRecord, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { S3BlobStore } from '../src/adapters/aws/s3-blob-store.ts';
import { TRANSITIONS } from '../src/core/image-state.ts';
import { createUpload } from '../src/core/upload.ts';
import { freshImageTable, motoDynamo } from './helpers/dynamo.ts';
import { motoS3Client } from './helpers/moto.ts';
import { createQueuePair, motoSqsClient } from './helpers/sqs.ts';

const endpoint = inject('motoEndpoint');

/** The handlers as Lambda runs them: imported after the template's environment is set. */
describe.skipIf(!endpoint)('Lambda handlers (on moto)', () => {
  const s3 = motoS3Client(endpoint ?? '');
  const sqs = motoSqsClient(endpoint ?? '');
  const dynamo = motoDynamo(endpoint ?? '');
  const bucket = `handlers-${Date.now()}`;
  let blobs: S3BlobStore;
  let handlers: {
    list: typeof import('../src/lambda/list.ts').handler;
    admin: typeof import('../src/lambda/admin.ts').handler;
    process: typeof import('../src/lambda/process.ts').handler;
    cleanup: typeof import('../src/lambda/cleanup.ts').handler;
    home: ReturnType<typeof import('../src/aws/aws-home.ts').createAwsHome>;
  };

  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const queues = await createQueuePair(sqs, 3);
    const webhookQueues = await createQueuePair(sqs, 5);
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL: endpoint,
      BUCKET_NAME: bucket,
      TABLE_NAME: await freshImageTable(dynamo.base),
      QUEUE_URL: queues.queueUrl,
      DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl,
      WEBHOOK_QUEUE_URL: webhookQueues.queueUrl,
      ANALYSIS_PROVIDER: 'none',
      ADMIN_API_KEY_ID: 'owner-key-id',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      LOG_LEVEL: 'silent',
    });
    const { createAwsHome } = await import('../src/aws/aws-home.ts');
    const { loadAwsConfig } = await import('../src/aws/config.ts');
    handlers = {
      list: (await import('../src/lambda/list.ts')).handler,
      admin: (await import('../src/lambda/admin.ts')).handler,
      process: (await import('../src/lambda/process.ts')).handler,
      cleanup: (await import('../src/lambda/cleanup.ts')).handler,
      home: createAwsHome(loadAwsConfig(process.env)),
    };
    blobs = new S3BlobStore({ client: s3, bucket });
  });
  afterAll(() => {
    s3.destroy();
    sqs.destroy();
    dynamo.base.destroy();
  });

  function restEvent(method: string, path: string, apiKeyId: string | null): APIGatewayProxyEvent {
    return {
      resource: path,
      path,
      httpMethod: method,
      headers: { Host: 'abc123.execute-api.us-east-1.amazonaws.com' },
      multiValueHeaders: {},
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: null,
      stageVariables: null,
      body: null,
      isBase64Encoded: false,
      requestContext: {
        domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
        stage: 'prod',
        httpMethod: method,
        path: `/prod${path}`,
        identity: { apiKeyId },
      },
    } as unknown as APIGatewayProxyEvent;
  }

  it('take the tenant from the key id API Gateway passes, and refuse an event without one', async () => {
    const listed = await handlers.list(restEvent('GET', '/images', 'tenant-key-id'));
    expect([listed.statusCode, JSON.parse(listed.body)]).toEqual([200, { images: [], count: 0 }]);
    const anonymous = await handlers.list(restEvent('GET', '/images', null));
    expect(anonymous.statusCode).toBe(401);
    expect(JSON.parse(anonymous.body).error.code).toBe('UNAUTHORIZED');
    // Only the stack's own key is the admin.
    const notAdmin = await handlers.admin(restEvent('GET', '/jobs/dead-letters', 'tenant-key-id'));
    expect(JSON.parse(notAdmin.body).error.code).toBe('ADMIN_REQUIRED');
    const owner = await handlers.admin(restEvent('GET', '/jobs/dead-letters', 'owner-key-id'));
    expect([owner.statusCode, JSON.parse(owner.body)]).toEqual([200, { deadLetters: [] }]);
  });

  it('document the stage URL as the server, and the package version', async () => {
    const doc = await handlers.admin(restEvent('GET', '/openapi.json', null));
    const body = JSON.parse(doc.body);
    expect(body.servers).toEqual([{ url: 'https://abc123.execute-api.us-east-1.amazonaws.com/prod' }]);
    expect(body.info.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('process: report only the messages that are not done (Powertools partial batch response)', async () => {
    const record = (messageId: string, body: string) =>
      ({ messageId, body, receiptHandle: 'r', attributes: { ApproximateReceiveCount: '1' } }) as SQSRecord;
    const response = await handlers.process(
      {
        Records: [
          record('test-event', JSON.stringify({ Event: 's3:TestEvent', Bucket: bucket })),
          record('garbage', 'not a job'),
          record(
            'foreign',
            JSON.stringify({
              Records: [{ eventName: 'ObjectCreated:Put', s3: { object: { key: 'x/y/original', size: 1 } } }],
            }),
          ),
        ],
      },
      { awsRequestId: 'req-1' } as Context,
    );
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'garbage' }] });
  });

  it('cleanup: a TTL deletion of an image item removes that image’s objects, and nothing else', async () => {
    await blobs.write('t1/gone/original', Buffer.from('a'));
    await blobs.write('t1/gone/thumb-small.jpg', Buffer.from('b'));
    await blobs.write('t1/kept/original', Buffer.from('c'));
    const removal = (sk: string, imageId: string, eventName: 'REMOVE' | 'MODIFY' = 'REMOVE') =>
      ({
        eventName,
        dynamodb: {
          SequenceNumber: `${sk}-${imageId}-${eventName}`,
          OldImage: { sk: { S: sk }, tenant: { S: 't1' }, imageId: { S: imageId } },
        },
        userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
      }) as unknown as DynamoDBRecord;
    const response = await handlers.cleanup({
      Records: [
        removal('IMAGE', 'gone'),
        removal('TERM#label#cat', 'kept'),
        removal('IMAGE', 'kept', 'MODIFY'),
      ],
    });
    expect(response).toEqual({ batchItemFailures: [] });
    expect(await blobs.stat('t1/gone/original')).toBeNull();
    expect(await blobs.stat('t1/gone/thumb-small.jpg')).toBeNull();
    expect(await blobs.stat('t1/kept/original')).not.toBeNull();
  });

  it('cleanup: the hourly schedule sweeps images past retention (record and objects) and unsent webhooks', async () => {
    const { core } = handlers.home;
    const { imageId } = await createUpload(core, 'sweep-tenant', {
      fileName: 'old.jpg',
      fileType: 'image/jpeg',
    });
    const now = Date.now();
    await core.repo.transition(imageId, TRANSITIONS.markUploaded(10, now - 2000, now - 1000));
    await blobs.write(`sweep-tenant/${imageId}/original`, Buffer.from('old'));
    const swept = await handlers.cleanup({
      source: 'aws.events',
      'detail-type': 'Scheduled Event',
    } as never);
    expect(swept).toEqual({ swept: 1, webhooks: { scheduled: 0, stale: 0 } });
    expect(await core.repo.getById(imageId)).toBeNull();
    expect(await blobs.stat(`sweep-tenant/${imageId}/original`)).toBeNull();
  });
});
