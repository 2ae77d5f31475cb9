import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  guardedLookup,
  isPublicAddress,
  type Resolver,
  webhookUrlProblem,
} from '../src/core/webhook-target.ts';
import { nextAttemptAt } from '../src/core/webhooks.ts';
import { loadConfig } from '../src/local/config.ts';
import { startLocal } from '../src/local/start-local.ts';
import { WebhookDispatcher } from '../src/local/webhook-dispatcher.ts';
import { systemClock } from '../src/ports/clock.ts';
import { fixture } from './helpers/images.ts';
import { ADMIN_KEY, ApiClient, startTestServer, type TestServer } from './helpers/server.ts';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on 127.0.0.1: records every request; `answer` picks each status. */
class Receiver {
  readonly received: Received[] = [];
  answer: (req: Received, index: number) => number = () => 200;
  private server: Server | undefined;
  url = '';

  async start() {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        const entry = { path: req.url ?? '', headers: req.headers, body };
        const sameSoFar = this.received.filter((r) => r.path === entry.path).length;
        this.received.push(entry);
        res.writeHead(this.answer(entry, sameSoFar)).end();
      });
    });
    await new Promise<void>((done) => this.server?.listen(0, '127.0.0.1', done));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  on(path: string) {
    return this.received.filter((r) => r.path === path);
  }

  async waitFor(path: string, count: number, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    while (this.on(path).length < count) {
      if (Date.now() > deadline) throw new Error(`${path}: ${this.on(path).length} of ${count} requests`);
      await new Promise((r) => setTimeout(r, 25));
    }
    return this.on(path);
  }

  close() {
    return new Promise<void>((done) => this.server?.close(() => done()));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('webhooks (WEBHOOK_ALLOW_PRIVATE=true)', () => {
  let server: TestServer;
  let receiver: Receiver;
  let alice: ApiClient;
  let bob: ApiClient;
  beforeAll(async () => {
    receiver = new Receiver();
    await receiver.start();
    server = await startTestServer({ WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_BASE_MS: '50' });
    const a = await server.api.request('POST', '/keys', { name: 'alice' });
    const b = await server.api.request('POST', '/keys', { name: 'bob' });
    alice = server.api.withKey(a.body.apiKey);
    bob = server.api.withKey(b.body.apiKey);
  });
  afterAll(async () => {
    await server.stop();
    await receiver.close();
  });

  it('delivers image.completed with the image JSON, signed as Standard Webhooks says', async () => {
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

    const imageId = await alice.upload(fixture('chelsea.jpg'));
    await alice.waitFor(imageId);
    const [delivery] = await receiver.waitFor('/completed', 1);
    const headers = delivery?.headers as Record<string, string>;
    const payload = new Webhook(created.body.secret).verify(delivery?.body as string, headers) as any;
    expect(payload).toMatchObject({ type: 'image.completed', imageId, occurredAt: expect.any(String) });
    expect(headers['content-type']).toBe('application/json');
    expect(headers['webhook-id']).toMatch(/^msg_/);

    const image = (await alice.get(`/images/${imageId}`)).body;
    expect(Object.keys(payload.data).sort()).toEqual(Object.keys(image).sort());
    const { downloadUrl, webpUrl, thumbnails, ...rest } = image;
    expect(payload.data).toMatchObject({ ...rest, status: 'completed' });
    expect(payload.data.downloadUrl).toEqual(expect.any(String));

    // A wrong secret does not verify.
    const other = (
      await alice.request('POST', '/webhooks', { url: `${receiver.url}/x`, events: ['image.failed'] })
    ).body.secret;
    expect(() => new Webhook(other).verify(delivery?.body as string, headers)).toThrow();

    const deliveries = await alice.get(`/webhooks/${created.body.webhookId}/deliveries`);
    expect(deliveries.status).toBe(200);
    expect(deliveries.body.deliveries).toEqual([
      expect.objectContaining({
        deliveryId: headers['webhook-id'],
        type: 'image.completed',
        imageId,
        status: 'succeeded',
        attempts: 1,
        lastResponseStatus: 200,
        lastError: null,
        nextAttemptAt: null,
      }),
    ]);
    // Only the subscribed event: the image.failed-only webhook got nothing.
    expect(receiver.on('/x')).toHaveLength(0);
  });

  it('delivers image.failed, only to webhooks subscribed to it', async () => {
    const failedOnly = await alice.request('POST', '/webhooks', {
      url: `${receiver.url}/failed-only`,
      events: ['image.failed'],
    });
    const whole = fixture('rocket.jpg');
    const imageId = await alice.upload(whole.subarray(0, Math.floor(whole.length / 3)));
    expect(await alice.waitFor(imageId)).toMatchObject({ status: 'failed' });
    const [delivery] = await receiver.waitFor('/failed-only', 1);
    const payload = new Webhook(failedOnly.body.secret).verify(
      delivery?.body as string,
      delivery?.headers as Record<string, string>,
    );
    expect(payload).toMatchObject({ type: 'image.failed', imageId, data: { imageId, status: 'failed' } });
    await alice.request('DELETE', `/webhooks/${failedOnly.body.webhookId}`);
  });

  it('retries a delivery that was answered 500, with the same webhook-id', async () => {
    receiver.answer = (req, index) => (req.path === '/flaky' && index < 2 ? 500 : 200);
    const created = await alice.request('POST', '/webhooks', {
      url: `${receiver.url}/flaky`,
      events: ['image.completed'],
    });
    const imageId = await alice.upload(fixture('coffee.jpg'));
    await alice.waitFor(imageId);
    const attempts = await receiver.waitFor('/flaky', 3);
    expect(new Set(attempts.map((a) => a.headers['webhook-id'])).size).toBe(1);
    for (const attempt of attempts)
      expect(
        new Webhook(created.body.secret).verify(attempt.body, attempt.headers as Record<string, string>),
      ).toMatchObject({ imageId });
    let delivery: any;
    for (let i = 0; i < 40; i++) {
      delivery = (await alice.get(`/webhooks/${created.body.webhookId}/deliveries`)).body.deliveries[0];
      if (delivery.status === 'succeeded') break;
      await sleep(25);
    }
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 3, lastResponseStatus: 200 });
  });

  it('keeps webhooks to their tenant', async () => {
    const created = await alice.request('POST', '/webhooks', {
      url: `${receiver.url}/alice-only`,
      events: ['image.completed'],
    });
    const id = created.body.webhookId;
    expect((await bob.get('/webhooks')).body.webhooks).toEqual([]);
    expect((await bob.get(`/webhooks/${id}/deliveries`)).status).toBe(404);
    expect((await bob.request('DELETE', `/webhooks/${id}`)).status).toBe(404);
    const listed = (await alice.get('/webhooks')).body.webhooks;
    expect(listed.map((w: { webhookId: string }) => w.webhookId)).toContain(id);
    expect(JSON.stringify(listed)).not.toContain('whsec_');
    // Bob's image is not Alice's event.
    const imageId = await bob.upload(fixture('rocket.jpg'));
    await bob.waitFor(imageId);
    await sleep(300);
    expect(receiver.on('/alice-only').filter((r) => r.body.includes(imageId))).toEqual([]);
    await alice.request('DELETE', `/webhooks/${id}`);
  });

  it('stops delivering once a webhook is deleted', async () => {
    const created = await bob.request('POST', '/webhooks', {
      url: `${receiver.url}/deleted`,
      events: ['image.completed'],
    });
    const deleted = await bob.request('DELETE', `/webhooks/${created.body.webhookId}`);
    expect(deleted.status).toBe(200);
    expect((await bob.request('DELETE', `/webhooks/${created.body.webhookId}`)).status).toBe(404);
    expect((await bob.get(`/webhooks/${created.body.webhookId}/deliveries`)).status).toBe(404);
    const imageId = await bob.upload(fixture('astronaut.jpg'));
    await bob.waitFor(imageId);
    await sleep(300);
    expect(receiver.on('/deleted')).toEqual([]);
  });

  it('validates input and requires a key', async () => {
    const noUrl = await alice.request('POST', '/webhooks', { events: ['image.completed'] });
    expect(noUrl.status).toBe(400);
    expect(noUrl.body.error).toMatchObject({
      code: 'VALIDATION_ERROR',
      message: expect.stringContaining('url'),
    });
    const badEvent = await alice.request('POST', '/webhooks', {
      url: receiver.url,
      events: ['image.deleted'],
    });
    expect(badEvent.status).toBe(400);
    expect(badEvent.body.error.message).toContain('events');
    const noEvents = await alice.request('POST', '/webhooks', { url: receiver.url, events: [] });
    expect(noEvents.body.error.message).toContain('events');
    for (const url of ['ftp://example.com/x', 'not a url', 'file:///etc/passwd']) {
      const res = await alice.request('POST', '/webhooks', { url, events: ['image.completed'] });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/^url: /);
    }
    const anonymous = alice.withKey(null);
    expect((await anonymous.get('/webhooks')).status).toBe(401);
    expect(
      (await anonymous.request('POST', '/webhooks', { url: receiver.url, events: ['image.failed'] })).status,
    ).toBe(401);
    expect((await anonymous.request('DELETE', '/webhooks/wh_x')).status).toBe(401);
    expect((await anonymous.get('/webhooks/wh_x/deliveries')).status).toBe(401);
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = (await server.api.get('/openapi.json')).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/webhooks', '/webhooks/{webhookId}', '/webhooks/{webhookId}/deliveries']),
    );
    expect(doc.paths['/webhooks'].post.security).toEqual([{ apiKey: [] }]);
  });
});

