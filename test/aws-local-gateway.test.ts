import type { AddressInfo } from 'node:net';
import { CreateApiKeyCommand, CreateUsagePlanKeyCommand } from '@aws-sdk/client-api-gateway';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { API_FUNCTIONS, API_ROUTES, type ApiFunction } from '../src/aws/api-routes.ts';
import { createGateway } from '../src/aws-local/gateway.ts';
import { GatewayKeys } from '../src/aws-local/gateway-keys.ts';
import type { ApiHandler } from '../src/lambda/api-handler.ts';
import { createDefaultUsagePlan, motoApiGatewayClient } from './helpers/api-gateway.ts';

const endpoint = inject('motoEndpoint');

/** The API Gateway stand-in of `npm run start:aws-local`, with handlers that echo their event. */
describe.skipIf(!endpoint)('API Gateway stand-in', () => {
  const client = motoApiGatewayClient(endpoint ?? '');
  const events: Array<{ fn: ApiFunction; event: APIGatewayProxyEvent }> = [];
  let url: string;
  let close: () => Promise<void>;
  let key: { value: string; id: string };
  let limitedKey: string;
  const plans: Array<{ remove(): Promise<void> }> = [];
  let openPlanId: string;

  async function keyIn(usagePlanId: string): Promise<{ value: string; id: string }> {
    const value = `k-${Math.random().toString(36).slice(2)}-0123456789`;
    const created = await client.send(new CreateApiKeyCommand({ name: 'k', enabled: true, value }));
    await client.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId: created.id, keyType: 'API_KEY' }));
    return { value, id: created.id as string };
  }

  beforeAll(async () => {
    const open = await createDefaultUsagePlan(client, {
      rateLimitRps: 1000,
      rateLimitBurst: 1000,
      dailyQuota: 0,
    });
    // Half a request a second: the throttle test's burst has 2 s to be refused, not 1.
    const tight = await createDefaultUsagePlan(client, {
      rateLimitRps: 0.5,
      rateLimitBurst: 2,
      dailyQuota: 3,
    });
    plans.push(open, tight);
    openPlanId = open.usagePlanId;
    key = await keyIn(open.usagePlanId);
    limitedKey = (await keyIn(tight.usagePlanId)).value;
    const echo =
      (fn: ApiFunction): ApiHandler =>
      async (event) => {
        events.push({ fn, event });
        if (event.path === '/slow') await new Promise((r) => setTimeout(r, 2000));
        return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' };
      };
    const handlers = Object.fromEntries(API_FUNCTIONS.map((fn) => [fn, echo(fn)])) as Record<
      ApiFunction,
      ApiHandler
    >;
    const server = createGateway({
      routes: [...API_ROUTES, { fn: 'list', method: 'GET', resource: '/slow', apiKeyRequired: false }],
      handlers,
      keys: new GatewayKeys(client),
      stage: 'local',
      timeoutMs: 500,
      log: () => {},
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });
  afterAll(async () => {
    await close?.();
    await Promise.all(plans.map((plan) => plan.remove()));
    client.destroy();
  });

  const call = (path: string, init: RequestInit = {}, apiKey: string | null = key.value) =>
    fetch(`${url}${path}`, {
      ...init,
      headers: { ...(apiKey ? { 'x-api-key': apiKey } : {}), ...init.headers },
    });

  it('routes by resource, literal segments first, and passes a v1 proxy event with the key id', async () => {
    events.length = 0;
    await call('/images/upload', {
      method: 'POST',
      body: '{"a":1}',
      headers: { 'content-type': 'application/json' },
    });
    await call('/images/3f6c%20x/status?wait=5&wait=6');
    expect(events.map((e) => e.fn)).toEqual(['upload', 'status']);
    const [upload, status] = events.map((e) => e.event);
    expect(upload).toMatchObject({
      resource: '/images/upload',
      httpMethod: 'POST',
      body: '{"a":1}',
      isBase64Encoded: false,
      requestContext: { stage: 'local', identity: { apiKeyId: key.id, apiKey: key.value } },
    });
    expect(status).toMatchObject({
      resource: '/images/{imageId}/status',
      pathParameters: { imageId: '3f6c x' },
      queryStringParameters: { wait: '6' },
      multiValueQueryStringParameters: { wait: ['5', '6'] },
    });
  });

  it('answers its own refusals in our error shape', async () => {
    const refusal = async (res: Response) => [
      res.status,
      ((await res.json()) as { error: { code: string } }).error.code,
    ];
    // A method the resource lacks is no route to API Gateway (it says 403 "Missing Authentication Token"; our template maps it to 404).
    expect(await refusal(await call('/images/upload'))).toEqual([404, 'NOT_FOUND']);
    expect(await refusal(await call('/nope'))).toEqual([404, 'NOT_FOUND']);
    expect(await refusal(await call('/images', {}, null))).toEqual([403, 'INVALID_API_KEY']);
    expect(await refusal(await call('/images', {}, 'unknown-key-0123456789'))).toEqual([
      403,
      'INVALID_API_KEY',
    ]);
    const big = await call('/images/upload', { method: 'POST', body: Buffer.alloc(10 * 1024 * 1024 + 1) });
    expect(await refusal(big)).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    expect((await call('/health', {}, null)).status).toBe(200);
    expect(await refusal(await call('/slow', {}, null))).toEqual([504, 'INTERNAL_ERROR']);
  });

  it('accepts a key made just after the keys were read, and still refuses unknown ones', async () => {
    // Past the snapshot's second, so that this request reads the keys afresh.
    await new Promise((r) => setTimeout(r, 1100));
    expect((await call('/images')).status).toBe(200);
    // Made (two moto calls) inside the 100 ms in which unknown keys share one re-read.
    const made = await keyIn(openPlanId);
    expect((await call('/images', {}, made.value)).status).toBe(200);
    const unknown = await Promise.all(
      Array.from({ length: 5 }, (_, i) => call('/images', {}, `unknown-${i}-0123456789`)),
    );
    expect(unknown.map((res) => res.status)).toEqual([403, 403, 403, 403, 403]);
  });

  it("applies the key's usage plan: throttle, then the daily quota", async () => {
    // A fresh key snapshot first (one request with the open key), so that the burst below is
    // not slowed by re-reading every usage plan from moto in the middle of it.
    expect((await call('/images')).status).toBe(200);
    const statuses: Array<[number, string | undefined]> = [];
    for (let i = 0; i < 3; i++) {
      const res = await call('/images', {}, limitedKey);
      statuses.push([
        res.status,
        res.status === 200 ? undefined : ((await res.json()) as { error: { code: string } }).error.code,
      ]);
    }
    // Burst of 2 at 0.5 request/s: the third at once is throttled.
    expect(statuses).toEqual([
      [200, undefined],
      [200, undefined],
      [429, 'RATE_LIMITED'],
    ]);
    await new Promise((r) => setTimeout(r, 2100));
    expect((await call('/images', {}, limitedKey)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2100));
    const overQuota = await call('/images', {}, limitedKey);
    expect([overQuota.status, ((await overQuota.json()) as { error: { code: string } }).error.code]).toEqual([
      429,
      'QUOTA_EXCEEDED',
    ]);
  });

  it('hands a keyed path’s CORS preflight to its function without a key; unkeyed paths have none', async () => {
    events.length = 0;
    expect((await call('/images/abc', { method: 'OPTIONS' }, null)).status).toBe(200);
    expect(events.map((e) => [e.fn, e.event.httpMethod])).toEqual([['get', 'OPTIONS']]);
    expect((await call('/health', { method: 'OPTIONS' }, null)).status).toBe(404);
  });
});
