import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runUploadFlows } from './helpers/flows.ts';
import { scaledPhoto } from './helpers/images.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

describe('Load: 500 concurrent upload flows', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ WORKERS: '2' });
  });
  afterAll(() => server.stop());

  // ~50 s alone; the margins are for CI, which runs another test file beside this one.
  it('completes every image with zero 5xx and nothing lost', { timeout: 300_000 }, async () => {
    const report = await runUploadFlows(server.api, 500, await scaledPhoto(640, 480), 240_000);
    const serverErrors = Object.entries(report.statuses).filter(([status]) => Number(status) >= 500);
    expect(serverErrors).toEqual([]);
    expect({ completed: report.completed, failed: report.failed, lost: report.lost }).toEqual({
      completed: 500,
      failed: 0,
      lost: 0,
    });
    const images = [];
    let cursor = '';
    do {
      const page = await server.api.get(`/images?limit=100${cursor ? `&lastEvaluatedKey=${cursor}` : ''}`);
      images.push(...page.body.images);
      cursor = page.body.lastEvaluatedKey ?? '';
    } while (cursor);
    expect(images).toHaveLength(500);
  });
});
