import sharp from 'sharp';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOMES, type RunningHome } from './helpers/homes.ts';
import { fixture } from './helpers/images.ts';
import { type ApiClient, putBytes } from './helpers/server.ts';
import { Receiver } from './helpers/webhook-receiver.ts';

const API_KEY = 'webhooks-homes-admin-key-0123';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The same deliveries from both homes: receivers on 127.0.0.1, so only homes on this machine. */
const LOCAL_HOMES = HOMES.filter((home) => home.name !== 'deployed');

/**
 * Webhooks move homes unchanged: the same subscriptions, the same signed deliveries (the
 * local dispatcher, or the process function → webhook queue → webhook function on AWS), the
 * same retries and the same delivery log, checked with the Standard Webhooks reference
 * library. The retry unit is shrunk to 50 ms (on AWS, SQS rounds each wait up to a second).
 */
describe.each(LOCAL_HOMES)('webhooks on $name', (home) => {
  let server: RunningHome;
  let admin: ApiClient;
  let alice: ApiClient;
  let bob: ApiClient;
  let receiver: Receiver;

  beforeAll(async () => {
    if (!home.available) return;
    receiver = new Receiver();
    await receiver.start();
    server = await home.start({
      API_KEY,
      ANALYSIS: 'none',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_RETRY_BASE_MS: '50',
    });
    admin = server.api;
    alice = admin.withKey((await admin.request('POST', '/keys', { name: 'alice' })).body.apiKey);
    bob = admin.withKey((await admin.request('POST', '/keys', { name: 'bob' })).body.apiKey);
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
    await receiver?.close();
  }, 60_000);

  const smallJpeg = async (name: Parameters<typeof fixture>[0]) =>
    sharp(fixture(name)).resize(96).jpeg().toBuffer();
  /** The webhook's latest delivery, once it is no longer pending (or the last state seen). */
  const settledDelivery = async (client: ApiClient, webhookId: string) => {
    let delivery: any;
    for (let i = 0; i < 100; i++) {
      delivery = (await client.get(`/webhooks/${webhookId}/deliveries`)).body.deliveries[0];
      if (delivery && delivery.status !== 'pending') break;
      await sleep(100);
    }
    return delivery;
  };

  it.skipIf(!home.available)(
    'delivers image.completed with the image JSON, signed as Standard Webhooks says',
    async () => {
      const created = await alice.request('POST', '/webhooks', {
        url: `${receiver.url}/completed`,
        events: ['image.completed', 'image.failed'],
      });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        webhookId: expect.stringMatching(/^wh_/),
        url: `${receiver.url}/completed`,
        events: ['image.completed', 'image.failed'],
        secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{32}$/),
        createdAt: expect.any(String),
      });
      const failedOnly = await alice.request('POST', '/webhooks', {
        url: `${receiver.url}/failed-only`,
        events: ['image.failed'],
      });

      const imageId = await alice.upload(await smallJpeg('chelsea.jpg'));
      expect((await alice.waitFor(imageId)).status).toBe('completed');
      const [delivery] = await receiver.waitFor('/completed', 1, 30_000);
      const headers = delivery?.headers as Record<string, string>;
      const payload = new Webhook(created.body.secret).verify(delivery?.body as string, headers) as any;
      expect(payload).toMatchObject({ type: 'image.completed', imageId, occurredAt: expect.any(String) });
      expect(headers['content-type']).toBe('application/json');
      expect(headers['webhook-id']).toMatch(/^msg_/);
      // The image as GET /images/{id} shows it (signed URLs differ from one signing to the next).
      const image = (await alice.get(`/images/${imageId}`)).body;
      expect(Object.keys(payload.data).sort()).toEqual(Object.keys(image).sort());
      const { downloadUrl: _d, webpUrl: _w, thumbnails: _t, ...rest } = image;
      expect(payload.data).toMatchObject({ ...rest, status: 'completed' });
      // Another webhook's secret does not verify it.
      expect(() => new Webhook(failedOnly.body.secret).verify(delivery?.body as string, headers)).toThrow();

      expect(await settledDelivery(alice, created.body.webhookId)).toMatchObject({
        deliveryId: headers['webhook-id'],
        type: 'image.completed',
        imageId,
        status: 'succeeded',
        attempts: 1,
        lastResponseStatus: 200,
        lastError: null,
        nextAttemptAt: null,
      });
      expect(receiver.on('/failed-only')).toHaveLength(0);
      await alice.request('DELETE', `/webhooks/${failedOnly.body.webhookId}`);
      await alice.request('DELETE', `/webhooks/${created.body.webhookId}`);
    },
    60_000,
  );

  it.skipIf(!home.available)(
    'delivers image.failed only to webhooks subscribed to it',
    async () => {
      const failedOnly = await alice.request('POST', '/webhooks', {
        url: `${receiver.url}/failed`,
        events: ['image.failed'],
      });
      const completedOnly = await alice.request('POST', '/webhooks', {
        url: `${receiver.url}/completed-only`,
        events: ['image.completed'],
      });
      const whole = fixture('rocket.jpg');
      const imageId = await alice.upload(whole.subarray(0, Math.floor(whole.length / 3)));
      expect(await alice.waitFor(imageId, ['failed'], 60_000)).toMatchObject({ status: 'failed' });
      const [delivery] = await receiver.waitFor('/failed', 1, 30_000);
      const payload = new Webhook(failedOnly.body.secret).verify(
        delivery?.body as string,
        delivery?.headers as Record<string, string>,
      );
      expect(payload).toMatchObject({ type: 'image.failed', imageId, data: { imageId, status: 'failed' } });
      await sleep(500);
      expect(receiver.on('/completed-only')).toHaveLength(0);
      await alice.request('DELETE', `/webhooks/${failedOnly.body.webhookId}`);
      await alice.request('DELETE', `/webhooks/${completedOnly.body.webhookId}`);
    },
    90_000,
  );

  // Locally the PUT itself refuses such bytes and the image stays pending: no event there.
  it.skipIf(!home.available || !home.aws)(
    'sends image.failed for an upload S3 took but completing it refused',
    async () => {
      const created = await alice.request('POST', '/webhooks', {
        url: `${receiver.url}/refused`,
        events: ['image.failed'],
      });
      const upload = await alice.createUpload('fake.png', 'image/png');
      await putBytes(upload.body.uploadUrl, Buffer.from('MZ this is not a PNG at all'), 'image/png');
      expect((await alice.waitFor(upload.body.imageId, ['failed'])).error.code).toBe('CONTENT_MISMATCH');
      const [delivery] = await receiver.waitFor('/refused', 1, 30_000);
      expect(
        new Webhook(created.body.secret).verify(
          delivery?.body as string,
          delivery?.headers as Record<string, string>,
        ),
      ).toMatchObject({
        type: 'image.failed',
        imageId: upload.body.imageId,
        data: { status: 'failed' },
      });
      await alice.request('DELETE', `/webhooks/${created.body.webhookId}`);
    },
    60_000,
  );

  it.skipIf(!home.available)(
    'retries a delivery answered 500, with the same webhook-id, until it succeeds',
    async () => {
      receiver.answer = (req, index) => (req.path === '/flaky' && index < 2 ? 500 : 200);
      const created = await alice.request('POST', '/webhooks', {
        url: `${receiver.url}/flaky`,
        events: ['image.completed'],
      });
      const imageId = await alice.upload(await smallJpeg('coffee.jpg'));
      await alice.waitFor(imageId);
      const attempts = await receiver.waitFor('/flaky', 3, 30_000);
      expect(new Set(attempts.map((a) => a.headers['webhook-id'])).size).toBe(1);
      for (const attempt of attempts)
        expect(
          new Webhook(created.body.secret).verify(attempt.body, attempt.headers as Record<string, string>),
        ).toMatchObject({ imageId });
      expect(await settledDelivery(alice, created.body.webhookId)).toMatchObject({
        status: 'succeeded',
        attempts: 3,
        lastResponseStatus: 200,
      });
      await alice.request('DELETE', `/webhooks/${created.body.webhookId}`);
    },
    60_000,
  );

  it.skipIf(!home.available)(
    'keeps webhooks to their tenant and stops delivering once one is deleted',
    async () => {
      const created = await alice.request('POST', '/webhooks', {
        url: `${receiver.url}/alice-only`,
        events: ['image.completed'],
      });
      const id = created.body.webhookId;
      // Alice's control: stays subscribed throughout, so that "nothing arrived" below is
      // measured against a delivery that did arrive, not against a sleep.
      const control = await alice.request('POST', '/webhooks', {
        url: `${receiver.url}/alice-control`,
        events: ['image.completed'],
      });
      const controlDelivered = async (imageId: string) => {
        await expect
          .poll(() => receiver.on('/alice-control').some((d) => JSON.parse(d.body).imageId === imageId), {
            timeout: 30_000,
          })
          .toBe(true);
        // Deliveries of one event to several webhooks go out together: a little slack.
        await sleep(300);
      };
      expect((await bob.get('/webhooks')).body.webhooks).toEqual([]);
      expect((await bob.get(`/webhooks/${id}/deliveries`)).status).toBe(404);
      const foreign = await bob.request('DELETE', `/webhooks/${id}`);
      expect([foreign.status, foreign.body.error.code]).toEqual([404, 'NOT_FOUND']);
      const listed = (await alice.get('/webhooks')).body.webhooks;
      expect(listed.map((w: { webhookId: string }) => w.webhookId).sort()).toEqual(
        [id, control.body.webhookId].sort(),
      );
      expect(JSON.stringify(listed)).not.toContain('whsec_');
      // Bob's image is not Alice's event: after it, one of Alice's own comes through, and
      // neither her receiver nor her stored deliveries ever saw Bob's.
      const bobsImage = await bob.upload(await smallJpeg('rocket.jpg'));
      await bob.waitFor(bobsImage);
      const alicesImage = await alice.upload(await smallJpeg('coffee.jpg'));
      await alice.waitFor(alicesImage);
      await controlDelivered(alicesImage);
      const aliceOnly = () => receiver.on('/alice-only').map((d) => JSON.parse(d.body).imageId);
      await expect.poll(() => aliceOnly().includes(alicesImage), { timeout: 30_000 }).toBe(true);
      expect(aliceOnly()).not.toContain(bobsImage);
      const stored = (await alice.get(`/webhooks/${id}/deliveries`)).body.deliveries;
      expect(stored.map((d: { imageId: string }) => d.imageId)).toEqual([alicesImage]);

      expect((await alice.request('DELETE', `/webhooks/${id}`)).body).toEqual({
        message: 'Webhook deleted',
        webhookId: id,
      });
      expect((await alice.get(`/webhooks/${id}/deliveries`)).status).toBe(404);
      const afterDelete = await alice.upload(await smallJpeg('astronaut.jpg'));
      await alice.waitFor(afterDelete);
      await controlDelivered(afterDelete);
      expect(aliceOnly()).not.toContain(afterDelete);
      await alice.request('DELETE', `/webhooks/${control.body.webhookId}`);
    },
    60_000,
  );

  it.skipIf(!home.available)('refuses bad input naming the field, and requires a key', async () => {
    const noUrl = await alice.request('POST', '/webhooks', { events: ['image.completed'] });
    expect([noUrl.status, noUrl.body.error.code]).toEqual([400, 'VALIDATION_ERROR']);
    expect(noUrl.body.error.message).toContain('url');
    const badEvent = await alice.request('POST', '/webhooks', {
      url: receiver.url,
      events: ['image.deleted'],
    });
    expect(badEvent.body.error.message).toContain('events');
    const ftp = await alice.request('POST', '/webhooks', {
      url: 'ftp://example.com/x',
      events: ['image.failed'],
    });
    expect([ftp.status, ftp.body.error.message]).toEqual([400, expect.stringMatching(/^url: /)]);
    const badId = await alice.request('DELETE', '/webhooks/wh_0000');
    expect(badId.status).toBe(404);
    // As everywhere: API Gateway answers a missing key as a wrong one.
    const anonymous = alice.withKey(null);
    for (const res of [
      await anonymous.get('/webhooks'),
      await anonymous.request('POST', '/webhooks', { url: receiver.url, events: ['image.failed'] }),
      await anonymous.request('DELETE', '/webhooks/wh_x'),
      await anonymous.get('/webhooks/wh_x/deliveries'),
    ])
      expect(res.status).toBe(home.aws ? 403 : 401);
  });
});
