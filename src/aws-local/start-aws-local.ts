import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createS3Client } from '../adapters/aws/s3-client.ts';
import { API_FUNCTIONS, API_ROUTES, type ApiFunction } from '../aws/api-routes.ts';
import type { ApiHandler } from '../lambda/api-handler.ts';
import { urlFor } from '../local/config.ts';
import type { AwsLocalConfig } from './config.ts';
import { type EventSource, startEventSource } from './event-source.ts';
import { createGateway } from './gateway.ts';
import { GatewayKeys } from './gateway-keys.ts';
import { type MotoServer, startMoto } from './moto.ts';
import { ensureAdminKey, type GatewayAdminKey, provisionStack, STACK } from './provision.ts';

export interface AwsLocal {
  url: string;
  endpoint: string;
  adminKey: GatewayAdminKey;
  close(): Promise<void>;
}

const REGION = 'us-east-1';
/**
 * How long an API function may run here: API Gateway's own 29 s integration limit. (The
 * template gives the functions 20–28 s, each under it; the stand-in does not model those.)
 */
const API_TIMEOUT_MS = 29_000;
const PROCESS_TIMEOUT_MS = 120_000;

/**
 * The AWS home on this machine: the Lambda handlers, unchanged, on moto_server's S3,
 * DynamoDB, SQS and API Gateway key store, behind a stand-in for API Gateway's REST proxy
 * integration and for the SQS event source mappings (process, webhook). Only Rekognition is not here.
 */
export async function startAwsLocal(config: AwsLocalConfig, log: (line: string) => void): Promise<AwsLocal> {
  let moto: MotoServer | undefined;
  if (!config.AWS_ENDPOINT_URL) moto = await startMoto(config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST);
  const endpoint = config.AWS_ENDPOINT_URL ?? (moto as MotoServer).endpoint;
  try {
    return await start(config, endpoint, moto, log);
  } catch (error) {
    await moto?.stop();
    throw error;
  }
}

async function start(
  config: AwsLocalConfig,
  endpoint: string,
  moto: MotoServer | undefined,
  log: (line: string) => void,
): Promise<AwsLocal> {
  // What Lambda's environment gives every function: a region and credentials (any will do
  // for the emulator; never a developer's real ones, which must not reach it).
  process.env.AWS_REGION = REGION;
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  const base = { region: REGION, endpoint };
  const clients = {
    s3: createS3Client({ ...base, forcePathStyle: true }),
    dynamo: new DynamoDBClient(base),
    sqs: new SQSClient(base),
    apiGateway: new APIGatewayClient(base),
  };
  const limits = {
    rateLimitRps: config.RATE_LIMIT_RPS,
    rateLimitBurst: config.RATE_LIMIT_BURST,
    dailyQuota: config.DAILY_QUOTA,
  };
  const stack = await provisionStack(clients, config.STACK_NAME, limits);

  const handlers = {} as Record<ApiFunction, ApiHandler>;
  const server = createGateway({
    routes: API_ROUTES,
    handlers,
    keys: new GatewayKeys(clients.apiGateway),
    stage: 'local',
    timeoutMs: API_TIMEOUT_MS,
    log,
  });
  await listen(server, config.PORT, config.HOST);
  const url = config.PUBLIC_URL ?? urlFor(config.HOST, (server.address() as AddressInfo).port);
  // The admin key is made only once the port is ours, as `npm start` does.
  const adminKey = await ensureAdminKey(clients.apiGateway, stack.usagePlanId, config.API_KEY);

  // The template's environment for every function. Set before their modules load: each
  // reads it once at init, as a Lambda container does.
  Object.assign(process.env, {
    BUCKET_NAME: stack.bucket,
    TABLE_NAME: stack.table,
    QUEUE_URL: stack.queueUrl,
    DEAD_LETTER_QUEUE_URL: stack.deadLetterQueueUrl,
    WEBHOOK_QUEUE_URL: stack.webhookQueueUrl,
    USAGE_PLAN_ID: stack.usagePlanId,
    ADMIN_API_KEY_ID: adminKey.keyId,
    ANALYSIS_PROVIDER: config.ANALYSIS_PROVIDER,
    AWS_ENDPOINT_URL: endpoint,
    JOB_MAX_ATTEMPTS: String(STACK.maxReceiveCount),
    PUBLIC_URL: url,
    POWERTOOLS_SERVICE_NAME: process.env.POWERTOOLS_SERVICE_NAME ?? 'serverless-image-api',
    // EMF lines are CloudWatch's input; on a terminal they are noise unless asked for.
    POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED ?? 'true',
    // This thread has said that SDK releases after January 2027 need Node 22; once is enough.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  const modules = await Promise.all(API_FUNCTIONS.map((fn) => importHandler(fn)));
  API_FUNCTIONS.forEach((fn, i) => {
    handlers[fn] = modules[i] as ApiHandler;
  });

  const events: EventSource = startEventSource(
    {
      fn: 'process',
      region: REGION,
      endpoint,
      queueUrl: stack.queueUrl,
      queueArn: stack.queueArn,
      batchSize: STACK.batchSize,
      timeoutMs: PROCESS_TIMEOUT_MS,
      memoryMb: 2048,
    },
    config.WORKERS,
    log,
  );
  // One poller: a webhook batch is mostly waiting on receivers, side by side.
  const webhookEvents: EventSource = startEventSource(
    {
      fn: 'webhook',
      region: REGION,
      endpoint,
      queueUrl: stack.webhookQueueUrl,
      queueArn: stack.webhookQueueArn,
      batchSize: STACK.webhookBatchSize,
      timeoutMs: STACK.webhookTimeoutSeconds * 1000,
      memoryMb: 256,
    },
    1,
    log,
  );

  return {
    url,
    endpoint,
    adminKey,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await Promise.all([
        events.stop(PROCESS_TIMEOUT_MS),
        webhookEvents.stop(STACK.webhookTimeoutSeconds * 1000),
      ]);
      for (const client of Object.values(clients)) client.destroy();
      await moto?.stop();
    },
  };
}

/** One API function's module, loaded as Lambda loads it (its init runs once, here). */
async function importHandler(fn: ApiFunction): Promise<ApiHandler> {
  switch (fn) {
    case 'upload':
      return (await import('../lambda/upload.ts')).handler;
    case 'list':
      return (await import('../lambda/list.ts')).handler;
    case 'get':
      return (await import('../lambda/get.ts')).handler;
    case 'delete':
      return (await import('../lambda/delete.ts')).handler;
    case 'status':
      return (await import('../lambda/status.ts')).handler;
    case 'admin':
      return (await import('../lambda/admin.ts')).handler;
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
