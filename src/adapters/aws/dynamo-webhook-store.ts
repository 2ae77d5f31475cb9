import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { DeliveryStatus, WebhookEvent } from '../../core/webhooks.ts';
import {
  DELIVERY_RETENTION_MS,
  generateMessageId,
  generateWebhookId,
  generateWebhookSecret,
} from '../../core/webhooks.ts';
import type {
  DeliveryAttempt,
  DeliveryRecord,
  DeliveryRef,
  DueDelivery,
  WebhookEventInput,
  WebhookRecord,
  WebhookStore,
} from '../../ports/webhooks.ts';
import { deletePartition } from './dynamo-batches.ts';
import { conditionalCall, dynamoCall } from './dynamo-errors.ts';
import { Expression } from './dynamo-expression.ts';
import { timeOrderedKey } from './dynamo-time-key.ts';
import { deleteUnscheduled, queryUnscheduled, unscheduledItem } from './dynamo-unscheduled-deliveries.ts';

type Item = Record<string, unknown>;

/**
 * Webhooks in the image table, beside the images, under key prefixes of their own (the
 * table is single-table by design: one table, one set of alarms, backups and IAM grants):
 *
 * - a webhook: pk `WEBHOOKS#{tenant}`, sk `WEBHOOK#{webhookId}`. A tenant's webhooks are one
 *   Query, and a request for another tenant's webhook misses by key, never by a check.
 * - a delivery: pk `DELIVERIES#{webhookId}`, sk `{createdAt, 16 digits}#{deliveryId}`, so
 *   the latest deliveries are one Query in descending order, and deleting a webhook finds
 *   every delivery it had in one partition.
 * - a delivery's "not yet scheduled" marker: pk `WEBHOOK_UNSCHEDULED`, sk
 *   `{createdAt, 16 digits}#{deliveryId}` (see dynamo-unscheduled-deliveries.ts).
 *
 * None of these items carry the image indexes' key attributes (listPk, statusPk, the sweeper
 * shards), so no index sees them. Deliveries are kept, as SQLite keeps them; they have no TTL
 * (one would work: the cleanup function acts only on expired IMAGE items, but every expiry
 * would still invoke it).
 */
const webhooksPartition = (tenant: string) => `WEBHOOKS#${tenant}`;
const webhookKey = (tenant: string, webhookId: string) => ({
  pk: webhooksPartition(tenant),
  sk: `WEBHOOK#${webhookId}`,
});
const deliveriesPartition = (webhookId: string) => `DELIVERIES#${webhookId}`;
const deliveryKey = (ref: Pick<DeliveryRef, 'webhookId' | 'deliveryId' | 'createdAt'>) => ({
  pk: deliveriesPartition(ref.webhookId),
  sk: timeOrderedKey(ref.createdAt, ref.deliveryId),
});

const toWebhook = (item: Item): WebhookRecord => ({
  webhookId: item.webhookId as string,
  tenant: item.tenant as string,
  url: item.url as string,
  events: item.events as WebhookEvent[],
  secret: item.secret as string,
  createdAt: item.createdAt as number,
});

const toDelivery = (item: Item): DeliveryRecord => ({
  deliveryId: item.deliveryId as string,
  webhookId: item.webhookId as string,
  type: item.type as WebhookEvent,
  imageId: item.imageId as string,
  status: item.status as DeliveryStatus,
  attempts: item.attempts as number,
  lastResponseStatus: (item.lastResponseStatus as number | null) ?? null,
  lastError: (item.lastError as string | null) ?? null,
  nextAttemptAt: (item.nextAttemptAt as number | null) ?? null,
  createdAt: item.createdAt as number,
  updatedAt: item.updatedAt as number,
});

export interface DynamoWebhookStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
}

