import {
  type APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  GetApiKeysCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
} from '@aws-sdk/client-api-gateway';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  HeadBucketCommand,
  PutBucketCorsCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketVersioningCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createImageTable } from '../adapters/aws/dynamo-table.ts';
import { generateApiKey } from '../core/api-keys.ts';
import type { KeyLimits } from '../ports/key-store.ts';

/**
 * The stack's settings that template.yaml states too (test/template.test.ts holds them to
 * each other): the loopback home is built as a deployment would be.
 */
export const STACK = {
  /** SQS redelivers a message this many times, then moves it to the DLQ (= JOB_MAX_ATTEMPTS). */
  maxReceiveCount: 3,
  /** 6 × the process function's timeout (120 s), as AWS advises for an SQS event source. */
  queueVisibilitySeconds: 720,
  /** Dead letters are kept for SQS's longest retention, 14 days. */
  deadLetterRetentionSeconds: 1_209_600,
  /** Signed uploads land at `{tenant}/{imageId}/incoming`: only those notify the queue. */
  uploadKeySuffix: '/incoming',
  /** The process function's event source mapping takes batches of this size. */
  batchSize: 5,
  /** The webhook function: its timeout, and the webhook queue's visibility (6 x that). */
  webhookTimeoutSeconds: 60,
  webhookQueueVisibilitySeconds: 360,
  /**
   * A webhook message that keeps failing (the store or SQS is failing, not the receiver:
   * a receiver's refusal is a recorded attempt) goes to the webhook DLQ after this many.
   */
  webhookMaxReceiveCount: 5,
  webhookBatchSize: 10,
} as const;

export interface StackResources {
  bucket: string;
  table: string;
  queueUrl: string;
  /** The queues' ARNs, which event source mappings name. */
  queueArn: string;
  deadLetterQueueUrl: string;
  webhookQueueUrl: string;
  webhookQueueArn: string;
  usagePlanId: string;
}

export interface StackClients {
  s3: S3Client;
  dynamo: DynamoDBClient;
  sqs: SQSClient;
  apiGateway: APIGatewayClient;
}

/**
 * Creates what template.yaml creates, on an emulator: the bucket (versioned, CORS for
 * browser PUTs, ObjectCreated on uploads → the jobs queue), the table with its indexes and
 * TTL, the jobs queue and the webhook queue with their DLQs, and the default usage plan. Existing ones are reused, so a
 * persistent endpoint (AWS_ENDPOINT_URL) keeps its data across starts.
 */
export async function provisionStack(
  clients: StackClients,
  stackName: string,
  limits: KeyLimits,
): Promise<StackResources> {
  const names = { bucket: `${stackName}-images`, table: `${stackName}-images`, queue: `${stackName}-jobs` };
  const deadLetterQueueUrl = await createQueue(clients.sqs, `${names.queue}-dlq`, {
    MessageRetentionPeriod: String(STACK.deadLetterRetentionSeconds),
  });
  const deadLetterArn = await queueArn(clients.sqs, deadLetterQueueUrl);
  const queueUrl = await createQueue(clients.sqs, names.queue, {
    VisibilityTimeout: String(STACK.queueVisibilitySeconds),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: deadLetterArn,
      maxReceiveCount: STACK.maxReceiveCount,
    }),
  });
  const webhookDeadLetterArn = await queueArn(
    clients.sqs,
    await createQueue(clients.sqs, `${stackName}-webhooks-dlq`, {
      MessageRetentionPeriod: String(STACK.deadLetterRetentionSeconds),
    }),
  );
  const webhookQueueUrl = await createQueue(clients.sqs, `${stackName}-webhooks`, {
    VisibilityTimeout: String(STACK.webhookQueueVisibilitySeconds),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: webhookDeadLetterArn,
      maxReceiveCount: STACK.webhookMaxReceiveCount,
    }),
  });
  const [jobsArn, webhooksArn] = await Promise.all([
    queueArn(clients.sqs, queueUrl),
    queueArn(clients.sqs, webhookQueueUrl),
  ]);
  await createBucket(clients.s3, names.bucket, jobsArn);
  await createTable(clients.dynamo, names.table);
  const usagePlanId = await createUsagePlan(clients.apiGateway, `${stackName}-default`, limits);
  return {
    bucket: names.bucket,
    table: names.table,
    queueUrl,
    queueArn: jobsArn,
    deadLetterQueueUrl,
    webhookQueueUrl,
    webhookQueueArn: webhooksArn,
    usagePlanId,
  };
}