describe('webhooks without WEBHOOK_ALLOW_PRIVATE', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it('refuses private, loopback, link-local and unspecified targets at creation, naming url', async () => {
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://2130706433/hook',
      'http://[::1]/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://10.1.2.3/hook',
      'https://192.168.1.1/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://[fe80::1]/hook',
      'http://[fd00::1]/hook',
      'http://0.0.0.0/hook',
      'http://[::]/hook',
      'http://localhost:3000/hook',
    ]) {
      const res = await server.api.request('POST', '/webhooks', { url, events: ['image.completed'] });
      expect(res.status, url).toBe(400);
      expect(res.body.error.message, url).toMatch(/^url: /);
    }
    const ok = await server.api.request('POST', '/webhooks', {
      url: 'https://hooks.example.com/images',
      events: ['image.completed'],
    });
    expect(ok.status).toBe(201);
  });
});

describe('connect-time address check', () => {
  const fakeResolver =
    (address: string, family = 4): Resolver =>
    (_hostname, _options, callback) =>
      callback(null, [{ address, family }]);

  it('classifies addresses with ipaddr.js', () => {
    for (const address of [
      '127.0.0.1',
      '10.0.0.1',
      '172.16.0.1',
      '192.168.0.1',
      '169.254.1.1',
      '0.0.0.0',
      '100.64.0.1',
    ])
      expect(isPublicAddress(address), address).toBe(false);
    for (const address of [
      '::1',
      '::',
      'fe80::1',
      'fc00::1',
      'fd12:3456::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
    ])
      expect(isPublicAddress(address), address).toBe(false);
    for (const address of ['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])
      expect(isPublicAddress(address), address).toBe(true);
    expect(webhookUrlProblem('http://[::ffff:7f00:1]/', false)).not.toBeNull();
    expect(webhookUrlProblem('http://127.0.0.1/', true)).toBeNull();
  });

  it('refuses a public-looking name that resolves to a private address', async () => {
    const lookup = guardedLookup({ allowPrivate: false, resolver: fakeResolver('127.0.0.1') });
    const err = await new Promise<NodeJS.ErrnoException | null>((done) =>
      lookup('hooks.example.com', { all: true }, (e) => done(e)),
    );
    expect(err?.code).toBe('EWEBHOOKADDRESS');
    expect(err?.message).toContain('127.0.0.1');
    const mapped = guardedLookup({ allowPrivate: false, resolver: fakeResolver('::ffff:192.168.0.1', 6) });
    expect(await new Promise((done) => mapped('x.example', {}, (e) => done(e?.code)))).toBe(
      'EWEBHOOKADDRESS',
    );
    const publicOne = guardedLookup({ allowPrivate: false, resolver: fakeResolver('93.184.215.14') });
    const answer = await new Promise((done) =>
      publicOne('hooks.example.com', {}, (e, address, family) => done({ e, address, family })),
    );
    expect(answer).toEqual({ e: null, address: '93.184.215.14', family: 4 });
  });

  it('applies the check to the connection a delivery actually makes', async () => {
    const receiver = new Receiver();
    await receiver.start();
    const port = new URL(receiver.url).port;
    const dispatcher = (allowPrivate: boolean) =>
      new WebhookDispatcher({
        store: {} as never,
        clock: systemClock,
        logger: pino({ level: 'silent' }),
        allowPrivate,
        resolver: fakeResolver('127.0.0.1'),
      });
    try {
      const refused = await dispatcher(false).post(`http://hooks.example.com:${port}/rebind`, {}, '{}');
      expect(refused.status).toBeNull();
      expect(refused.error).toContain('127.0.0.1');
      const literal = await dispatcher(false).post(`http://[::ffff:127.0.0.1]:${port}/rebind`, {}, '{}');
      expect(literal.error).toContain('non-public');
      expect(receiver.on('/rebind')).toEqual([]);
      // The same name, allowed: the guarded lookup is what the socket used.
      const allowed = await dispatcher(true).post(`http://hooks.example.com:${port}/rebind`, {}, '{}');
      expect(allowed).toEqual({ status: 200, error: null });
      expect(receiver.on('/rebind')).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });

  it('spreads retries over a day and then gives up', () => {
    const base = 5000;
    const t0 = 0;
    const waits: number[] = [];
    let now = t0;
    for (let attempts = 1; ; attempts++) {
      const next = nextAttemptAt(t0, attempts, now, base);
      if (next === null) break;
      waits.push(next - now);
      now = next;
    }
    expect(waits).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000]);
    expect(now).toBeLessThanOrEqual(24 * 3600_000);
  });
});

describe('pending deliveries survive a restart', () => {
  it('sends on the next start what the previous run could not', async () => {
    const receiver = new Receiver();
    await receiver.start();
    receiver.answer = () => 503;
    const dataDir = mkdtempSync(join(tmpdir(), 'imgapi-webhooks-'));
    const config = loadConfig({
      PORT: '0',
      DATA_DIR: dataDir,
      API_KEY: ADMIN_KEY,
      WORKERS: '1',
      ANALYSIS: 'none',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_RETRY_BASE_MS: '1500',
    });
    const logger = pino({ level: 'silent' });
    try {
      const first = await startLocal(config, logger);
      const api = new ApiClient(first.url, ADMIN_KEY);
      const created = await api.request('POST', '/webhooks', {
        url: `${receiver.url}/resume`,
        events: ['image.completed'],
      });
      const imageId = await api.upload(fixture('chelsea.jpg'));
      await api.waitFor(imageId);
      await receiver.waitFor('/resume', 1);
      await first.close();
      receiver.answer = () => 204;

      const second = await startLocal(config, logger);
      try {
        const attempts = await receiver.waitFor('/resume', 2);
        expect(attempts[1]?.headers['webhook-id']).toBe(attempts[0]?.headers['webhook-id']);
        const again = new ApiClient(second.url, ADMIN_KEY);
        let delivery: any;
        for (let i = 0; i < 40; i++) {
          delivery = (await again.get(`/webhooks/${created.body.webhookId}/deliveries`)).body.deliveries[0];
          if (delivery.status === 'succeeded') break;
          await sleep(25);
        }
        expect(delivery).toMatchObject({
          imageId,
          status: 'succeeded',
          attempts: 2,
          lastResponseStatus: 204,
        });
      } finally {
        await second.close();
      }
    } finally {
      await receiver.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
