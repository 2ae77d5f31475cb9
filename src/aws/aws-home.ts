import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RekognitionClient } from '@aws-sdk/client-rekognition';
import type { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ApiGatewayKeyStore } from '../adapters/aws/api-gateway-key-store.ts';
import { DynamoImageRepository } from '../adapters/aws/dynamo-image-repository.ts';
import { RekognitionAnalyzer } from '../adapters/aws/rekognition-analyzer.ts';
import { S3BlobStore } from '../adapters/aws/s3-blob-store.ts';
import { createS3Client } from '../adapters/aws/s3-client.ts';
import { S3SignedUrls } from '../adapters/aws/s3-signed-urls.ts';
import { SqsJobQueue } from '../adapters/aws/sqs-job-queue.ts';
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
  apiGateway: APIGatewayClient;
  rekognition: RekognitionClient;
}

/** The AWS home's adapters and core, as every function builds them at init. */
export interface AwsHome {
  config: AwsConfig;
  clients: AwsClients;
  core: CoreDeps;
  queue: SqsJobQueue;
  /** A new key's limits unless POST /keys asks for others: the default usage plan's. */
  keyDefaults: KeyLimits;
  /** The admin routes' key store; needs USAGE_PLAN_ID. */
  keys(): ApiGatewayKeyStore;
  /** Processing as the process function runs it, with the configured analysis provider. */
  processing(): Promise<ProcessingDeps>;
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
    apiGateway: instrument(new APIGatewayClient(base)),
    rekognition: instrument(new RekognitionClient({ region: config.AWS_REGION })),
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
  let keys: ApiGatewayKeyStore | undefined;
  let processing: Promise<ProcessingDeps> | undefined;
  return {
    config,
    clients,
    core,
    queue,
    keyDefaults,
    keys() {
      if (!config.USAGE_PLAN_ID)
        throw new Error('USAGE_PLAN_ID is not set: the keys API needs the usage plan');
      keys ??= new ApiGatewayKeyStore({
        client: clients.apiGateway,
        defaultUsagePlanId: config.USAGE_PLAN_ID,
        defaults: keyDefaults,
        ...(config.ADMIN_API_KEY_ID ? { adminKeyId: config.ADMIN_API_KEY_ID } : {}),
      });
      return keys;
    },
    processing() {
      // Imported here, not at the top: it loads sharp, which only the process function ships.
      processing ??= Promise.all([analyzerFor(config, clients), import('../core/create-processing.ts')]).then(
        ([analyzer, { createProcessing }]) =>
          createProcessing({ repo, blobs, analyzer, clock: systemClock }, processingSettingsFrom(config)),
      );
      return processing;
    },
  };
}

/**
 * The analysis provider. The local models are imported only when chosen, so the bundle of a
 * function that does not use them never loads them.
 */
async function analyzerFor(config: AwsConfig, clients: AwsClients): Promise<Analyzer | null> {
  if (config.ANALYSIS.length === 0) return null;
  switch (config.ANALYSIS_PROVIDER) {
    case 'rekognition':
      return new RekognitionAnalyzer({ client: clients.rekognition });
    case 'local': {
      const { LocalAnalyzer } = await import('../adapters/local/analysis/local-analyzer.ts');
      return new LocalAnalyzer();
    }
    case 'none':
      return null;
  }
}
