import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scaledPhoto } from './helpers/images.ts';
import { spawnServer } from './helpers/process.ts';
import { putBytes, startTestServer } from './helpers/server.ts';

const EXPECTED_FILES = ['full.webp', 'original', 'thumb-large.jpg', 'thumb-medium.jpg', 'thumb-small.jpg'];

/**
 * These start whole server processes and wait for a batch of 6 MP images: ~10 s alone, but
 * CI runs two test files at once, and beside a CPU-heavy one they have taken over 30 s.
 */
const SPAWNED_TIMEOUT_MS = 120_000;

describe('Faults', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'imgapi-faults-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it(
    'loses nothing when the server is killed with SIGKILL mid-batch',
    async () => {
      const env = { DATA_DIR: dataDir, JOB_VISIBILITY_TIMEOUT: '2', WORKERS: '2' };
      const first = await spawnServer(env);
      const photo = await scaledPhoto(3000, 2000, 90);
      const ids = await Promise.all(Array.from({ length: 8 }, () => first.api.upload(photo)));
      await first.api.waitFor(ids[0] as string, ['processing', 'completed']);
      first.child.kill('SIGKILL');
      await first.exited;

      const second = await spawnServer(env);
      try {
        for (const id of ids)
          expect((await second.api.waitFor(id, ['completed', 'failed'], 60_000)).status).toBe('completed');
        const tenantDir = join(dataDir, 'files', 'admin');
        expect(readdirSync(tenantDir).sort()).toEqual([...ids].sort());
        for (const id of ids) expect(readdirSync(join(tenantDir, id)).sort()).toEqual(EXPECTED_FILES);
        expect(readdirSync(join(dataDir, 'files', '.tmp'))).toEqual([]);
      } finally {
        second.child.kill('SIGKILL');
        await second.exited;
      }
    },
    SPAWNED_TIMEOUT_MS,
  );

  it(
    'drains on SIGTERM: exits 0, and every image completes after restart',
    async () => {
      const env = { DATA_DIR: dataDir, WORKERS: '1', SHUTDOWN_GRACE_SECONDS: '20' };
      const first = await spawnServer(env);
      const photo = await scaledPhoto(2400, 1600, 90);
      const ids = await Promise.all(Array.from({ length: 4 }, () => first.api.upload(photo)));
      await first.api.waitFor(ids[0] as string, ['processing', 'completed']);
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      expect(first.output()).toContain('stopped cleanly');

      const second = await spawnServer(env);
      try {
        for (const id of ids)
          expect((await second.api.waitFor(id, ['completed', 'failed'], 60_000)).status).toBe('completed');
      } finally {
        second.child.kill('SIGTERM');
        await second.exited;
      }
    },
    SPAWNED_TIMEOUT_MS,
  );

  it('retries a storage failure, dead-letters it, and redrive completes the image once fixed', async () => {
    const server = await startTestServer({ RETRY_BASE_DELAY_MS: '100' });
    try {
      const created = await server.api.createUpload();
      const { imageId, uploadUrl } = created.body;
      // A directory where a thumbnail file must go makes every write of it fail.
      const blocker = join(server.dataDir, 'files', 'admin', imageId, 'thumb-small.jpg');
      mkdirSync(join(blocker, 'blocked'), { recursive: true });
      expect((await putBytes(uploadUrl, await scaledPhoto(200, 150), 'image/jpeg')).status).toBe(200);

      const failed = await server.api.waitFor(imageId, ['failed', 'completed']);
      expect(failed).toMatchObject({ status: 'failed', attempts: 3, error: { code: 'PROCESSING_ERROR' } });
      expect(failed.progress).toBe(100);
      expect(failed.steps).toMatchObject({ thumbnail: 'failed', webp: 'skipped', metadata: 'skipped' });
      // The record says failed a moment before the job reaches the dead-letter queue.
      await expect
        .poll(async () => (await server.api.get('/jobs/dead-letters')).body.deadLetters)
        .toEqual([
          expect.objectContaining({
            name: 'process-image',
            imageId,
            receiveCount: 3,
            lastError: expect.stringContaining('after 3 attempts'),
          }),
        ]);
      expect((await server.api.withKey('nope').get('/jobs/dead-letters')).status).toBe(403);

      rmSync(blocker, { recursive: true });
      const redriven = await server.api.request('POST', '/jobs/dead-letters/redrive');
      expect(redriven.body).toEqual({ redriven: 1 });
      const completed = await server.api.waitFor(imageId, ['completed']);
      expect(completed.status).toBe('completed');
      expect(completed.steps).toMatchObject({
        thumbnail: 'completed',
        webp: 'completed',
        metadata: 'completed',
      });
      expect(readdirSync(join(server.dataDir, 'files', 'admin', imageId)).sort()).toEqual(EXPECTED_FILES);
      expect((await server.api.get('/jobs/dead-letters')).body.deadLetters).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  it('marks the step a storage failure stopped at, keeps the finished ones, and redrive clears it', async () => {
    const server = await startTestServer({ RETRY_BASE_DELAY_MS: '100' });
    try {
      const { imageId, uploadUrl } = (await server.api.createUpload()).body;
      // Thumbnails are written; the WebP cannot be.
      const blocker = join(server.dataDir, 'files', 'admin', imageId, 'full.webp');
      mkdirSync(join(blocker, 'blocked'), { recursive: true });
      expect((await putBytes(uploadUrl, await scaledPhoto(200, 150), 'image/jpeg')).status).toBe(200);

      const failed = await server.api.waitFor(imageId, ['failed', 'completed']);
      expect(failed).toMatchObject({
        status: 'failed',
        progress: 100,
        attempts: 3,
        error: { code: 'PROCESSING_ERROR' },
        steps: {
          thumbnail: 'completed',
          webp: 'failed',
          metadata: 'skipped',
          analysis: 'skipped',
          objects: 'skipped',
          faces: 'skipped',
          moderation: 'skipped',
          text: 'skipped',
        },
      });

      rmSync(blocker, { recursive: true });
      await expect
        .poll(async () => (await server.api.get('/jobs/dead-letters')).body.deadLetters)
        .toHaveLength(1);
      expect((await server.api.request('POST', '/jobs/dead-letters/redrive')).body).toEqual({ redriven: 1 });
      const completed = await server.api.waitFor(imageId, ['completed']);
      expect(completed).toMatchObject({ status: 'completed', progress: 100, attempts: 1 });
      expect(Object.values(completed.steps)).not.toContain('failed');
      expect(completed.steps).toMatchObject({
        thumbnail: 'completed',
        webp: 'completed',
        metadata: 'completed',
      });
    } finally {
      await server.stop();
    }
  });

  it(
    'leaves no files behind when an image is deleted while it is processing',
    async () => {
      const server = await startTestServer();
      try {
        const photo = await scaledPhoto(3000, 2000, 90);
        const ids = await Promise.all(Array.from({ length: 4 }, () => server.api.upload(photo)));
        await server.api.waitFor(ids[0] as string, ['processing', 'completed']);
        for (const id of ids) expect((await server.api.request('DELETE', `/images/${id}`)).status).toBe(200);
        await new Promise((r) => setTimeout(r, 200));
        while (server.runner.activeJobs > 0) await new Promise((r) => setTimeout(r, 50));
        expect(readdirSync(join(server.dataDir, 'files', 'admin'))).toEqual([]);
      } finally {
        await server.stop();
      }
    },
    SPAWNED_TIMEOUT_MS,
  );
});
