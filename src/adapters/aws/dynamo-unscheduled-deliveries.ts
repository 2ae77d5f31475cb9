import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DeliveryRef } from '../../ports/webhooks.ts';
import { batchDelete } from './dynamo-batches.ts';
import { dynamoCall } from './dynamo-errors.ts';
import { Expression } from './dynamo-expression.ts';
import { paddedTime, timeOrderedKey } from './dynamo-time-key.ts';

type Item = Record<string, unknown>;

/**
 * "This delivery may have no queue message yet": one marker item per delivery, written in
 * the same transaction as the delivery and deleted once its first message is sent. On AWS
 * the store (DynamoDB) and the timer (SQS) are two services, so a failed send or a function
 * that dies between the two would otherwise leave a delivery pending that nothing ever
 * sends; the cleanup function's hourly run sends what is still marked after a while.
 *
 * The markers share one partition, sorted by creation time, so "older than" is one Query
 * with `sk <`. One partition takes ~1,000 writes a second, two per delivery (put, delete):
 * far above what the process function's capped concurrency produces.
 */
export const UNSCHEDULED_PARTITION = 'WEBHOOK_UNSCHEDULED';

export const unscheduledKey = (ref: Pick<DeliveryRef, 'deliveryId' | 'createdAt'>) => ({
  pk: UNSCHEDULED_PARTITION,
  sk: timeOrderedKey(ref.createdAt, ref.deliveryId),
});

/** The marker item of a delivery: its key and where the delivery is. */
export const unscheduledItem = (ref: DeliveryRef): Item => ({
  ...unscheduledKey(ref),
  tenant: ref.tenant,
  webhookId: ref.webhookId,
  deliveryId: ref.deliveryId,
  createdAt: ref.createdAt,
});

const toRef = (item: Item): DeliveryRef => ({
  tenant: item.tenant as string,
  webhookId: item.webhookId as string,
  deliveryId: item.deliveryId as string,
  createdAt: item.createdAt as number,
});

/** Up to `limit` marked deliveries created before `before` (ms), oldest first. */
export async function queryUnscheduled(
  client: DynamoDBDocumentClient,
  table: string,
  before: number,
  limit: number,
): Promise<DeliveryRef[]> {
  const refs: DeliveryRef[] = [];
  let start: Item | undefined;
  do {
    const x = new Expression();
    const query = new QueryCommand({
      TableName: table,
      // `{createdAt}#…` sorts after the bare padded time, so `<` keeps exactly createdAt < before.
      KeyConditionExpression: `${x.name('pk')} = ${x.value(UNSCHEDULED_PARTITION)} AND ${x.name('sk')} < ${x.value(paddedTime(before))}`,
      Limit: limit - refs.length,
      ExclusiveStartKey: start,
      ConsistentRead: true,
      ...x.attributes(),
    });
    const page = await dynamoCall('Query', () => client.send(query));
    refs.push(...(page.Items ?? []).map(toRef));
    start = page.LastEvaluatedKey;
  } while (start && refs.length < limit);
  return refs;
}

/** Deletes these deliveries' markers (their messages are sent, or they need none). */
export async function deleteUnscheduled(
  client: DynamoDBDocumentClient,
  table: string,
  refs: readonly DeliveryRef[],
): Promise<void> {
  await batchDelete(client, table, refs.map(unscheduledKey));
}
