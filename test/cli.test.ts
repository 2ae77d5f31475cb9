import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CommandRun, runCommand } from './helpers/run-command.ts';
import { ADMIN_KEY, type SpawnedServer, startSpawnedServer } from './helpers/spawned-server.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/cli/main.js');
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for terminal escapes is the point.
const ANSI = /\u001b\[/;

type Run = CommandRun;

/** Runs the compiled CLI (the test setup builds dist/) as a child process: stdout is a pipe, not a TTY. */
function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return runCommand(process.execPath, [CLI, ...args], {
    env: { ...process.env, IMGAPI_URL: '', IMGAPI_KEY: '', ...env },
  });
}

describe('imgapi (the CLI), against the real server', () => {
  let server: SpawnedServer;
  let work: string;
  let imgapi: (...args: string[]) => Promise<Run>;

  beforeAll(async () => {
    server = await startSpawnedServer();
    imgapi = (...args) => run(args, { IMGAPI_URL: server.url, IMGAPI_KEY: ADMIN_KEY });
    work = mkdtempSync(join(tmpdir(), 'imgapi-cli-'));
    mkdirSync(join(work, 'photos/nested'), { recursive: true });
    copyFileSync(fixture('chelsea.jpg'), join(work, 'photos/chelsea.jpg'));
    copyFileSync(fixture('coffee.jpg'), join(work, 'photos/coffee.jpg'));
    copyFileSync(fixture('rocket.jpg'), join(work, 'photos/nested/rocket.jpg'));
    writeFileSync(join(work, 'photos/notes.txt'), 'not an image');
  });
  afterAll(async () => {
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  let ids: string[] = [];

  it('uploads a directory recursively with --wait --json: three completed ids, nothing else on stdout', async () => {
    const res = await imgapi('upload', join(work, 'photos'), '--wait', '--json', '--concurrency', '2');
    expect(res.code).toBe(0);
    const results = JSON.parse(res.stdout);
    expect(results).toHaveLength(3);
    expect(results.map((r: { file: string }) => r.file)).toEqual([
      join(work, 'photos/chelsea.jpg'),
      join(work, 'photos/coffee.jpg'),
      join(work, 'photos/nested/rocket.jpg'),
    ]);
    for (const result of results)
      expect(result).toEqual({ file: expect.any(String), imageId: expect.any(String), status: 'completed' });
    ids = results.map((r: { imageId: string }) => r.imageId);
  });

  it('prints a plain line per file when stdout is not a terminal: no progress escapes', async () => {
    const res = await imgapi('upload', `${work}/photos/*.jpg`, '--wait', '--analysis', 'none');
    expect(res.code).toBe(0);
    expect(res.stdout).not.toMatch(ANSI);
    expect(res.stderr).not.toMatch(ANSI);
    const lines = res.stdout.trim().split('\n').sort();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/photos\/chelsea\.jpg {2}[0-9a-f-]{36} {2}completed$/);
    expect(lines[1]).toMatch(/photos\/coffee\.jpg {2}[0-9a-f-]{36} {2}completed$/);
  });

  it('list --json finds them, newest first; list prints a table', async () => {
    const res = await imgapi('list', '--json', '--status', 'completed', '--limit', '50');
    expect(res.code).toBe(0);
    const listed = JSON.parse(res.stdout).images.map((image: { imageId: string }) => image.imageId);
    expect(listed).toHaveLength(5);
    expect(listed).toEqual(expect.arrayContaining(ids));

    const paged = JSON.parse((await imgapi('list', '--json', '--limit', '2')).stdout);
    expect(paged.images).toHaveLength(2);
    expect(paged.lastEvaluatedKey).toEqual(expect.any(String));
    const rest = JSON.parse((await imgapi('list', '--json', '--cursor', paged.lastEvaluatedKey)).stdout);
    expect(rest.images).toHaveLength(3);

    const table = await imgapi('list');
    expect(table.stdout.split('\n')[0]).toMatch(/^ID +STATUS +SIZE +UPLOADED +FILE$/);
    expect(table.stdout).toContain(ids[0]);
  });

  it('status, get, download -o (JPEG and WebP bytes), then delete', async () => {
    const id = ids[1] as string;
    const status = await imgapi('status', id);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^status +completed 100%/);
    expect(status.stdout).toMatch(/thumbnail +completed/);
    expect(JSON.parse((await imgapi('status', id, '--watch', '--json')).stdout).status).toBe('completed');
    expect(JSON.parse((await imgapi('get', id, '--json')).stdout)).toMatchObject({
      imageId: id,
      fileName: 'coffee.jpg',
    });

    const small = join(work, 'small.jpg');
    const jpeg = await imgapi('download', id, '--variant', 'small', '-o', small);
    expect(jpeg.code).toBe(0);
    expect([...readFileSync(small).subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    const webp = await imgapi('download', id, '--variant', 'webp', '-o', join(work, 'coffee.webp'), '--json');
    expect(JSON.parse(webp.stdout)).toMatchObject({
      imageId: id,
      variant: 'webp',
      bytes: expect.any(Number),
    });
    expect(readFileSync(join(work, 'coffee.webp')).subarray(8, 12).toString('ascii')).toBe('WEBP');

    const deleted = await imgapi('delete', id);
    expect([deleted.code, deleted.stdout]).toEqual([0, `deleted ${id}\n`]);
    const gone = await imgapi('status', id);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('NOT_FOUND (404)');
  });

  it('exits 2 with the help text on a usage error', async () => {
    const missing = await imgapi('upload');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("error: missing required argument 'paths'");
    expect(missing.stderr).toContain('Usage: imgapi upload [options] <paths...>');

    const variant = await imgapi('download', ids[0] as string, '--variant', 'huge');
    expect(variant.code).toBe(2);
    expect(variant.stderr).toContain('Allowed choices are original, small, medium, large, webp');

    const noKey = await run(['list'], { IMGAPI_URL: server.url });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('no API key: pass --key <key> or set IMGAPI_KEY');

    const nothing = await imgapi('upload', join(work, 'no-such-dir'));
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('no image files in or matching');

    const help = await imgapi('keys', 'create', '--help');
    expect([help.code, help.stdout.split('\n')[0]]).toEqual([
      0,
      'Usage: imgapi keys create [options] <name>',
    ]);
  });

  it('exits 1 with the error code on an API error (a bad key)', async () => {
    const res = await imgapi('--key', 'not-a-key-0123456789', 'list');
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('INVALID_API_KEY (403)');
    const json = await imgapi('list', '--key', 'not-a-key-0123456789', '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({
      error: { code: 'INVALID_API_KEY', status: 403, message: expect.any(String) },
    });
  });

  it('manages keys and dead letters with the admin key', async () => {
    const created = JSON.parse((await imgapi('keys', 'create', 'ci', '--json')).stdout);
    expect(created).toMatchObject({ name: 'ci', apiKey: expect.any(String) });
    const keys = JSON.parse((await imgapi('keys', 'list', '--json')).stdout);
    expect(keys.map((key: { keyId: string }) => key.keyId)).toContain(created.keyId);
    // The new key is its own tenant: it sees none of the admin's images.
    const theirs = await run(['list', '--json'], { IMGAPI_URL: server.url, IMGAPI_KEY: created.apiKey });
    expect(JSON.parse(theirs.stdout)).toEqual({ images: [] });
    expect((await imgapi('keys', 'revoke', created.keyId)).stdout).toBe(`revoked ${created.keyId}\n`);

    expect(JSON.parse((await imgapi('dlq', 'list', '--json')).stdout)).toEqual([]);
    expect(JSON.parse((await imgapi('dlq', 'redrive', '--json')).stdout)).toEqual({ redriven: 0 });
  });
});

describe('imgapi serve', () => {
  it('runs the compiled server, which drains and exits 0 on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'imgapi-serve-'));
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--data-dir', dataDir], {
      env: { ...process.env, API_KEY: ADMIN_KEY, ANALYSIS: 'none', WORKERS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let output = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`serve did not start:\n${output}`)), 20_000);
        child.stdout.on('data', (chunk) => {
          output += chunk;
          const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
          if (match) {
            clearTimeout(timer);
            resolve(match[1] as string);
          }
        });
      });
      const listed = await run(['list', '--json'], { IMGAPI_URL: url, IMGAPI_KEY: ADMIN_KEY });
      expect(JSON.parse(listed.stdout)).toEqual({ images: [] });
      // 'close', not 'exit': then every line the server wrote has been read.
      const exited = new Promise((resolve) => child.once('close', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).toContain('stopped cleanly');
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
