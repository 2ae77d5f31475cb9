import { renameSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenApiChecker } from './helpers/openapi-checker.ts';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/server.ts';

describe('GET /ready', () => {
  let server: TestServer;
  let checker: OpenApiChecker;

  /** GET /ready without a key, checked against the OpenAPI document. */
  const ready = async (target: TestServer = server) => {
    const res = await target.api.withKey(null).get('/ready');
    await checker.check('GET', '/ready', res);
    return res;
  };

  beforeAll(async () => {
    server = await startTestServer();
    checker = new OpenApiChecker((await server.api.get('/openapi.json')).body);
  });
  afterAll(() => server.stop());

  it('is 200 ready, without a key, when the database, DATA_DIR and the disk are all fine', async () => {
    const res = await ready();
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ready',
      checks: {
        database: { status: 'ok' },
        dataDir: { status: 'ok' },
        disk: { status: 'ok', freeMb: expect.any(Number), minFreeMb: 100 },
      },
    });
  });

  it('is 503 naming dataDir when DATA_DIR takes no writes, and ready again once it does', async () => {
    const moved = `${server.dataDir}-moved`;
    renameSync(server.dataDir, moved);
    try {
      const res = await ready();
      expect(res.status).toBe(503);
      expect(res.body.status).toBe('not-ready');
      expect(res.body.failing).toEqual(['dataDir']);
      // The error's code only: /ready answers anyone, and a message would name server paths.
      expect(res.body.checks.dataDir).toEqual({ status: 'failing', error: 'ENOENT' });
      // Liveness is another question: the process is fine.
      expect((await server.api.get('/health')).status).toBe(200);
    } finally {
      renameSync(moved, server.dataDir);
    }
    expect((await ready()).status).toBe(200);
  });

  it('is 503 naming shutdown as soon as the server starts draining', async () => {
    const other = await startTestServer();
    try {
      expect((await ready(other)).status).toBe(200);
      const closing = other.close();
      // Over app.fetch: the listening socket is closing, as it does on SIGTERM; answers on
      // connections still open are the app's.
      const res = await other.app.request('/ready');
      const body = (await res.json()) as any;
      expect(res.status).toBe(503);
      expect(res.headers.get('x-request-id')).toBeTruthy();
      expect(body.failing).toContain('shutdown');
      expect(body.checks.shutdown).toEqual({ status: 'draining' });
      await closing;
    } finally {
      await other.stop();
    }
  });
});

describe('DRAIN_DELAY_SECONDS', () => {
  it('keeps serving over the network, /ready 503, for the delay; then stops listening', async () => {
    const other = await startTestServer({ DRAIN_DELAY_SECONDS: '2' });
    try {
      const started = Date.now();
      const closing = other.close();
      let closedAt = 0;
      void closing.then(() => {
        closedAt = Date.now();
      });
      const res = await other.api.withKey(null).get('/ready');
      expect(res.status).toBe(503);
      expect(res.body.checks.shutdown).toEqual({ status: 'draining' });
      // A new connection, an API call: still answered while a load balancer catches up.
      const list = await fetch(`${other.url}/images`, {
        headers: { 'x-api-key': ADMIN_KEY, connection: 'close' },
      });
      expect(list.status).toBe(200);
      await closing;
      expect(closedAt - started).toBeGreaterThanOrEqual(1900);
      await expect(fetch(`${other.url}/health`)).rejects.toThrow();
    } finally {
      await other.stop();
    }
  });
});

describe('GET /ready with less free disk than MIN_FREE_DISK_MB', () => {
  it('is 503 naming disk, with free and minimum MB', async () => {
    const server = await startTestServer({ MIN_FREE_DISK_MB: '1048576' });
    try {
      const res = await server.api.withKey(null).get('/ready');
      expect(res.status).toBe(503);
      expect(res.body.failing).toEqual(['disk']);
      expect(res.body.checks.disk).toEqual({ status: 'low', freeMb: expect.any(Number), minFreeMb: 1048576 });
      expect(res.body.checks.database.status).toBe('ok');
    } finally {
      await server.stop();
      rmSync(server.dataDir, { recursive: true, force: true });
    }
  });
});