async function createQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<string> {
  // CreateQueue returns the existing queue when the attributes match.
  const created = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  return created.QueueUrl as string;
}

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  return Attributes?.QueueArn as string;
}

async function createBucket(s3: S3Client, bucket: string, queueArn: string): Promise<void> {
  const exists = await s3.send(new HeadBucketCommand({ Bucket: bucket })).then(
    () => true,
    () => false,
  );
  if (!exists) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(
    new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
  );
  await s3.send(
    new PutBucketCorsCommand({
      Bucket: bucket,
      CORSConfiguration: {
        CORSRules: [
          {
            AllowedMethods: ['PUT', 'GET', 'HEAD'],
            AllowedOrigins: ['*'],
            AllowedHeaders: ['content-type'],
            ExposeHeaders: ['ETag'],
            MaxAgeSeconds: 3600,
          },
        ],
      },
    }),
  );
  await s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: bucket,
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            QueueArn: queueArn,
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'suffix', Value: STACK.uploadKeySuffix }] } },
          },
        ],
      },
    }),
  );
}

async function createTable(dynamo: DynamoDBClient, table: string): Promise<void> {
  const exists = await dynamo.send(new DescribeTableCommand({ TableName: table })).then(
    () => true,
    () => false,
  );
  if (!exists) await createImageTable(dynamo, table);
}

async function createUsagePlan(
  apiGateway: APIGatewayClient,
  name: string,
  limits: KeyLimits,
): Promise<string> {
  const plans = await apiGateway.send(new GetUsagePlansCommand({ limit: 500 }));
  const existing = plans.items?.find((plan) => plan.name === name);
  if (existing?.id) return existing.id;
  const plan = await apiGateway.send(
    new CreateUsagePlanCommand({
      name,
      throttle: { rateLimit: limits.rateLimitRps, burstLimit: limits.rateLimitBurst },
      quota: limits.dailyQuota > 0 ? { limit: limits.dailyQuota, period: 'DAY' } : undefined,
    }),
  );
  return plan.id as string;
}

/** Where this start's admin key came from, as `npm start` reports it. */
export type GatewayAdminKey = { keyId: string } & (
  | { source: 'env' }
  | { source: 'generated'; apiKey: string }
);

/**
 * The owner's key, as the template's AWS::ApiGateway::ApiKey: API_KEY when given (an
 * existing key with that value is reused), otherwise a new one, shown once by the caller.
 */
export async function ensureAdminKey(
  apiGateway: APIGatewayClient,
  usagePlanId: string,
  apiKey: string | undefined,
): Promise<GatewayAdminKey> {
  if (apiKey) {
    const keys = await apiGateway.send(new GetApiKeysCommand({ includeValues: true, limit: 500 }));
    const existing = keys.items?.find((key) => key.value === apiKey && key.enabled !== false);
    if (existing?.id) {
      await joinPlan(apiGateway, usagePlanId, existing.id);
      return { keyId: existing.id, source: 'env' };
    }
  }
  const value = apiKey ?? generateApiKey();
  const created = await apiGateway.send(
    new CreateApiKeyCommand({ name: 'admin', description: 'The stack owner', enabled: true, value }),
  );
  const keyId = created.id as string;
  await joinPlan(apiGateway, usagePlanId, keyId);
  return apiKey ? { keyId, source: 'env' } : { keyId, source: 'generated', apiKey: value };
}

async function joinPlan(apiGateway: APIGatewayClient, usagePlanId: string, keyId: string): Promise<void> {
  const members = await apiGateway.send(new GetUsagePlanKeysCommand({ usagePlanId, limit: 500 }));
  if (members.items?.some((key) => key.id === keyId)) return;
  await apiGateway.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId, keyType: 'API_KEY' }));
}
