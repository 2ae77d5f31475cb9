import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from './helpers/images.ts';
import { ADMIN_KEY, type ApiClient, startTestServer, type TestServer } from './helpers/server.ts';

describe('API keys and tenancy', () => {
  let server: TestServer;
  let alice: ApiClient;
  let bob: ApiClient;
  let aliceKeyId: string;
  beforeAll(async () => {
    server = await startTestServer();
    const a = await server.api.request('POST', '/keys', { name: 'alice' });
    const b = await server.api.request('POST', '/keys', { name: 'bob' });
    alice = server.api.withKey(a.body.apiKey);
    bob = server.api.withKey(b.body.apiKey);
    aliceKeyId = a.body.keyId;
  });
  afterAll(() => server.stop());

  it('creates a key once, with its secret shown only in the response', async () => {
    const res = await server.api.request('POST', '/keys', { name: 'ci' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      keyId: expect.stringMatching(/^key_/),
      apiKey: expect.stringMatching(/^sk_/),
      name: 'ci',
      createdAt: expect.any(String),
    });
    const listed = await server.api.get('/keys');
    expect(listed.status).toBe(200);
    const names = listed.body.keys.map((k: { name: string }) => k.name);
    expect(names).toEqual(expect.arrayContaining(['admin', 'alice', 'bob', 'ci']));
    expect(JSON.stringify(listed.body)).not.toContain(res.body.apiKey);
  });

  it('never stores keys or the signing secret in plaintext', async () => {
    const created = await server.api.request('POST', '/keys', { name: 'grep-me' });
    const db = readFileSync(join(server.dataDir, 'db.sqlite'));
    const wal = readdirSync(server.dataDir).includes('db.sqlite-wal')
      ? readFileSync(join(server.dataDir, 'db.sqlite-wal'))
      : Buffer.alloc(0);
    for (const secret of [created.body.apiKey, ADMIN_KEY]) {
      expect(db.includes(secret)).toBe(false);
      expect(wal.includes(secret)).toBe(false);
    }
  });

  it('refuses key management to non-admin keys with 403', async () => {
    expect((await alice.get('/keys')).status).toBe(403);
    expect((await alice.request('POST', '/keys', { name: 'x' })).body.error.code).toBe('ADMIN_REQUIRED');
    expect((await alice.request('DELETE', `/keys/${aliceKeyId}`)).status).toBe(403);
  });

  it('validates key creation input', async () => {
    const res = await server.api.request('POST', '/keys', { name: 'x', rateLimit: { rps: 0, burst: 1 } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('rateLimit.rps');
  });

  it("returns 404 for another tenant's image on get, status, delete and list", async () => {
    const imageId = await alice.upload(fixture('chelsea.jpg'));
    await alice.waitFor(imageId);
    expect((await bob.get(`/images/${imageId}`)).status).toBe(404);
    expect((await bob.get(`/images/${imageId}/status`)).status).toBe(404);
    expect((await bob.request('DELETE', `/images/${imageId}`)).status).toBe(404);
    expect((await bob.get('/images')).body.count).toBe(0);
    expect((await server.api.get(`/images/${imageId}`)).status).toBe(404);
    // Still there for its owner.
    expect((await alice.get(`/images/${imageId}`)).body.status).toBe('completed');
    expect((await alice.get('/images')).body.images.map((i: { imageId: string }) => i.imageId)).toEqual([
      imageId,
    ]);
  });

  it('revokes a key: it answers 403 from then on', async () => {
    const created = await server.api.request('POST', '/keys', { name: 'temp' });
    const temp = server.api.withKey(created.body.apiKey);
    expect((await temp.get('/images')).status).toBe(200);
    const revoked = await server.api.request('DELETE', `/keys/${created.body.keyId}`);
    expect(revoked.status).toBe(200);
    expect((await temp.get('/images')).status).toBe(403);
    expect((await server.api.request('DELETE', `/keys/${created.body.keyId}`)).status).toBe(404);
    expect((await server.api.request('DELETE', '/keys/admin')).status).toBe(409);
  });
});
