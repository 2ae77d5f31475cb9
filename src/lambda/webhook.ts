import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createAwsHome } from '../aws/aws-home.ts';
import { loadAwsConfig } from '../aws/config.ts';
import { createWebhookPost } from '../core/webhook-post.ts';
import { systemClock } from '../ports/clock.ts';
import { createObservability } from './observability.ts';
import { handleWebhookMessage, type WebhookBatchDeps, type WebhookOutcome } from './webhook-batch.ts';

const config = loadAwsConfig(process.env);
const observability = createObservability('webhook');
const { logger, metrics, tracer } = observability;
const home = createAwsHome(config, (client) => tracer.captureAWSv3Client(client));
const queue = home.webhookQueue();

const deps: WebhookBatchDeps = {
  store: home.webhookStore,
  schedule: (refs, dueAt) => queue.schedule(refs, dueAt),
  clock: systemClock,
  // 10 s per attempt, well inside the function's 60 s.
  post: createWebhookPost({ allowPrivate: config.WEBHOOK_ALLOW_PRIVATE }),
  retryBaseMs: config.WEBHOOK_RETRY_BASE_MS,
  log: logger,
};

const METRIC_NAMES: Partial<Record<WebhookOutcome, string>> = {
  succeeded: 'WebhooksDelivered',
  retrying: 'WebhooksRetried',
  failed: 'WebhooksFailed',
};

const processor = new BatchProcessor(EventType.SQS);

/**
 * The webhook function: batches from the webhook queue, one message per delivery attempt
 * (see SqsWebhookQueue). Messages run side by side (each is mostly waiting on a receiver,
 * up to 10 s); one whose store or queue call failed is returned in batchItemFailures and
 * comes back, and the webhook DLQ takes one that keeps failing.
 */
export async function handler(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
  return observability.invoke(context, async () => {
    const response = await processPartialResponse(
      event,
      async (record: SQSRecord) => {
        const outcome = await handleWebhookMessage(record.body, deps).catch((error: unknown) => {
          logger.warn('webhook message failed; SQS delivers it again', {
            messageId: record.messageId,
            error,
          });
          throw error;
        });
        const metric = METRIC_NAMES[outcome];
        if (metric) metrics.addMetric(metric, MetricUnit.Count, 1);
      },
      processor,
      { context, processInParallel: true, throwOnFullBatchFailure: false },
    );
    logger.info('batch', { records: event.Records.length, failures: response.batchItemFailures.length });
    return response;
  });
}
