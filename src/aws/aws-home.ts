import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ApiGatewayKeyStore } from '../adapters/aws/api-gateway-key-store.ts';
import { DynamoImageRepository } from '../adapters/aws/dynamo-image-repository.ts';
import { DynamoWebhookStore } from '../adapters/aws/dynamo-webhook-store.ts';
import { S3BlobStore } from '../adapters/aws/s3-blob-store.ts';
import { createS3Client } from '../adapters/aws/s3-client.ts';
import { S3SignedUrls } from '../adapters/aws/s3-signed-urls.ts';
import { SqsJobQueue } from '../adapters/aws/sqs-job-queue.ts';
import { SqsWebhookQueue } from '../adapters/aws/sqs-webhook-queue.ts';
import { InProcessImageEvents } from '../adapters/local/in-process-image-events.ts';
import { createCore, processingSettingsFrom } from '../core/create-core.ts';
import type { CoreDeps } from '../core/deps.ts';
import type { ProcessingDeps } from '../core/processing.ts';
import type { Analyzer } from '../ports/analyzer.ts';
import { systemClock } from '../ports/clock.ts';
import type { KeyLimits } from '../ports/key-store.ts';
import type { AwsConfig } from './config.ts';

/** Wraps an SDK client (Powertools' tracer in Lambda); the identity elsewhere. */
export type InstrumentClient = <T>(client: T) => T;

export interface AwsClients {
  s3: S3Client;
  sqs: SQSClient;
  dynamo: DynamoDBDocumentClient;
}

/** The AWS home's adapters and core, as every function builds them at init. */
export interface AwsHome {
  config: AwsConfig;
  clients: AwsClients;
  core: CoreDeps;
  /** A new key's limits unless POST /keys asks for others: the default usage plan's. */
  keyDefaults: KeyLimits;
  /** The admin routes' key store; needs USAGE_PLAN_ID. */
  keys(): Promise<ApiGatewayKeyStore>;
  /** Processing as the process function runs it, with the configured analysis provider. */
  processing(): Promise<ProcessingDeps>;
  /** Webhooks and their deliveries, in the image table. */
  webhookStore: DynamoWebhookStore;
  /** The deliveries' timer; needs WEBHOOK_QUEUE_URL (the process and webhook functions). */
  webhookQueue(): SqsWebhookQueue;
}

/**
 * Builds the AWS adapters from the configuration. Clients are created once per container
 * and reused by every invocation; nothing here touches the network.
 */
export function createAwsHome(config: AwsConfig, instrument: InstrumentClient = (c) => c): AwsHome {
  const endpoint = config.AWS_ENDPOINT_URL;
  const base = { region: config.AWS_REGION, ...(endpoint ? { endpoint } : {}) };
  const clients: AwsClients = {
    // One port for every service on an emulator: bucket names go in the path there.
    s3: instrument(createS3Client({ ...base, forcePathStyle: Boolean(endpoint) })),
    sqs: instrument(new SQSClient(base)),
    dynamo: DynamoDBDocumentClient.from(instrument(new DynamoDBClient(base))),
  };
  const repo = new DynamoImageRepository({ client: clients.dynamo, tableName: config.TABLE_NAME });
  const blobs = new S3BlobStore({ client: clients.s3, bucket: config.BUCKET_NAME });
  const queue = new SqsJobQueue({
    client: clients.sqs,
    queueUrl: config.QUEUE_URL,
    deadLetterQueueUrl: config.DEAD_LETTER_QUEUE_URL,
    // The template's RedrivePolicy maxReceiveCount is the attempt limit on AWS.
    maxReceives: config.JOB_MAX_ATTEMPTS,
  });
  const core = createCore(
    {
      repo,
      blobs,
      queue,
      deadLetters: queue,
      urls: new S3SignedUrls({ client: clients.s3, bucket: config.BUCKET_NAME }),
      clock: systemClock,
      // Jobs end in another function: a waiting status request re-reads the record each second.
      events: new InProcessImageEvents(),
    },
    config,
  );
  const keyDefaults: KeyLimits = {
    rateLimitRps: config.RATE_LIMIT_RPS,
    rateLimitBurst: config.RATE_LIMIT_BURST,
    dailyQuota: config.DAILY_QUOTA,
  };
  const webhookStore = new DynamoWebhookStore({ client: clients.dynamo, tableName: config.TABLE_NAME });
  let keys: Promise<ApiGatewayKeyStore> | undefined;
  let processing: Promise<ProcessingDeps> | undefined;
  return {
    config,
    clients,
    core,
    keyDefaults,
    webhookStore,
    webhookQueue() {
      const queueUrl = config.WEBHOOK_QUEUE_URL;
      if (!queueUrl)
        throw new Error('WEBHOOK_QUEUE_URL is not set: sending webhooks needs the webhook queue');
      return new SqsWebhookQueue({ client: clients.sqs, queueUrl, clock: systemClock });
    },
    keys() {
      const usagePlanId = config.USAGE_PLAN_ID;
      if (!usagePlanId) throw new Error('USAGE_PLAN_ID is not set: the keys API needs the usage plan');
      // Imported on first use: only the admin function manages keys, and the other API
      // functions' cold start should not pay for API Gateway's SDK client.
      keys ??= Promise.all([
        import('@aws-sdk/client-api-gateway'),
        import('../adapters/aws/api-gateway-key-store.ts'),
      ]).then(
        ([{ APIGatewayClient }, { ApiGatewayKeyStore }]) =>
          new ApiGatewayKeyStore({
            client: instrument(new APIGatewayClient(base)),
            defaultUsagePlanId: usagePlanId,
            defaults: keyDefaults,
            ...(config.ADMIN_API_KEY_ID ? { adminKeyId: config.ADMIN_API_KEY_ID } : {}),
          }),
      );
      return keys;
    },
    processing() {
      // Imported here, not at the top: it loads sharp, which only the process function ships.
      processing ??= Promise.all([
        analyzerFor(config, instrument),
        import('../core/create-processing.ts'),
      ]).then(([analyzer, { createProcessing }]) =>
        createProcessing({ repo, blobs, analyzer, clock: systemClock }, processingSettingsFrom(config)),
      );
      return processing;
    },
  };
}

/**
 * The analysis provider, imported only when chosen: a function that does not analyse never
 * loads the Rekognition client or the local models.
 */
async function analyzerFor(config: AwsConfig, instrument: InstrumentClient): Promise<Analyzer | null> {
  if (config.ANALYSIS.length === 0) return null;
  switch (config.ANALYSIS_PROVIDER) {
    case 'rekognition': {
      const [{ RekognitionClient }, { RekognitionAnalyzer }] = await Promise.all([
        import('@aws-sdk/client-rekognition'),
        import('../adapters/aws/rekognition-analyzer.ts'),
      ]);
      // Never an emulator: moto fakes only two of the operations we call.
      return new RekognitionAnalyzer({
        client: instrument(new RekognitionClient({ region: config.AWS_REGION })),
      });
    }
    case 'local': {
      const { LocalAnalyzer } = await import('../adapters/local/analysis/local-analyzer.ts');
      return new LocalAnalyzer();
    }
    case 'none':
      return null;
  }
}
