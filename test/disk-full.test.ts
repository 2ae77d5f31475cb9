import { execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, ApiClient, putBytes } from './helpers/server.ts';

/**
 * A full disk, for real: DATA_DIR on a 64 MB tmpfs that the test mounts (it must run as
 * root, as CI does), the server's own output redirected to a file on the same filesystem
 * (`npm start > app.log`), uploads until they are refused, then the rest of the space taken
 * by a file (another program filling the disk) and left full for a while. Then the space is
 * freed and every accepted image must complete, with no attempt charged to the full disk.
 */
/** Root, and allowed to mount (a container may be root without that): checked by trying. */
function canMountTmpfs(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = mkdtempSync(join(tmpdir(), 'mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}
const canMount = canMountTmpfs();
if (!canMount) console.warn('test/disk-full.test.ts skipped: mounting a tmpfs needs root with CAP_SYS_ADMIN');
const MIN_FREE_MB = 12;

describe.skipIf(!canMount)('A full disk (tmpfs mounted by the test; needs root)', () => {
  const mountPoint = mkdtempSync(join(tmpdir(), 'disk-full-'));
  const dataDir = join(mountPoint, 'data');
  const logFile = join(mountPoint, 'app.log');
  const filler = join(mountPoint, 'filler');
  // Other data on the disk, which the owner deletes to make room at the end.
  const otherData = join(mountPoint, 'other-data');
  let server: ReturnType<typeof spawn>;
  let api: ApiClient;
  const accepted: string[] = [];
  const refused: Array<{ status: number; body: any }> = [];
  let urlMadeWhileRoomy: { imageId: string; uploadUrl: string };

  /** A photo-sized JPEG of noise, which compresses as badly as a real photo's detail. */
  const noisePhoto = (seed: number) =>
    sharp({
      create: {
        width: 1200,
        height: 900,
        channels: 3,
        background: '#808080',
        noise: { type: 'gaussian', mean: 128 + seed, sigma: 60 },
      },
    })
      .jpeg({ quality: 92 })
      .toBuffer();

  beforeAll(async () => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', mountPoint]);
    mkdirSync(dataDir);
    writeFileSync(otherData, Buffer.alloc(16 << 20, 1));
    const out = openSync(logFile, 'a');
    server = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      env: {
        ...process.env,
        PORT: '0',
        API_KEY: ADMIN_KEY,
        DATA_DIR: dataDir,
        ANALYSIS: 'none',
        WORKERS: '1',
        // Every request is logged: the log keeps trying to write to the full disk.
        LOG_LEVEL: 'debug',
        MIN_FREE_DISK_MB: String(MIN_FREE_MB),
        JOB_MAX_ATTEMPTS: '2',
      },
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const match = /"url":"(http:\/\/[^"]+)"/.exec(readFileSync(logFile, 'utf8'));
      if (match) {
        api = new ApiClient(match[1] as string, ADMIN_KEY);
        break;
      }
      if (Date.now() > deadline) throw new Error(`server did not start:\n${readFileSync(logFile, 'utf8')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 60_000);

  afterAll(() => {
    server?.kill('SIGKILL');
    try {
      execFileSync('umount', ['-l', mountPoint]);
    } catch {}
    rmSync(mountPoint, { recursive: true, force: true });
  });

  it('accepts uploads until free space reaches MIN_FREE_DISK_MB, then answers 507 INSUFFICIENT_STORAGE', async () => {
    const made = await api.createUpload();
    expect(made.status).toBe(200);
    urlMadeWhileRoomy = made.body;
    for (let i = 0; i < 60 && refused.length < 2; i++) {
      const bytes = await noisePhoto(i);
      const created = await api.createUpload();
      if (created.status !== 200) {
        refused.push(created);
        continue;
      }
      const put = await putBytes(created.body.uploadUrl, bytes, 'image/jpeg');
      if (put.status === 200) accepted.push(created.body.imageId);
      else refused.push({ status: put.status, body: await put.json() });
    }
    expect(accepted.length).toBeGreaterThanOrEqual(3);
    expect(refused.length).toBeGreaterThan(0);
    for (const refusal of refused) {
      expect(refusal.status).toBe(507);
      expect(refusal.body.error.code).toBe('INSUFFICIENT_STORAGE');
      expect(refusal.body.error.message).toMatch(/disk|storage/i);
    }
  }, 120_000);

  it('stays up while the disk is completely full: health says why, reads work, uploads get 507', async () => {
    // Another program takes every byte left.
    const fd = openSync(filler, 'w');
    const chunk = Buffer.alloc(1 << 20, 1);
    try {
      for (;;) writeSync(fd, chunk);
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    } finally {
      closeSync(fd);
    }
    // The server reads free space once a second: wait for it to notice (the log, failing at
    // once, can make it degraded sooner).
    const noticed = Date.now() + 5_000;
    while (
      (await api.withKey(null).get('/health')).body.checks.storage.status === 'ok' &&
      Date.now() < noticed
    )
      await new Promise((r) => setTimeout(r, 100));
    const until = Date.now() + 8_000;
    let sawFull = false;
    while (Date.now() < until) {
      const started = Date.now();
      const health = await api.withKey(null).get('/health');
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(health.status).toBe(200);
      expect(health.body.status).toBe('degraded');
      expect(['low', 'full']).toContain(health.body.checks.storage.status);
      sawFull ||= health.body.checks.storage.status === 'full';
      expect((await api.get(`/images/${accepted[0]}`)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 250));
    }
    const late = await api.createUpload();
    expect([late.status, late.body.error.code]).toEqual([507, 'INSUFFICIENT_STORAGE']);
    // A URL handed out while there was room: its bytes are refused too, and the URL survives.
    const put = await putBytes(urlMadeWhileRoomy.uploadUrl, await noisePhoto(99), 'image/jpeg');
    expect(put.status).toBe(507);
    // The log could not be written meanwhile; the server says so instead of hanging on it.
    const health = await api.withKey(null).get('/health');
    expect(health.body.checks.log.failedWrites).toBeGreaterThan(0);
    expect(sawFull || accepted.length > 0).toBe(true);
  }, 60_000);

  it('once space is freed, completes every accepted image with no attempt charged, and takes new uploads', async () => {
    rmSync(filler);
    rmSync(otherData);
    for (const id of accepted) {
      const status = await api.waitFor(id, ['completed', 'failed'], 60_000);
      expect(status.status).toBe('completed');
      expect(status.attempts).toBe(1);
    }
    expect((await api.get('/jobs/dead-letters')).body.deadLetters ?? []).toEqual([]);
    // Every variant downloads whole and decodes.
    const image = (await api.get(`/images/${accepted[0]}`)).body;
    const urls = [image.webpUrl, image.thumbnails.small, image.downloadUrl];
    expect(urls.every((u) => typeof u === 'string')).toBe(true);
    for (const url of urls) {
      const bytes = Buffer.from(await (await fetch(url)).arrayBuffer());
      expect((await sharp(bytes).metadata()).width).toBeGreaterThan(0);
    }
    // The URL refused while the disk was full still works.
    const put = await putBytes(urlMadeWhileRoomy.uploadUrl, await noisePhoto(7), 'image/jpeg');
    expect(put.status).toBe(200);
    const fresh = await api.upload(await noisePhoto(8));
    expect((await api.waitFor(fresh, ['completed', 'failed'], 60_000)).status).toBe('completed');
    const health = await api.withKey(null).get('/health');
    expect(health.body.checks.storage.status).not.toBe('full');
  }, 180_000);

  it('leaves the database intact', () => {
    const db = new Database(join(dataDir, 'db.sqlite'), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
  });
});
