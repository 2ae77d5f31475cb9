import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ServerProcess, spawnNpmStart } from './helpers/process.ts';

/** The pid that pino logged: the server process itself, whatever npm put above it. */
const serverPid = (output: string) => Number(/"pid":(\d+)/.exec(output)?.[1]);

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm start', () => {
  let dataDir: string;
  let busy: Server;
  let busyPort: number;
  const running: ServerProcess[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'imgapi-npm-start-'));
    busy = createServer();
    await new Promise<void>((done) => busy.listen(0, '127.0.0.1', done));
    busyPort = (busy.address() as { port: number }).port;
  });

  afterAll(async () => {
    for (const server of running) server.child.kill('SIGKILL');
    busy.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('fails on a busy port, says so, and keeps no admin key it did not show', async () => {
    const failure = await spawnNpmStart({ DATA_DIR: dataDir, PORT: String(busyPort) }).catch(
      (error: Error) => error.message,
    );
    expect(failure).toMatch(/server exited/);
    expect(failure).toMatch(new RegExp(`Port ${busyPort} on 127\\.0\\.0\\.1 is already in use`));
    expect(failure).not.toMatch(/Generated admin API key/);
  });

  it('shows the admin key at the first start that listens, and that key works', async () => {
    const server = await spawnNpmStart({ DATA_DIR: dataDir });
    running.push(server);
    await vi.waitFor(() => expect(server.output()).toMatch(/Generated admin API key/), { timeout: 5000 });
    const apiKey = /\n {2}(sk_\S+)\n/.exec(server.output())?.[1] as string;
    const res = await server.api.withKey(apiKey).get('/images');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ images: [], count: 0 });
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });

  it('says how to replace the admin key at a later start that shows none', async () => {
    const server = await spawnNpmStart({ DATA_DIR: dataDir });
    running.push(server);
    await vi.waitFor(() => expect(server.output()).toMatch(/Lost it\? Restart with API_KEY=/), {
      timeout: 5000,
    });
    expect(server.output()).not.toMatch(/Generated admin API key/);
    server.child.kill('SIGTERM');
    await server.exited;
  });

  it('stops the server itself, draining, when npm is sent SIGTERM', async () => {
    const server = await spawnNpmStart({ DATA_DIR: dataDir, API_KEY: 'npm-start-test-key-0123' });
    running.push(server);
    const pid = serverPid(server.output());
    expect(pid).not.toBe(server.child.pid);
    expect((await server.api.get('/images')).status).toBe(200);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.output()).toMatch(/"signal":"SIGTERM".*draining/);
    expect(server.output()).toMatch(/stopped cleanly/);
    await vi.waitFor(() => expect(alive(pid)).toBe(false), { timeout: 5000 });
    await expect(fetch(`${server.api.baseUrl}/health`)).rejects.toThrow();
  });
});
