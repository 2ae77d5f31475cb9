import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from './helpers/images.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

describe('Listing images', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  /**
   * Creates n images one after another, each in a later millisecond than the one before (the
   * server shares this clock): two in the same millisecond would be listed by id, not by
   * which came first, and the order checked below would be a coin toss.
   */
  async function createPending(n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      ids.push((await server.api.createUpload(`img-${i}.jpg`)).body.imageId);
      const created = Date.now();
      while (Date.now() === created) await new Promise((r) => setImmediate(r));
    }
    return ids;
  }

  async function pageThrough(limit: number, onPage?: (page: number) => Promise<void>, extra = '') {
    const seen: string[] = [];
    let cursor: string | undefined;
    let page = 0;
    do {
      const query = `?limit=${limit}${cursor ? `&lastEvaluatedKey=${cursor}` : ''}${extra}`;
      const res = await server.api.get(`/images${query}`);
      expect(res.status).toBe(200);
      expect(res.body.count).toBe(res.body.images.length);
      expect(res.body.images.length).toBeLessThanOrEqual(limit);
      seen.push(...res.body.images.map((i: { imageId: string }) => i.imageId));
      cursor = res.body.lastEvaluatedKey;
      await onPage?.(page++);
    } while (cursor);
    return seen;
  }

  it('pages newest first with an opaque cursor, stable while new images arrive', async () => {
    const existing = await createPending(25);
    const arrivedDuring: string[] = [];
    // Writers race the reader: inserts land before, between and during page requests.
    let paging = true;
    const writers = [1, 2].map(async () => {
      while (paging) arrivedDuring.push(...(await createPending(1)));
    });
    const seen = await pageThrough(3, async () => {
      await new Promise((r) => setTimeout(r, 5));
    });
    paging = false;
    await Promise.all(writers);
    expect(arrivedDuring.length).toBeGreaterThan(0);
    // Everything that existed before listing began appears exactly once, newest first, with
    // nothing skipped; images created while paging can only appear on the first page (they
    // are newer than any cursor), so they never shift or duplicate later pages.
    expect(seen.slice(-existing.length)).toEqual([...existing].reverse());
    expect(new Set(seen).size).toBe(seen.length);
    const extra = seen.slice(0, -existing.length);
    expect(extra.every((id) => arrivedDuring.includes(id))).toBe(true);
    expect(extra.length).toBeLessThanOrEqual(3);
  });

  it('defaults to 10 per page and caps nothing silently', async () => {
    const res = await server.api.get('/images');
    expect(res.body.count).toBe(10);
    expect(res.body.lastEvaluatedKey).toEqual(expect.any(String));
  });

  it('omits lastEvaluatedKey on the last page', async () => {
    const res = await server.api.get('/images?limit=100');
    expect(res.body.lastEvaluatedKey).toBeUndefined();
  });

  it('filters by status, with the same pagination', async () => {
    const done = await server.api.upload(fixture('coffee.jpg'));
    await server.api.waitFor(done);
    const completed = await pageThrough(1, undefined, '&status=completed');
    expect(completed).toEqual([done]);
    const pending = await pageThrough(7, undefined, '&status=pending');
    expect(pending).not.toContain(done);
    expect(pending.length).toBeGreaterThanOrEqual(25);
  });
});
