import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HmacSignedUrls } from '../src/adapters/local/hmac-signed-urls.ts';
import { decodeCursor, encodeCursor } from '../src/core/cursor.ts';
import { ValidationError } from '../src/core/errors.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);

/** Any 4xx must have our error shape; 5xx must never happen. */
function expectClientError(res: { status: number; body: any }) {
  expect(res.status).toBeLessThan(500);
  if (res.status >= 400) {
    expect(res.body).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
  }
}

describe('Property: the HTTP API never answers 5xx to random input', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it('POST /images/upload with arbitrary JSON', async () => {
    const body = fc.oneof(
      fc.jsonValue(),
      fc.record(
        {
          fileName: fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.jsonValue()),
          fileType: fc.oneof(fc.constantFrom('image/jpeg', 'image/png', 'text/html', ''), fc.jsonValue()),
        },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(body, async (value) => {
        const res = await server.api.request('POST', '/images/upload', JSON.stringify(value));
        expectClientError(res);
        if (res.status === 200) expect(res.body.imageId).toEqual(expect.any(String));
      }),
      { numRuns: RUNS },
    );
  });

  it('POST /images/upload with arbitrary bytes and content types', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 2000 }),
        fc.constantFrom('application/json', 'text/plain', '', 'multipart/form-data'),
        async (bytes, type) => {
          const res = await fetch(`${server.url}/images/upload`, {
            method: 'POST',
            body: bytes,
            headers: { 'x-api-key': server.api.apiKey as string, 'content-type': type },
          });
          const text = await res.text();
          expectClientError({ status: res.status, body: res.status >= 400 ? JSON.parse(text) : null });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('POST /keys with arbitrary JSON', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        expectClientError(await server.api.request('POST', '/keys', JSON.stringify(value)));
      }),
      { numRuns: RUNS },
    );
  });

  it('GET /images with arbitrary query strings', async () => {
    const param = fc.constantFrom('limit', 'lastEvaluatedKey', 'status', 'x');
    const query = fc.array(
      fc.tuple(param, fc.oneof(fc.string(), fc.integer().map(String), fc.base64String())),
      { maxLength: 4 },
    );
    await fc.assert(
      fc.asyncProperty(query, async (pairs) => {
        const qs = new URLSearchParams(pairs).toString();
        expectClientError(await server.api.get(`/images?${qs}`));
      }),
      { numRuns: RUNS },
    );
  });

  it('PUT and GET on signed-URL paths with arbitrary ids and queries', async () => {
    const segment = fc.oneof(fc.uuid(), fc.string({ maxLength: 40 }).map(encodeURIComponent));
    await fc.assert(
      fc.asyncProperty(
        segment,
        fc.string({ maxLength: 60 }),
        fc.string({ maxLength: 80 }),
        async (id, expires, signature) => {
          const qs = new URLSearchParams({ expires, signature }).toString();
          const put = await fetch(`${server.url}/uploads/${id}?${qs}`, {
            method: 'PUT',
            body: 'x',
            headers: { 'content-type': 'image/jpeg' },
          });
          expect(put.status).toBeLessThan(500);
          await put.arrayBuffer();
          const get = await fetch(`${server.url}/files/${id}/original?${qs}`);
          expect(get.status).toBeLessThan(500);
          await get.arrayBuffer();
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('Property: the list cursor decoder', () => {
  it('either decodes or throws INVALID_CURSOR, for any string', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.base64String(),
          fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? '').toString('base64url')),
        ),
        (text) => {
          try {
            const cursor = decodeCursor(text);
            expect(Number.isSafeInteger(cursor.createdAt)).toBe(true);
          } catch (error) {
            expect(error).toBeInstanceOf(ValidationError);
            expect((error as ValidationError).code).toBe('INVALID_CURSOR');
          }
        },
      ),
      { numRuns: RUNS * 10 },
    );
  });

  it('round-trips every cursor it makes', () => {
    fc.assert(
      fc.property(fc.nat(), fc.uuid(), (createdAt, imageId) => {
        expect(decodeCursor(encodeCursor({ createdAt, imageId }))).toEqual({ createdAt, imageId });
      }),
      { numRuns: RUNS * 10 },
    );
  });
});

describe('Property: the signed-URL verifier', () => {
  const signer = new HmacSignedUrls(Buffer.from('s'.repeat(32)), () => 'http://h');

  it('never throws and never accepts a forged signature', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (path, expires, signature) => {
        expect(signer.verify('PUT', `/uploads/${path}`, { expires, signature }, 0)).not.toBe('valid');
      }),
      { numRuns: RUNS * 10 },
    );
  });

  it('rejects any single-character change to a valid signature', () => {
    const url = new URL(signer.uploadUrl('img', 4_000_000_000));
    const signature = url.searchParams.get('signature') as string;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    fc.assert(
      fc.property(fc.nat(signature.length - 2), fc.constantFrom(...alphabet), (index, char) => {
        fc.pre(signature[index] !== char);
        const forged = signature.slice(0, index) + char + signature.slice(index + 1);
        expect(signer.verify('PUT', '/uploads/img', { expires: '4000000000', signature: forged }, 0)).toBe(
          'invalid',
        );
      }),
      { numRuns: RUNS * 10 },
    );
  });
});
