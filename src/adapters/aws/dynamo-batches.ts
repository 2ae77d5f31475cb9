import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { DynamoStoreError, dynamoCall } from './dynamo-errors.ts';
import { Expression } from './dynamo-expression.ts';

type Item = Record<string, unknown>;
/** DynamoDB's limits per BatchGetItem and BatchWriteItem request. */
export const BATCH_GET = 100;
const BATCH_WRITE = 25;
const MAX_TRIES = 5;

/** Waits before retrying the unprocessed part of a batch (throttled); gives up after MAX_TRIES. */
async function backOff(attempt: number, operation: string): Promise<void> {
  if (attempt >= MAX_TRIES) {
    throw new DynamoStoreError(operation, new Error(`items still unprocessed after ${attempt} tries`));
  }
  await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
}

/**
 * Reads up to BATCH_GET items by key (eventually consistent), only `attributes` of each, and
 * returns them by `pk`; an item that does not exist is simply absent.
 */
export async function batchGet(
  client: DynamoDBDocumentClient,
  table: string,
  keys: Item[],
  attributes: readonly string[],
): Promise<Map<unknown, Item>> {
  const x = new Expression();
  const projection = ['pk', ...attributes].map((name) => x.name(name)).join(', ');
  const found = new Map<unknown, Item>();
  let pending = keys;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > 0) await backOff(attempt, 'BatchGetItem');
    const batch = new BatchGetCommand({
      RequestItems: { [table]: { Keys: pending, ProjectionExpression: projection, ...x.attributes() } },
    });
    const result = await dynamoCall('BatchGetItem', () => client.send(batch));
    for (const item of result.Responses?.[table] ?? []) found.set(item.pk, item);
    pending = result.UnprocessedKeys?.[table]?.Keys ?? [];
  }
  return found;
}

/** Deletes these items by key, BATCH_WRITE at a time. */
export async function batchDelete(
  client: DynamoDBDocumentClient,
  table: string,
  keys: Item[],
): Promise<void> {
  for (let i = 0; i < keys.length; i += BATCH_WRITE) {
    let pending = keys.slice(i, i + BATCH_WRITE).map((Key) => ({ DeleteRequest: { Key } }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await backOff(attempt, 'BatchWriteItem');
      const batch = new BatchWriteCommand({ RequestItems: { [table]: pending } });
      const result = await dynamoCall('BatchWriteItem', () => client.send(batch));
      pending = (result.UnprocessedItems?.[table] ?? []) as typeof pending;
    }
  }
}

/**
 * Deletes every item of one partition, a page at a time: a call cut short (a timeout on a
 * large partition) has still deleted what it got through, and a retry finishes the rest.
 */
export async function deletePartition(
  client: DynamoDBDocumentClient,
  table: string,
  pk: string,
): Promise<void> {
  let start: Item | undefined;
  do {
    const x = new Expression();
    const query = new QueryCommand({
      TableName: table,
      KeyConditionExpression: `${x.name('pk')} = ${x.value(pk)}`,
      ProjectionExpression: `${x.name('pk')}, ${x.name('sk')}`,
      ConsistentRead: true,
      ExclusiveStartKey: start,
      ...x.attributes(),
    });
    const page = await dynamoCall('Query', () => client.send(query));
    const keys = (page.Items ?? []).map((item) => ({ pk: item.pk, sk: item.sk }));
    await batchDelete(client, table, keys);
    start = page.LastEvaluatedKey;
  } while (start);
}
