import { beforeEach, describe, expect, it } from 'vitest';
import type { DeliveryRef, WebhookStore } from '../../src/ports/webhooks.ts';

export interface WebhookStoreHarness {
  /** A store over an empty table/database of its own. */
  create(): Promise<WebhookStore>;
}

const body = (imageId: string) => JSON.stringify({ type: 'image.completed', imageId, data: {} });

/**
 * What the webhook routes and both senders (the local dispatcher, the AWS webhook function)
 * rely on from a WebhookStore: tenant isolation, secrets, deliveries queued only for
 * subscribed webhooks, attempts recorded once each, deletion taking deliveries with it.
 */
export function webhookStoreContract(harness: WebhookStoreHarness): void {
  let store: WebhookStore;
  beforeEach(async () => {
    store = await harness.create();
  });

  const create = (tenant: string, events: Array<'image.completed' | 'image.failed'>, createdAt = 1000) =>
    store.create({ tenant, url: `https://hooks.example.com/${tenant}`, events, createdAt });

  describe('webhooks', () => {
    it('creates a webhook with an id and a Standard Webhooks secret, and reads it back', async () => {
      const created = await create('alice', ['image.completed', 'image.failed']);
      expect(created).toEqual({
        webhookId: expect.stringMatching(/^wh_[0-9a-f]{24}$/),
        tenant: 'alice',
        url: 'https://hooks.example.com/alice',
        events: ['image.completed', 'image.failed'],
        secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{32}$/),
        createdAt: 1000,
      });
      expect(await store.get('alice', created.webhookId)).toEqual(created);
      expect((await create('alice', ['image.failed'])).secret).not.toBe(created.secret);
    });

    it('lists a tenant’s webhooks oldest first, and only its own', async () => {
      const second = await create('alice', ['image.failed'], 2000);
      const first = await create('alice', ['image.completed'], 1000);
      await create('bob', ['image.completed'], 1500);
      expect((await store.list('alice')).map((w) => w.webhookId)).toEqual([
        first.webhookId,
        second.webhookId,
      ]);
      expect(await store.list('carol')).toEqual([]);
    });

    it('keeps a webhook to its tenant: another tenant neither reads nor deletes it', async () => {
      const hook = await create('alice', ['image.completed']);
      expect(await store.get('bob', hook.webhookId)).toBeNull();
      expect(await store.delete('bob', hook.webhookId)).toBe(false);
      expect(await store.get('alice', hook.webhookId)).not.toBeNull();
    });

    it('deletes once: true, then false', async () => {
      const hook = await create('alice', ['image.completed']);
      expect(await store.delete('alice', hook.webhookId)).toBe(true);
      expect(await store.delete('alice', hook.webhookId)).toBe(false);
      expect(await store.get('alice', hook.webhookId)).toBeNull();
      expect(await store.list('alice')).toEqual([]);
    });
  });

  describe('deliveries', () => {
    it('queues one pending delivery per webhook of the tenant subscribed to the event', async () => {
      const both = await create('alice', ['image.completed', 'image.failed']);
      const failedOnly = await create('alice', ['image.failed']);
      await create('bob', ['image.completed']);
      const refs = await store.enqueue({
        tenant: 'alice',
        type: 'image.completed',
        imageId: 'img-1',
        body: body('img-1'),
        now: 5000,
      });
      expect(refs).toEqual([
        {
          tenant: 'alice',
          webhookId: both.webhookId,
          deliveryId: expect.stringMatching(/^msg_/),
          createdAt: 5000,
        },
      ]);
      expect(await store.deliveries(failedOnly.webhookId, 10)).toEqual([]);
      expect(await store.deliveries(both.webhookId, 10)).toEqual([
        {
          deliveryId: refs[0]?.deliveryId,
          webhookId: both.webhookId,
          type: 'image.completed',
          imageId: 'img-1',
          status: 'pending',
          attempts: 0,
          lastResponseStatus: null,
          lastError: null,
          nextAttemptAt: 5000,
          createdAt: 5000,
          updatedAt: 5000,
        },
      ]);
      const failed = await store.enqueue({
        tenant: 'alice',
        type: 'image.failed',
        imageId: 'img-2',
        body: body('img-2'),
        now: 6000,
      });
      expect(failed.map((r) => r.webhookId).sort()).toEqual([both.webhookId, failedOnly.webhookId].sort());
      expect(new Set(failed.map((r) => r.deliveryId)).size).toBe(2);
      expect(
        await store.enqueue({ tenant: 'carol', type: 'image.failed', imageId: 'x', body: '{}', now: 1 }),
      ).toEqual([]);
    });

    it('hands a sender the pending delivery with its webhook’s URL, secret and body', async () => {
      const hook = await create('alice', ['image.completed']);
      const [ref] = await store.enqueue({
        tenant: 'alice',
        type: 'image.completed',
        imageId: 'img-1',
        body: body('img-1'),
        now: 5000,
      });
      expect(await store.pending(ref as DeliveryRef)).toEqual({
        ...ref,
        url: hook.url,
        secret: hook.secret,
        body: body('img-1'),
        attempts: 0,
        nextAttemptAt: 5000,
      });
    });

    it('records attempts: a retry stays pending, success ends it, and a stale attempt is refused', async () => {
      const hook = await create('alice', ['image.completed']);
      const [queued] = await store.enqueue({
        tenant: 'alice',
        type: 'image.completed',
        imageId: 'img-1',
        body: body('img-1'),
        now: 5000,
      });
      const ref = queued as DeliveryRef;
      const retry = {
        ref,
        attemptsBefore: 0,
        status: 'pending' as const,
        lastStatus: 500,
        lastError: 'HTTP 500',
        nextAttemptAt: 10_000,
        now: 5100,
      };
      expect(await store.recordAttempt(retry)).toBe(true);
      // The same attempt again (a duplicate queue message): refused, nothing written.
      expect(await store.recordAttempt({ ...retry, now: 5200 })).toBe(false);
      expect(await store.pending(ref)).toMatchObject({ attempts: 1, nextAttemptAt: 10_000 });
      expect((await store.deliveries(hook.webhookId, 10))[0]).toMatchObject({
        status: 'pending',
        attempts: 1,
        lastResponseStatus: 500,
        lastError: 'HTTP 500',
        nextAttemptAt: 10_000,
        updatedAt: 5100,
      });

      const success = {
        ref,
        attemptsBefore: 1,
        status: 'succeeded' as const,
        lastStatus: 204,
        lastError: null,
        nextAttemptAt: null,
        now: 10_100,
      };
      expect(await store.recordAttempt(success)).toBe(true);
      expect(await store.pending(ref)).toBeNull();
      expect(await store.recordAttempt({ ...success, attemptsBefore: 2 })).toBe(false);
      expect((await store.deliveries(hook.webhookId, 10))[0]).toMatchObject({
        status: 'succeeded',
        attempts: 2,
        lastResponseStatus: 204,
        lastError: null,
        nextAttemptAt: null,
        updatedAt: 10_100,
      });
    });

    it('records a delivery given up as failed', async () => {
      const hook = await create('alice', ['image.failed']);
      const [ref] = await store.enqueue({
        tenant: 'alice',
        type: 'image.failed',
        imageId: 'i',
        body: '{}',
        now: 1,
      });
      const gaveUp = {
        ref: ref as DeliveryRef,
        attemptsBefore: 0,
        status: 'failed' as const,
        lastStatus: null,
        lastError: 'connect ECONNREFUSED',
        nextAttemptAt: null,
        now: 2,
      };
      expect(await store.recordAttempt(gaveUp)).toBe(true);
      expect(await store.pending(ref as DeliveryRef)).toBeNull();
      expect((await store.deliveries(hook.webhookId, 1))[0]).toMatchObject({
        status: 'failed',
        attempts: 1,
        lastResponseStatus: null,
        lastError: 'connect ECONNREFUSED',
      });
    });

    it('lists the latest deliveries first, up to the limit', async () => {
      const hook = await create('alice', ['image.completed']);
      for (let i = 1; i <= 4; i++)
        await store.enqueue({
          tenant: 'alice',
          type: 'image.completed',
          imageId: `img-${i}`,
          body: '{}',
          now: i * 1000,
        });
      expect((await store.deliveries(hook.webhookId, 3)).map((d) => d.imageId)).toEqual([
        'img-4',
        'img-3',
        'img-2',
      ]);
    });

    it('drops a webhook’s deliveries with it: none listed, none left to send', async () => {
      const hook = await create('alice', ['image.completed']);
      const [ref] = await store.enqueue({
        tenant: 'alice',
        type: 'image.completed',
        imageId: 'i',
        body: '{}',
        now: 1,
      });
      expect(await store.delete('alice', hook.webhookId)).toBe(true);
      expect(await store.deliveries(hook.webhookId, 10)).toEqual([]);
      expect(await store.pending(ref as DeliveryRef)).toBeNull();
      expect(
        await store.recordAttempt({
          ref: ref as DeliveryRef,
          attemptsBefore: 0,
          status: 'succeeded',
          lastStatus: 200,
          lastError: null,
          nextAttemptAt: null,
          now: 2,
        }),
      ).toBe(false);
    });
  });
}