/** The WebhookStore port on DynamoDB (the AWS home); SqliteWebhookStore is the local one. */
export class DynamoWebhookStore implements WebhookStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;

  constructor(options: DynamoWebhookStoreOptions) {
    this.client = options.client;
    this.table = options.tableName;
  }

  async create(input: Omit<WebhookRecord, 'webhookId' | 'secret'>): Promise<WebhookRecord> {
    const record: WebhookRecord = {
      ...input,
      webhookId: generateWebhookId(),
      secret: generateWebhookSecret(),
    };
    const put = new PutCommand({
      TableName: this.table,
      Item: { ...webhookKey(record.tenant, record.webhookId), ...record },
      // A random 96-bit id never collides; the condition says what we rely on anyway.
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    await dynamoCall('PutItem', () => this.client.send(put));
    return record;
  }

  async list(tenant: string): Promise<WebhookRecord[]> {
    const items = await this.queryAll(webhooksPartition(tenant));
    return items
      .map(toWebhook)
      .sort((a, b) => a.createdAt - b.createdAt || (a.webhookId < b.webhookId ? -1 : 1));
  }

  async get(tenant: string, webhookId: string): Promise<WebhookRecord | null> {
    const item = await this.getItem(webhookKey(tenant, webhookId));
    return item ? toWebhook(item) : null;
  }

  async delete(tenant: string, webhookId: string): Promise<boolean> {
    if (!(await this.get(tenant, webhookId))) return false;
    // Its deliveries first, as SQLite's ON DELETE CASCADE removes them, and the webhook last:
    // a delete cut short (a timeout with many deliveries) leaves the webhook, so a retry can
    // finish it instead of answering 404 over orphans. A delivery queued meanwhile finds no
    // webhook when it is sent (pending() is null) and is never attempted.
    await deletePartition(this.client, this.table, deliveriesPartition(webhookId));
    const remove = new DeleteCommand({
      TableName: this.table,
      Key: webhookKey(tenant, webhookId),
      ConditionExpression: 'attribute_exists(pk)',
    });
    return (await conditionalCall('DeleteItem', () => this.client.send(remove))) !== null;
  }

  async deliveries(webhookId: string, limit: number): Promise<DeliveryRecord[]> {
    const x = new Expression();
    const query = new QueryCommand({
      TableName: this.table,
      KeyConditionExpression: `${x.name('pk')} = ${x.value(deliveriesPartition(webhookId))}`,
      ScanIndexForward: false,
      Limit: limit,
      ConsistentRead: true,
      ...x.attributes(),
    });
    const { Items } = await dynamoCall('Query', () => this.client.send(query));
    return (Items ?? []).map(toDelivery);
  }

  async enqueue(event: WebhookEventInput): Promise<DeliveryRef[]> {
    const { tenant, type, imageId, body, now } = event;
    const matching = (await this.list(tenant)).filter((w) => w.events.includes(type));
    const refs: DeliveryRef[] = matching.map((webhook) => ({
      tenant,
      webhookId: webhook.webhookId,
      deliveryId: generateMessageId(),
      createdAt: now,
    }));
    // One transaction each (the delivery and its marker), so a delivery never exists without
    // its marker; each stands on its own, as a tenant's handful of webhooks are independent.
    await Promise.all(
      refs.map((ref) => {
        const write = new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table,
                Item: {
                  ...deliveryKey(ref),
                  ...ref,
                  type,
                  imageId,
                  body,
                  status: 'pending',
                  attempts: 0,
                  lastResponseStatus: null,
                  lastError: null,
                  nextAttemptAt: now,
                  updatedAt: now,
                },
              },
            },
            { Put: { TableName: this.table, Item: unscheduledItem(ref) } },
          ],
        });
        return dynamoCall('TransactWriteItems', () => this.client.send(write));
      }),
    );
    return refs;
  }

  async pending(ref: DeliveryRef): Promise<DueDelivery | null> {
    const [delivery, webhook] = await Promise.all([
      this.getItem(deliveryKey(ref)),
      this.get(ref.tenant, ref.webhookId),
    ]);
    if (!delivery || !webhook || delivery.status !== 'pending') return null;
    return {
      ...ref,
      url: webhook.url,
      secret: webhook.secret,
      body: delivery.body as string,
      attempts: delivery.attempts as number,
      nextAttemptAt: delivery.nextAttemptAt as number,
    };
  }

  async recordAttempt(attempt: DeliveryAttempt): Promise<boolean> {
    const x = new Expression();
    const set = [
      `${x.name('status')} = ${x.value(attempt.status)}`,
      `${x.name('attempts')} = ${x.value(attempt.attemptsBefore + 1)}`,
      `${x.name('lastResponseStatus')} = ${x.value(attempt.lastStatus)}`,
      `${x.name('lastError')} = ${x.value(attempt.lastError)}`,
      `${x.name('nextAttemptAt')} = ${x.value(attempt.nextAttemptAt)}`,
      `${x.name('updatedAt')} = ${x.value(attempt.now)}`,
    ];
    // A delivery that is done (delivered, or given up) expires with the table's TTL after
    // DELIVERY_RETENTION_MS: a webhook's history would otherwise grow for ever, each item
    // holding a copy of the image's JSON.
    if (attempt.status !== 'pending')
      set.push(
        `${x.name('ttlSeconds')} = ${x.value(Math.ceil((attempt.now + DELIVERY_RETENTION_MS) / 1000))}`,
      );
    const condition = [
      `attribute_exists(${x.name('pk')})`,
      `${x.name('status')} = ${x.value('pending')}`,
      `${x.name('attempts')} = ${x.value(attempt.attemptsBefore)}`,
    ].join(' AND ');
    const update = new UpdateCommand({
      TableName: this.table,
      Key: deliveryKey(attempt.ref),
      UpdateExpression: `SET ${set.join(', ')}`,
      ConditionExpression: condition,
      ...x.attributes(),
    });
    return (await conditionalCall('UpdateItem', () => this.client.send(update))) !== null;
  }

  /**
   * AWS only (the local dispatcher reads due deliveries from SQLite, so nothing there can be
   * stored but unscheduled): deliveries created before `before` whose first queue message
   * may never have been sent, oldest first, at most `limit`.
   */
  unscheduled(before: number, limit: number): Promise<DeliveryRef[]> {
    return queryUnscheduled(this.client, this.table, before, limit);
  }

  /** AWS only: these deliveries' first messages are sent (or they need none): unmark them. */
  markScheduled(refs: readonly DeliveryRef[]): Promise<void> {
    return deleteUnscheduled(this.client, this.table, refs);
  }

  private async getItem(key: Item): Promise<Item | undefined> {
    const get = new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true });
    return (await dynamoCall('GetItem', () => this.client.send(get))).Item;
  }

  /** Every item of one partition, in key order, following pages. */
  private async queryAll(partition: string): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const x = new Expression();
      const query = new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: `${x.name('pk')} = ${x.value(partition)}`,
        ExclusiveStartKey: start,
        ConsistentRead: true,
        ...x.attributes(),
      });
      const page = await dynamoCall('Query', () => this.client.send(query));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }
}
