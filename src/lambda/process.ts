import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createAwsHome } from '../aws/aws-home.ts';
import { loadAwsConfig } from '../aws/config.ts';
import { createObservability } from './observability.ts';
import { handleRecord, type ImageEvent, type ProcessBatchDeps } from './process-batch.ts';
import { publishImageEvent } from './publish-image-event.ts';

const config = loadAwsConfig(process.env);
const observability = createObservability('process');
const { logger, metrics, tracer } = observability;
const home = createAwsHome(config, (client) => tracer.captureAWSv3Client(client));

const METRIC_NAMES: Record<ImageEvent, string> = {
  uploadCompleted: 'UploadsCompleted',
  uploadRefused: 'UploadsRefused',
  completed: 'ImagesCompleted',
  failed: 'ImagesFailed',
  retried: 'ImagesRetried',
  deadLettered: 'ImagesDeadLettered',
};

/**
 * Processing starts at init (sharp, and the local models' code when ANALYSIS_PROVIDER is
 * local), so a cold start pays for it before the first batch rather than inside it.
 */
const deps: Promise<ProcessBatchDeps> = home.processing().then((processing) => ({
  core: home.core,
  processing,
  sqs: { client: home.clients.sqs, queueUrl: config.QUEUE_URL },
  log: (line) => logger.warn(line),
  count: (event) => metrics.addMetric(METRIC_NAMES[event], MetricUnit.Count, 1),
  ...(config.WEBHOOK_QUEUE_URL
    ? {
        imageEnded: (imageId: string) =>
          publishImageEvent(
            {
              core: home.core,
              store: home.webhookStore,
              queue: home.webhookQueue(),
              log: (line) => logger.warn(line),
            },
            imageId,
          ),
      }
    : {}),
}));
if (!config.WEBHOOK_QUEUE_URL) logger.warn('WEBHOOK_QUEUE_URL is not set: no webhooks are sent');
// A failed init (models that cannot load) surfaces in each batch, not as an unhandled rejection.
deps.catch((error: unknown) => logger.error('process function init failed', { error }));

/** Thrown for a message SQS should deliver again; Powertools reports it in batchItemFailures. */
class DeliverAgain extends Error {
  constructor(messageId: string) {
    super(`message ${messageId} is not done: SQS delivers it again`);
    this.name = 'DeliverAgain';
  }
}

const processor = new BatchProcessor(EventType.SQS);

/**
 * The process function: batches from the jobs queue, which S3's ObjectCreated notification
 * for signed uploads and our own retried jobs both feed. Records run one after another (one
 * 12 MP decode at a time fits the memory), and the ones not done are returned as
 * batchItemFailures: SQS redelivers only those, and its redrive policy takes a message that
 * keeps failing to the DLQ. A throttled Rekognition call is a retry, never a failed image.
 */
export async function handler(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
  return observability.invoke(context, async () => {
    const ready = await deps;
    const started = performance.now();
    const response = await processPartialResponse(
      event,
      async (record: SQSRecord) => {
        if (!(await handleRecord(record, ready))) throw new DeliverAgain(record.messageId);
      },
      processor,
      // Every record failing is an answer too (all redelivered), not an invocation error.
      { context, processInParallel: false, throwOnFullBatchFailure: false },
    );
    metrics.addMetric('BatchMs', MetricUnit.Milliseconds, performance.now() - started);
    logger.info('batch', { records: event.Records.length, failures: response.batchItemFailures.length });
    return response;
  });
}
