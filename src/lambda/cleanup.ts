import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type {
  Context,
  DynamoDBBatchResponse,
  DynamoDBRecord,
  DynamoDBStreamEvent,
  ScheduledEvent,
} from 'aws-lambda';
import { IMAGE_SK } from '../adapters/aws/dynamo-image-items.ts';
import { createAwsHome } from '../aws/aws-home.ts';
import { loadAwsConfig } from '../aws/config.ts';
import { imagePrefix } from '../core/image.ts';
import { sweepExpired } from '../core/sweeper.ts';
import { createObservability } from './observability.ts';
import { type SweepUnscheduledResult, sweepUnscheduledDeliveries } from './sweep-unscheduled-webhooks.ts';

const config = loadAwsConfig(process.env);
const observability = createObservability('cleanup');
const { logger, metrics, tracer } = observability;
const home = createAwsHome(config, (client) => tracer.captureAWSv3Client(client));
const processor = new BatchProcessor(EventType.DynamoDBStreams);
if (!config.WEBHOOK_QUEUE_URL)
  logger.warn('WEBHOOK_QUEUE_URL is not set: unscheduled webhooks are not swept');

/** Webhook deliveries whose first message was never sent get it (see sweepUnscheduledDeliveries). */
async function sweepWebhooks(): Promise<SweepUnscheduledResult | null> {
  if (!config.WEBHOOK_QUEUE_URL) return null;
  const result = await sweepUnscheduledDeliveries({
    store: home.webhookStore,
    queue: home.webhookQueue(),
    clock: home.core.clock,
  });
  metrics.addMetric('WebhooksRescheduled', MetricUnit.Count, result.scheduled);
  // A warning when some had to be sent: a send had failed, or a function died, an hour ago.
  if (result.scheduled > 0) logger.warn('unscheduled webhook deliveries sent', { ...result });
  else logger.info('unscheduled webhook deliveries swept', { ...result });
  return result;
}

/** The image an expired item was, when it was an image item (not one of its search entries). */
export function expiredImage(record: DynamoDBRecord): { tenant: string; imageId: string } | null {
  const old = record.dynamodb?.OldImage;
  if (record.eventName !== 'REMOVE' || old?.sk?.S !== IMAGE_SK) return null;
  const tenant = old.tenant?.S;
  const imageId = old.imageId?.S;
  return tenant && imageId ? { tenant, imageId } : null;
}

/**
 * The AWS twin of the local sweeper, two ways in. DynamoDB's TTL deletes an expired image's
 * item (within a day or two of its ttlSeconds); the table's stream hands this function that
 * REMOVE (the template's filter lets only TTL deletions through), and it deletes the image's
 * objects. Hourly, it also runs the same sweep as the local server: images past retention
 * and pending uploads nobody completed, records and objects both. The bucket's lifecycle
 * rule is the net under both. The hourly run also sends webhook deliveries whose first
 * queue message was never sent. Either sweep failing fails the run (after both ran).
 */
export async function handler(
  event: DynamoDBStreamEvent | ScheduledEvent,
  context?: Context,
): Promise<DynamoDBBatchResponse | { swept: number; webhooks: SweepUnscheduledResult | null }> {
  return observability.invoke(context, async () => {
    if (!('Records' in event)) {
      // Side by side and independent: one failing does not keep the other from its work.
      const [images, webhooks] = await Promise.allSettled([sweepExpired(home.core), sweepWebhooks()]);
      if (webhooks.status === 'rejected') logger.error('webhook sweep failed', { error: webhooks.reason });
      if (images.status === 'rejected') throw images.reason;
      if (webhooks.status === 'rejected') throw webhooks.reason;
      const swept = images.value;
      metrics.addMetric('ImagesSwept', MetricUnit.Count, swept);
      logger.info('sweep', { swept });
      return { swept, webhooks: webhooks.value };
    }
    return processPartialResponse(
      event,
      async (record: DynamoDBRecord) => {
        const image = expiredImage(record);
        if (!image) return;
        await home.core.blobs.deletePrefix(imagePrefix(image.tenant, image.imageId));
        metrics.addMetric('ExpiredImagesCleaned', MetricUnit.Count, 1);
        logger.info('expired image cleaned', image);
      },
      processor,
      { context, processInParallel: false, throwOnFullBatchFailure: false },
    );
  });
}
