import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoWebhookStore } from '../src/adapters/aws/dynamo-webhook-store.ts';
import { openDatabase } from '../src/adapters/local/sqlite-database.ts';
import { SqliteWebhookStore } from '../src/adapters/local/sqlite-webhook-store.ts';
import { DELIVERY_RETENTION_MS } from '../src/core/webhooks.ts';
import type { DeliveryRef } from '../src/ports/webhooks.ts';
import { freshImageTable, motoDynamo } from './helpers/dynamo.ts';

const endpoint = inject('motoEndpoint');

describe('SqliteWebhookStore.pruneFinished', () => {
  it('removes finished deliveries last updated before the cutoff, never pending ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imgapi-prune-'));
    const db = openDatabase(join(dir, 'db.sqlite'));
    try {
      const store = new SqliteWebhookStore(db);
      const hook = await store.create({
        tenant: 't',
        url: 'https://example.com/h',
        events: ['image.completed'],
        createdAt: 1,
      });
      const event = { tenant: 't', type: 'image.completed' as const, body: '{}', now: 100 };
      const [old, recent, waiting] = [
        ...(await store.enqueue({ ...event, imageId: 'old' })),
        ...(await store.enqueue({ ...event, imageId: 'recent' })),
        ...(await store.enqueue({ ...event, imageId: 'waiting' })),
      ] as [DeliveryRef, DeliveryRef, DeliveryRef];
      const attempt = { attemptsBefore: 0, lastStatus: 204, lastError: null, nextAttemptAt: null };
      await store.recordAttempt({ ...attempt, ref: old, status: 'succeeded', now: 1_000 });
      await store.recordAttempt({ ...attempt, ref: recent, status: 'failed', now: 5_000 });
      await store.recordAttempt({
        ...attempt,
        ref: waiting,
        status: 'pending',
        nextAttemptAt: 9e9,
        now: 500,
      });
      expect(store.pruneFinished(2_000)).toBe(1);
      const left = (await store.deliveries(hook.webhookId, 10)).map((d) => d.imageId).sort();
      expect(left).toEqual(['recent', 'waiting']);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * What only the DynamoDB store does (the shared behaviour is test/contracts/webhook-store):
 * finished deliveries expire by TTL, and a webhook's deliveries go before the webhook does.
 */
describe.skipIf(!endpoint)('DynamoWebhookStore on moto', () => {
  const dynamo = motoDynamo(endpoint ?? '');
  let store: DynamoWebhookStore;
  let tableName: string;

  beforeAll(async () => {
    tableName = await freshImageTable(dynamo.base);
    store = new DynamoWebhookStore({ client: dynamo.client, tableName });
  });
  afterAll(() => dynamo.base.destroy());

  const raw = async (ref: DeliveryRef) => {
    const { Items = [] } = await dynamo.client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `DELIVERIES#${ref.webhookId}` },
      }),
    );
    return Items.find((item) => item.deliveryId === ref.deliveryId);
  };

  it('gives a finished delivery a TTL 30 days on, a pending one none', async () => {
    await store.create({
      tenant: 'ttl',
      url: 'https://example.com/h',
      events: ['image.completed'],
      createdAt: 1,
    });
    const event = { tenant: 'ttl', type: 'image.completed' as const, body: '{}', now: 1_000_000 };
    const [done, waiting] = (await Promise.all([
      store.enqueue({ ...event, imageId: 'a' }),
      store.enqueue({ ...event, imageId: 'b' }),
    ]).then((lists) => lists.flat())) as [DeliveryRef, DeliveryRef];
    const attempt = {
      attemptsBefore: 0,
      lastStatus: 204,
      lastError: null,
      nextAttemptAt: null,
      now: 2_000_000,
    };
    expect(await store.recordAttempt({ ...attempt, ref: done, status: 'succeeded' })).toBe(true);
    expect(
      await store.recordAttempt({
        ...attempt,
        ref: waiting,
        status: 'pending',
        lastStatus: 500,
        nextAttemptAt: 3e6,
      }),
    ).toBe(true);
    expect((await raw(done))?.ttlSeconds).toBe(Math.ceil((2_000_000 + DELIVERY_RETENTION_MS) / 1000));
    expect((await raw(waiting))?.ttlSeconds).toBeUndefined();
  });

  it('deletes a webhook after its deliveries, and answers false for one it does not have', async () => {
    const hook = await store.create({
      tenant: 'del',
      url: 'https://example.com/h',
      events: ['image.completed'],
      createdAt: 1,
    });
    for (const imageId of ['x', 'y', 'z'])
      await store.enqueue({ tenant: 'del', type: 'image.completed', imageId, body: '{}', now: 5 });
    expect(await store.deliveries(hook.webhookId, 10)).toHaveLength(3);
    expect(await store.delete('other-tenant', hook.webhookId)).toBe(false);
    expect(await store.deliveries(hook.webhookId, 10)).toHaveLength(3);
    const webhookItem = async () =>
      (
        await dynamo.client.send(
          new GetCommand({
            TableName: tableName,
            Key: { pk: 'WEBHOOKS#del', sk: `WEBHOOK#${hook.webhookId}` },
          }),
        )
      ).Item;
    expect(await webhookItem()).toBeDefined();
    expect(await store.delete('del', hook.webhookId)).toBe(true);
    expect(await store.deliveries(hook.webhookId, 10)).toEqual([]);
    expect(await webhookItem()).toBeUndefined();
    expect(await store.delete('del', hook.webhookId)).toBe(false);
  });
});
