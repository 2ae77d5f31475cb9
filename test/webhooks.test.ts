import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  guardedLookup,
  isPublicAddress,
  type Resolver,
  webhookUrlProblem,
} from '../src/core/webhook-target.ts';
import { nextAttemptAt } from '../src/core/webhooks.ts';
import { startLocal } from '../src/local/start-local.ts';
import { WebhookDispatcher } from '../src/local/webhook-dispatcher.ts';
import { systemClock } from '../src/ports/clock.ts';
import { fixture } from './helpers/images.ts';
import {
  ADMIN_KEY,
  ApiClient,
  startTestServer,
  type TestServer,
  testServerConfig,
} from './helpers/server.ts';
import { Receiver } from './helpers/webhook-receiver.ts';

describe('webhook routes (WEBHOOK_ALLOW_PRIVATE=true)', () => {
  let server: TestServer;
  let receiver: Receiver;
  let alice: ApiClient;
  beforeAll(async () => {
    receiver = new Receiver();
    await receiver.start();
    server = await startTestServer({ WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_BASE_MS: '50' });
    const a = await server.api.request('POST', '/keys', { name: 'alice' });
    alice = server.api.withKey(a.body.apiKey);
  });
  afterAll(async () => {
    await server.stop();
    await receiver.close();
  });

  // Deliveries (signed, retried, per tenant, stopped by deletion) are checked on both homes in
  // test/webhooks-homes.test.ts; what follows is the validation and documentation detail.

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

  it('caps the webhooks of one key at 20, counted per tenant', async () => {
    const carol = server.api.withKey(
      (await server.api.request('POST', '/keys', { name: 'carol' })).body.apiKey,
    );
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const created = await carol.request('POST', '/webhooks', {
        url: `${receiver.url}/carol/${i}`,
        events: ['image.completed'],
      });
      expect(created.status).toBe(201);
      ids.push(created.body.webhookId);
    }
    const over = await carol.request('POST', '/webhooks', { url: receiver.url, events: ['image.failed'] });
    expect(over.status).toBe(409);
    expect(over.body.error).toEqual({
      code: 'WEBHOOK_LIMIT_REACHED',
      message: 'webhooks: this key already has 20, the most it may have; delete one first',
    });
    // Another tenant is not affected; deleting one makes room again.
    expect(
      (await alice.request('POST', '/webhooks', { url: receiver.url, events: ['image.failed'] })).status,
    ).toBe(201);
    expect((await carol.request('DELETE', `/webhooks/${ids[0]}`)).status).toBe(200);
    expect(
      (await carol.request('POST', '/webhooks', { url: receiver.url, events: ['image.failed'] })).status,
    ).toBe(201);
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
    const config = testServerConfig(dataDir, {
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
        // The attempt is recorded once the receiver has answered, a moment after it got it.
        const latestDelivery = async () =>
          (await again.get(`/webhooks/${created.body.webhookId}/deliveries`)).body.deliveries[0];
        await expect.poll(async () => (await latestDelivery()).status).toBe('succeeded');
        expect(await latestDelivery()).toMatchObject({
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
