import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/adapters/local/sqlite-database.ts';
import { SqliteJobQueue } from '../src/adapters/local/sqlite-job-queue.ts';
import { fixture } from './helpers/images.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

/** The value of one sample line, e.g. `imgapi_jobs_total{outcome="completed"}`; undefined if absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  let server: TestServer;
  let imageId: string;
  let text: string;

  beforeAll(async () => {
    server = await startTestServer();
    imageId = await server.api.upload(fixture('chelsea.jpg'));
    await server.api.waitFor(imageId);
    expect((await server.api.get(`/images/${imageId}`)).status).toBe(200);
    expect((await server.api.get(`/images/${imageId}`)).status).toBe(200);
    const res = await fetch(`${server.url}/metrics`, {
      headers: { 'x-api-key': server.api.apiKey as string },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    text = await res.text();
  });
  afterAll(() => server.stop());

  it('needs the admin key by default: 401 without one, 403 for a tenant key', async () => {
    expect((await server.api.withKey(null).get('/metrics')).body.error.code).toBe('UNAUTHORIZED');
    const tenant = await server.api.request('POST', '/keys', { name: 'tenant' });
    const refused = await server.api.withKey(tenant.body.apiKey).get('/metrics');
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('ADMIN_REQUIRED');
  });

  it('counts the processed image, and every other outcome from 0', () => {
    expect(sample(text, 'imgapi_jobs_total{outcome="completed"}')).toBe(1);
    for (const outcome of ['failed', 'skipped', 'retry', 'postpone', 'dead-letter', 'crashed'])
      expect(sample(text, `imgapi_jobs_total{outcome="${outcome}"}`), outcome).toBe(0);
  });

  it("records each processing step's duration", () => {
    for (const step of ['probe', 'thumbnail', 'webp', 'metadata']) {
      expect(sample(text, `imgapi_processing_step_duration_seconds_count{step="${step}"}`), step).toBe(1);
      const seconds = sample(text, `imgapi_processing_step_duration_seconds_sum{step="${step}"}`) as number;
      expect(seconds, step).toBeGreaterThanOrEqual(0);
      expect(seconds, step).toBeLessThan(30);
    }
    // Thumbnails are real work on a real photo: more than nothing.
    expect(sample(text, 'imgapi_processing_step_duration_seconds_sum{step="thumbnail"}')).toBeGreaterThan(0);
  });

  it('times requests by route pattern and status, never by raw path', () => {
    const route = 'method="GET",route="/images/:imageId",status="200"';
    expect(sample(text, `imgapi_http_request_duration_seconds_count{${route}}`)).toBe(2);
    const seconds = sample(text, `imgapi_http_request_duration_seconds_sum{${route}}`) as number;
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThan(10);
    expect(sample(text, `imgapi_http_request_duration_seconds_bucket{le="+Inf",${route}}`)).toBe(2);
    expect(
      sample(
        text,
        'imgapi_http_request_duration_seconds_count{method="PUT",route="/uploads/:imageId",status="200"}',
      ),
    ).toBe(1);
    expect(
      sample(
        text,
        'imgapi_http_request_duration_seconds_count{method="POST",route="/images/upload",status="200"}',
      ),
    ).toBe(1);
    expect(text).not.toContain(imageId);
    const routes = new Set([...text.matchAll(/route="([^"]*)"/g)].map((m) => m[1]));
    for (const r of routes) expect(r).toMatch(/^(\/[\w:/*.-]*|unmatched)$/);
  });

  it('labels a path no route takes as unmatched', async () => {
    await server.api.get(`/no-such-route/${imageId}`);
    const after = await (
      await fetch(`${server.url}/metrics`, { headers: { 'x-api-key': server.api.apiKey as string } })
    ).text();
    expect(
      sample(
        after,
        'imgapi_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"}',
      ),
    ).toBe(1);
    expect(after).not.toContain(imageId);
  });

  it('reports the queues, empty once the image is done, read at scrape time', () => {
    expect(sample(text, 'imgapi_queue_depth{state="ready"}')).toBe(0);
    expect(sample(text, 'imgapi_queue_depth{state="running"}')).toBe(0);
    expect(sample(text, 'imgapi_queue_depth{state="waiting"}')).toBe(0);
    expect(sample(text, 'imgapi_dead_letter_depth')).toBe(0);
  });

  it("includes Node's process metrics", () => {
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });
});

describe('GET /metrics with METRICS_PUBLIC=true', () => {
  it('answers without a key', async () => {
    const server = await startTestServer({ METRICS_PUBLIC: 'true' });
    try {
      const res = await fetch(`${server.url}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('imgapi_jobs_total');
    } finally {
      await server.stop();
    }
  });
});

describe('Class: SqliteJobQueue', () => {
  describe('Method: depth', () => {
    it('counts ready, leased and dead-lettered jobs', async () => {
      let now = 1_000_000;
      const queue = new SqliteJobQueue(openDatabase(':memory:'), { now: () => now }, 3);
      for (const imageId of ['a', 'b', 'c'])
        await queue.send({ name: 'process-image', data: { tenant: 't', imageId } });
      expect(queue.depth()).toEqual({ ready: 3, invisible: 0, deadLetters: 0 });
      const [first, second] = await queue.receive({ max: 2, visibilityTimeoutSeconds: 60 });
      expect(queue.depth()).toEqual({ ready: 1, invisible: 2, deadLetters: 0 });
      await queue.deadLetter(first?.receiptHandle as string, 'gave up');
      await queue.delete(second?.receiptHandle as string);
      expect(queue.depth()).toEqual({ ready: 1, invisible: 0, deadLetters: 1 });
      // A lease that runs out makes its job ready again.
      await queue.receive({ max: 1, visibilityTimeoutSeconds: 60 });
      expect(queue.depth()).toEqual({ ready: 0, invisible: 1, deadLetters: 1 });
      now += 61_000;
      expect(queue.depth()).toEqual({ ready: 1, invisible: 0, deadLetters: 1 });
    });
  });
});
