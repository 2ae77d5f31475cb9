import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessImageEvents } from '../src/adapters/local/in-process-image-events.ts';
import { scaledPhoto } from './helpers/images.ts';
import { putBytes, startTestServer, type TestServer } from './helpers/server.ts';

describe('GET /images/{id}/status?wait= (long poll)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ MAX_PIXELS: String(1_000_000) });
  });
  afterAll(() => server.stop());

  it('answers once the image has finished, in one request', async () => {
    const created = await server.api.createUpload();
    const { imageId, uploadUrl } = created.body;
    // Asked before the bytes even arrive: without the wait this would answer "pending".
    const waiting = server.api.get(`/images/${imageId}/status?wait=20`);
    expect((await putBytes(uploadUrl, await scaledPhoto(640, 480), 'image/jpeg')).status).toBe(200);
    const res = await waiting;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ imageId, status: 'completed', progress: 100 });
    expect(res.body.steps.webp).toBe('completed');
  });

  it('answers a finished image at once, failed ones included', async () => {
    const id = await server.api.upload(await scaledPhoto(1200, 1000));
    const failed = await server.api.waitFor(id);
    expect(failed.status).toBe('failed');
    const again = await server.api.get(`/images/${id}/status?wait=20`);
    expect(again.body).toEqual(failed);
  });

  it('answers with the current status when the wait runs out', async () => {
    const { imageId } = (await server.api.createUpload()).body;
    const res = await server.api.get(`/images/${imageId}/status?wait=1`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ imageId, status: 'pending', progress: 0 });
  });

  it('answers 404 when the image is deleted during the wait', async () => {
    const { imageId } = (await server.api.createUpload()).body;
    const waiting = server.api.get(`/images/${imageId}/status?wait=20`);
    await new Promise((r) => setTimeout(r, 100));
    expect((await server.api.request('DELETE', `/images/${imageId}`)).status).toBe(200);
    const res = await waiting;
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });

  it('does not let another tenant wait on an image', async () => {
    const { imageId } = (await server.api.createUpload()).body;
    const key = await server.api.request('POST', '/keys', { name: 'mallory' });
    const res = await server.api.withKey(key.body.apiKey).get(`/images/${imageId}/status?wait=5`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });

  it.each(['21', '-1', '1.5', 'soon'])('rejects wait=%s naming the field', async (wait) => {
    const { imageId } = (await server.api.createUpload()).body;
    const res = await server.api.get(`/images/${imageId}/status?wait=${wait}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(res.body.error.message).toMatch(/^wait: /);
  });
});

describe('Long polls while the server drains', () => {
  it('answer with the current status instead of holding the shutdown up', async () => {
    const server = await startTestServer();
    const { imageId } = (await server.api.createUpload()).body;
    const started = performance.now();
    const waiting = server.api.get(`/images/${imageId}/status?wait=20`);
    await new Promise((r) => setTimeout(r, 100));
    const stopped = server.stop();
    const res = await waiting;
    // Not a speed target: held to its 20-second deadline it would take 20 s.
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('pending');
    await stopped;
  });
});

describe('InProcessImageEvents', () => {
  it('wakes the waiters of the image that changed, and only those', async () => {
    const events = new InProcessImageEvents();
    const a = events.next('a', 5_000);
    const a2 = events.next('a', 5_000);
    const b = events.next('b', 20);
    events.changed('a');
    expect(await Promise.all([a, a2, b])).toEqual(['changed', 'changed', 'timeout']);
  });

  it('wakes everyone on close, and waits no more after it', async () => {
    const events = new InProcessImageEvents();
    const a = events.next('a', 5_000);
    events.close();
    expect(await a).toBe('closed');
    expect(await events.next('b', 5_000)).toBe('closed');
  });
});
