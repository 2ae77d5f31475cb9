import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from './helpers/images.ts';
import { spawnServer } from './helpers/process.ts';

const GUARD = fileURLToPath(new URL('./helpers/deny-network.mjs', import.meta.url));
const run = promisify(execFile);

/** The promise that analysis runs offline: no model code may touch the network, in any thread. */
describe('Offline analysis', () => {
  let dir: string;
  let log: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'imgapi-offline-'));
    log = join(dir, 'network.log');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the guard itself catches fetch, HTTP and DNS, in the main thread and in worker threads', async () => {
    const controlLog = join(dir, 'control.log');
    // A worker started from a file, as the pool's are: Node runs the preload in it too.
    writeFileSync(
      join(dir, 'worker.mjs'),
      "import http from 'node:http'; try { http.get('http://example.com/model.bin'); } catch {}",
    );
    writeFileSync(
      join(dir, 'main.mjs'),
      `import { Worker } from 'node:worker_threads';
       await fetch('https://cdn.jsdelivr.net/npm/@vladmandic/human/models/blazeface.json').catch(() => {});
       const worker = new Worker(new URL('./worker.mjs', import.meta.url));
       await new Promise((resolve) => worker.on('exit', resolve));`,
    );
    await run(process.execPath, ['--import', GUARD, join(dir, 'main.mjs')], {
      env: { ...process.env, DENY_NETWORK_LOG: controlLog },
    });
    const lines = readFileSync(controlLog, 'utf8').trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/^thread 0: fetch https:\/\/cdn\.jsdelivr\.net/),
      expect.stringMatching(/^thread [1-9]\d*: (dns\.lookup example\.com|connect)/),
    ]);
  });

  it('analyses an image with every model while all network access is denied', async () => {
    const server = await spawnServer(
      { ANALYSIS: 'all', WORKERS: '1', DATA_DIR: join(dir, 'data'), DENY_NETWORK_LOG: log },
      { nodeArgs: ['--import', GUARD] },
    );
    try {
      const imageId = await server.api.upload(fixture('astronaut.jpg'));
      const status = await server.api.waitFor(imageId, ['completed', 'failed'], 120_000);
      expect(status.status).toBe('completed');
      expect(status.steps).toMatchObject({
        analysis: 'completed',
        objects: 'completed',
        faces: 'completed',
        moderation: 'completed',
        text: 'completed',
      });
      const { body } = await server.api.get(`/images/${imageId}`);
      expect(body.analysis.errors).toEqual([]);
      expect(body.analysis.faces).toBe(1);
      expect(Object.keys(body.analysis.models).sort()).toEqual(['faces', 'moderation', 'objects', 'text']);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    expect(existsSync(log) ? readFileSync(log, 'utf8') : '').toBe('');
  }, 180_000);
});
