import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { parseDeliveryMessage, SqsWebhookQueue } from '../src/adapters/aws/sqs-webhook-queue.ts';
import { openDatabase, type SqliteDatabase } from '../src/adapters/local/sqlite-database.ts';
import { SqliteWebhookStore } from '../src/adapters/local/sqlite-webhook-store.ts';
import { createWebhookPost } from '../src/core/webhook-post.ts';
import { handleWebhookMessage, type WebhookBatchDeps } from '../src/lambda/webhook-batch.ts';
import type { DeliveryRef } from '../src/ports/webhooks.ts';
import { createQueuePair, motoSqsClient } from './helpers/sqs.ts';
import { Receiver } from './helpers/webhook-receiver.ts';

/**
 * The webhook function's decisions, message by message (the store is a port, here SQLite;
 * the queue a recording function): attempt what is due, pass on what is not, drop what is
 * done or gone, and let only one copy of a duplicated message go on.
 */
describe('webhook function: one message', () => {
  const dir = mkdtempSync(join(tmpdir(), 'imgapi-webhook-fn-'));
  let db: SqliteDatabase;
  let store: SqliteWebhookStore;
  let receiver: Receiver;
  let now: number;
  let scheduled: Array<{ refs: DeliveryRef[]; dueAt: number | null }>;
  let deps: WebhookBatchDeps;
  const silent = { debug() {}, info() {}, warn() {} };

  beforeAll(async () => {
    receiver = new Receiver();
    await receiver.start();
  });
  afterAll(async () => {
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    db?.close();
    db = openDatabase(join(dir, `${Date.now()}-${Math.random()}.sqlite`));
    store = new SqliteWebhookStore(db);
    now = Date.now();
    scheduled = [];
    receiver.answer = () => 200;
    deps = {
      store,
      schedule: async (refs, dueAt) => {
        scheduled.push({ refs, dueAt });
      },
      clock: { now: () => now },
      post: createWebhookPost({ allowPrivate: true, timeoutMs: 2000 }),
      retryBaseMs: 5000,
      log: silent,
    };
  });

  const queueOne = async (path: string) => {
    const hook = await store.create({
      tenant: 't',
      url: `${receiver.url}${path}`,
      events: ['image.completed'],
      createdAt: now,
    });
    const refs = await store.enqueue({
      tenant: 't',
      type: 'image.completed',
      imageId: 'img',
      body: '{"type":"image.completed"}',
      now,
    });
    // The tenant's earlier webhooks get a delivery of this event too: take this one's.
    const ref = refs.find((r) => r.webhookId === hook.webhookId) as DeliveryRef;
    return { hook, ref, message: JSON.stringify(ref) };
  };

  it('attempts a due delivery, signed, and schedules nothing after a success', async () => {
    const { hook, message } = await queueOne('/ok');
    expect(await handleWebhookMessage(message, deps)).toBe('succeeded');
    const [sent] = receiver.on('/ok');
    expect(
      new Webhook(hook.secret).verify(sent?.body as string, sent?.headers as Record<string, string>),
    ).toEqual({
      type: 'image.completed',
    });
    expect(scheduled).toEqual([]);
  });

  it('schedules the next attempt on the Standard Webhooks schedule after a failure', async () => {
    receiver.answer = () => 503;
    const { ref, message } = await queueOne('/down');
    expect(await handleWebhookMessage(message, deps)).toBe('retrying');
    expect(scheduled).toEqual([{ refs: [ref], dueAt: now + 5000 }]);
    expect(await store.pending(ref)).toMatchObject({ attempts: 1, nextAttemptAt: now + 5000 });
  });

  it('passes on a message that came early (a hop of a long wait) without attempting', async () => {
    receiver.answer = () => 503;
    const { ref, message } = await queueOne('/early');
    await handleWebhookMessage(message, deps);
    scheduled = [];
    // 2 s later the 5 s wait is not over: sent on, not attempted.
    now += 2000;
    expect(await handleWebhookMessage(message, deps)).toBe('waiting');
    expect(receiver.on('/early')).toHaveLength(1);
    expect(scheduled).toEqual([{ refs: [ref], dueAt: now + 3000 }]);
  });

  it('drops a message whose delivery succeeded already or whose webhook was deleted', async () => {
    const { message } = await queueOne('/once');
    await handleWebhookMessage(message, deps);
    expect(await handleWebhookMessage(message, deps)).toBe('gone');
    expect(receiver.on('/once')).toHaveLength(1);
    const other = await queueOne('/deleted');
    await store.delete('t', other.hook.webhookId);
    expect(await handleWebhookMessage(other.message, deps)).toBe('gone');
    expect(receiver.on('/deleted')).toEqual([]);
  });

  it('lets only one of two copies of a message record and schedule the next attempt', async () => {
    receiver.answer = () => 500;
    const { message } = await queueOne('/twice');
    const outcomes = await Promise.all([
      handleWebhookMessage(message, deps),
      handleWebhookMessage(message, deps),
    ]);
    expect(outcomes.sort()).toEqual(['duplicate', 'retrying']);
    expect(scheduled).toHaveLength(1);
  });

  it('refuses a message that is not a delivery (it goes to the DLQ)', async () => {
    await expect(handleWebhookMessage('{"webhookId":1}', deps)).rejects.toThrow(
      /not a webhook delivery message/,
    );
    expect(parseDeliveryMessage('nope')).toEqual({ error: 'body is not JSON' });
  });

  it('refuses a loopback receiver when private targets are not allowed, and retries later', async () => {
    const { ref, message } = await queueOne('/private');
    deps.post = createWebhookPost({ allowPrivate: false, timeoutMs: 2000 });
    expect(await handleWebhookMessage(message, deps)).toBe('retrying');
    expect(receiver.on('/private')).toEqual([]);
    expect((await store.deliveries(ref.webhookId, 1))[0]?.lastError).toContain('non-public');
  });
});

const endpoint = inject('motoEndpoint');

describe.skipIf(!endpoint)('SqsWebhookQueue on moto', () => {
  const sqs = endpoint ? motoSqsClient(endpoint) : (null as never);
  afterAll(() => sqs?.destroy());

  it('holds a message back until it is due, at most 900 s at a time', async () => {
    const { queueUrl, remove } = await createQueuePair(sqs, 5);
    let now = 1_000_000;
    const queue = new SqsWebhookQueue({ client: sqs, queueUrl, clock: { now: () => now } });
    const ref = { tenant: 't', webhookId: 'wh_1', deliveryId: 'msg_1', createdAt: 5 };
    const receive = async (wait = 0) =>
      (
        await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: wait, MaxNumberOfMessages: 10 }),
        )
      ).Messages ?? [];
    try {
      await queue.schedule([ref], now + 2000);
      expect(await receive()).toEqual([]);
      const [message] = await receive(4);
      expect(parseDeliveryMessage(message?.Body as string)).toEqual(ref);
      // Ten hours away: SQS's 900 s limit, not an error.
      now = Date.now();
      await queue.schedule([ref], now + 10 * 3600_000);
      expect(await receive(1)).toEqual([]);
    } finally {
      await remove();
    }
  });
});
