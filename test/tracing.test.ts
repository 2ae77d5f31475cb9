import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from './helpers/images.ts';
import { type OtlpReceiver, startOtlpReceiver } from './helpers/otlp-receiver.ts';
import { ApiClient, putBytes } from './helpers/server.ts';
import { ADMIN_KEY, type SpawnedServer, startSpawnedServer } from './helpers/spawned-server.ts';

// OTLP's span kinds (SpanKind + 1 in the API's numbering).
const SERVER = 2;
const CONSUMER = 5;
/** Logs every @opentelemetry module the server resolves to OTEL_IMPORT_LOG. */
const LOG_IMPORTS = ['--import', './test/helpers/log-otel-imports.mjs'];

/** A caller's W3C trace context, with ids of its own. */
function callerTrace() {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

/** The two-step upload, each step continuing `traceparent` where given; returns the image id. */
async function upload(api: ApiClient, traceparent?: string): Promise<string> {
  const headers = traceparent ? { traceparent } : undefined;
  const created = await api.request(
    'POST',
    '/images/upload',
    { fileName: 'coffee.jpg', fileType: 'image/jpeg' },
    headers,
  );
  expect(created.status).toBe(200);
  const put = await fetch(created.body.uploadUrl, {
    method: 'PUT',
    body: fixture('coffee.jpg'),
    headers: { 'content-type': 'image/jpeg', ...headers },
  });
  expect(put.status).toBe(200);
  return created.body.imageId;
}

describe('Tracing (OpenTelemetry)', () => {
  describe('with OTEL_EXPORTER_OTLP_ENDPOINT set', () => {
    const importLog = join(mkdtempSync(join(tmpdir(), 'imgapi-otel-')), 'imports.log');
    let receiver: OtlpReceiver;
    let server: SpawnedServer;
    let api: ApiClient;

    beforeAll(async () => {
      receiver = await startOtlpReceiver();
      server = await startSpawnedServer(
        {
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          // The SDK's own variable: send every 50 ms rather than every 5 s.
          OTEL_BSP_SCHEDULE_DELAY: '50',
          OTEL_IMPORT_LOG: importLog,
        },
        { nodeArgs: LOG_IMPORTS },
      );
      api = new ApiClient(server.url, ADMIN_KEY);
    }, 60_000);

    afterAll(async () => {
      await server?.stop();
      await receiver?.close();
      rmSync(join(importLog, '..'), { recursive: true, force: true });
    });

    it('loads the SDK (what the check without the variable relies on)', () => {
      expect(readFileSync(importLog, 'utf8')).toContain('/@opentelemetry/sdk-trace-node/');
    });

    it('sends a server span per request, named by its route, with the semantic-convention attributes', async () => {
      const imageId = await upload(api);
      const span = await receiver.waitFor(
        (s) => s.name === 'POST /images/upload' && s.attributes['image.id'] === imageId,
      );
      expect(span).toMatchObject({
        kind: SERVER,
        service: 'serverless-image-api',
        attributes: {
          'http.request.method': 'POST',
          'http.route': '/images/upload',
          'http.response.status_code': 200,
          'url.path': '/images/upload',
          'request.id': expect.any(String),
        },
      });
      expect(span.parentSpanId).toBeUndefined();

      await api.waitFor(imageId, ['completed']);
      const read = await api.get(`/images/${imageId}`);
      const get = await receiver.waitFor(
        (s) =>
          s.name === 'GET /images/{imageId}' &&
          s.attributes['request.id'] === read.headers.get('x-request-id'),
      );
      expect(get.attributes).toMatchObject({ 'http.route': '/images/{imageId}', 'image.id': imageId });
    });

    it("continues a caller's traceparent", async () => {
      const caller = callerTrace();
      const res = await api.request('GET', '/images?limit=1', undefined, { traceparent: caller.traceparent });
      expect(res.status).toBe(200);
      const span = await receiver.waitFor((s) => s.traceId === caller.traceId);
      expect(span).toMatchObject({ name: 'GET /images', parentSpanId: caller.spanId });
    });

    it("traces each job as `process image` in the upload's trace, with a child span per step", async () => {
      const caller = callerTrace();
      const imageId = await upload(api, caller.traceparent);
      await api.waitFor(imageId, ['completed']);

      const job = await receiver.waitFor(
        (s) => s.name === 'process image' && s.attributes['image.id'] === imageId,
      );
      const put = await receiver.waitFor(
        (s) => s.traceId === caller.traceId && s.name.startsWith('PUT ') && s.kind === SERVER,
      );
      expect(job).toMatchObject({
        kind: CONSUMER,
        traceId: caller.traceId,
        parentSpanId: put.spanId,
        attributes: { 'image.id': imageId, 'job.attempt': 1, 'job.outcome': 'completed' },
      });
      expect(job.status.code ?? 0).toBe(0);

      await receiver.waitFor((s) => s.parentSpanId === job.spanId && s.name === 'metadata');
      const steps = receiver.spans.filter((s) => s.parentSpanId === job.spanId);
      expect(steps.map((s) => s.name)).toEqual(['probe', 'thumbnail', 'webp', 'metadata']);
      for (const step of steps) {
        expect(step.traceId).toBe(caller.traceId);
        expect(step.startMs).toBeGreaterThanOrEqual(job.startMs);
        expect(step.endMs).toBeLessThanOrEqual(job.endMs);
      }
    });

    it('records a failed job as an error on its span and on the step that failed', async () => {
      // Valid JPEG magic, then nothing a decoder can read: fails at once as UNDECODABLE.
      const broken = Buffer.concat([fixture('coffee.jpg').subarray(0, 200), Buffer.alloc(200)]);
      const created = await api.createUpload();
      expect((await putBytes(created.body.uploadUrl, broken, 'image/jpeg')).status).toBe(200);
      const imageId = created.body.imageId as string;
      await api.waitFor(imageId, ['failed']);

      const job = await receiver.waitFor(
        (s) => s.name === 'process image' && s.attributes['image.id'] === imageId,
      );
      expect(job.attributes['job.outcome']).toBe('failed');
      expect(job.status).toMatchObject({ code: 2, message: expect.stringContaining('UNDECODABLE') });
      const failedStep = await receiver.waitFor((s) => s.parentSpanId === job.spanId && s.status.code === 2);
      expect(failedStep.name).toBe('thumbnail');
    });
  });

  it('sends the last spans when draining on SIGTERM', async () => {
    const receiver = await startOtlpReceiver();
    // Nothing would be sent for a minute: only the flush on shutdown can deliver this span.
    const server = await startSpawnedServer({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '60000',
    });
    try {
      const caller = callerTrace();
      await new ApiClient(server.url, ADMIN_KEY).request('GET', '/health', undefined, {
        traceparent: caller.traceparent,
      });
      expect(receiver.spans).toEqual([]);
      await server.stop();
      expect(receiver.spans.find((s) => s.traceId === caller.traceId)?.name).toBe('GET /health');
    } finally {
      await receiver.close();
    }
  }, 60_000);

  it('fails no request or job when the collector hangs, and drains within the flush bound', async () => {
    // Accepts connections and never answers: the worst a collector can do.
    const hung: Server = createServer(() => {});
    await new Promise<void>((done) => hung.listen(0, '127.0.0.1', done));
    const server = await startSpawnedServer({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(hung.address() as AddressInfo).port}`,
      OTEL_BSP_SCHEDULE_DELAY: '50',
    });
    try {
      const api = new ApiClient(server.url, ADMIN_KEY);
      const imageId = await upload(api);
      expect((await api.waitFor(imageId)).status).toBe('completed');
      const started = Date.now();
      await server.stop();
      // The exporter's own timeout is 10 s; the drain gives up on the collector after 3.
      expect(Date.now() - started).toBeLessThan(8000);
    } finally {
      hung.closeAllConnections();
      await new Promise((done) => hung.close(done));
    }
  }, 60_000);

  it('logs a collector that refuses connections once, not per export', async () => {
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const { port } = closed.address() as AddressInfo;
    await new Promise((done) => closed.close(done));
    const server = await startSpawnedServer({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_BSP_SCHEDULE_DELAY: '50',
      // Each export gives up (retries included) after 300 ms, so that failures pile up here.
      OTEL_EXPORTER_OTLP_TIMEOUT: '300',
      LOG_LEVEL: 'debug',
    });
    const api = new ApiClient(server.url, ADMIN_KEY);
    for (let i = 0; i < 3; i++) {
      const imageId = await upload(api);
      expect((await api.waitFor(imageId)).status).toBe('completed');
    }
    await server.stop();
    const failures = server.process
      .output()
      .split('\n')
      .filter((line) => line.includes('"msg":"tracing: connect ECONNREFUSED'));
    expect(failures.filter((line) => line.includes('"level":40'))).toHaveLength(1);
    // The rest went to debug, so this test would see a warning per failed export.
    expect(failures.length).toBeGreaterThan(1);
  }, 60_000);

  it('loads no @opentelemetry module when OTEL_EXPORTER_OTLP_ENDPOINT is unset', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imgapi-otel-'));
    const importLog = join(dir, 'imports.log');
    const server = await startSpawnedServer({ OTEL_IMPORT_LOG: importLog }, { nodeArgs: LOG_IMPORTS });
    try {
      const api = new ApiClient(server.url, ADMIN_KEY);
      const imageId = await upload(api);
      await api.waitFor(imageId, ['completed']);
    } finally {
      await server.stop();
    }
    expect(readFileSync(importLog, { encoding: 'utf8', flag: 'a+' })).toBe('');
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
