import { parentPort, workerData } from 'node:worker_threads';
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { lambdaContext } from './lambda-context.ts';

/** What the main thread hands each poller. */
export interface EventSourceSettings {
  /** The function this mapping invokes (src/lambda/<fn>.ts). */
  fn: 'process' | 'webhook';
  region: string;
  endpoint: string;
  queueUrl: string;
  queueArn: string;
  batchSize: number;
  timeoutMs: number;
  memoryMb: number;
}

const settings = workerData as EventSourceSettings;
// The function's module, initialised as a Lambda container would be: once, then warm.
const { handler } =
  settings.fn === 'webhook' ? await import('../lambda/webhook.ts') : await import('../lambda/process.ts');
const sqs = new SQSClient({ region: settings.region, endpoint: settings.endpoint });
let stopping = false;
parentPort?.on('message', (message) => {
  if (message === 'stop') stopping = true;
});

/** An SQS message as Lambda's event source mapping hands it over. */
function toRecord(message: Message): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId as string,
    receiptHandle: message.ReceiptHandle as string,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: settings.queueArn,
    awsRegion: settings.region,
  };
}

/**
 * Lambda's SQS event source mapping, in a worker thread: receive a batch, invoke the
 * function's handler with it, delete every message except the reported batchItemFailures.
 * A handler that throws leaves the whole batch to come back after the visibility timeout,
 * as Lambda does. Short long-polls so a stop request is honoured within two seconds.
 */
while (!stopping) {
  let messages: Message[];
  try {
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: settings.queueUrl,
        MaxNumberOfMessages: settings.batchSize,
        WaitTimeSeconds: 2,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    messages = received.Messages ?? [];
  } catch (error) {
    console.error(`event source: receive failed: ${(error as Error).message}`);
    await new Promise((r) => setTimeout(r, 1000));
    continue;
  }
  if (messages.length === 0) continue;
  const event: SQSEvent = { Records: messages.map(toRecord) };
  let failed: Set<string>;
  try {
    const response = await handler(event, lambdaContext(settings.fn, settings.timeoutMs, settings.memoryMb));
    failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
  } catch (error) {
    console.error(`event source: the ${settings.fn} function failed: ${(error as Error).message}`);
    continue;
  }
  const done = messages.filter((message) => !failed.has(message.MessageId as string));
  if (done.length === 0) continue;
  await sqs
    .send(
      new DeleteMessageBatchCommand({
        QueueUrl: settings.queueUrl,
        Entries: done.map((message, i) => ({ Id: String(i), ReceiptHandle: message.ReceiptHandle })),
      }),
    )
    .catch((error) => console.error(`event source: delete failed: ${(error as Error).message}`));
}
// The handler's clients keep sockets open; in a worker, process.exit ends only this thread,
// between batches, which is what stop() waits for.
process.exit(0);
