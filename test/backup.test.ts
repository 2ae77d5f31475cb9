import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../src/adapters/local/sqlite-database.ts';
import { storageKey, type Variant } from '../src/core/image.ts';
import { reconcileCopy } from '../src/local/backup/reconcile.ts';
import { type BackupSummary, backupDataDir } from '../src/local/backup.ts';
import { fixture } from './helpers/images.ts';
import { type ServerProcess, spawnNpmStart, spawnServer } from './helpers/process.ts';
import { type CommandRun, runCommand } from './helpers/run-command.ts';
import { ADMIN_KEY, type ApiClient } from './helpers/server.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Whole server processes, a batch of uploads and a backup child; ~10 s alone, more beside another suite. */
const SPAWNED_TIMEOUT_MS = 120_000;

const LIMITS = { RATE_LIMIT_RPS: '10000', RATE_LIMIT_BURST: '10000' };

/** /dev/shm is a tmpfs on Linux: a DEST there cannot hard-link to files in the temp folder (EXDEV). */
const SHM_IS_ANOTHER_FILESYSTEM =
  existsSync('/dev/shm') && statSync('/dev/shm').dev !== statSync(tmpdir()).dev;

type CliRun = CommandRun;

/** `npm run backup -- …args` as an owner would type it, with DATA_DIR from the environment. */
function runBackupCommand(dataDir: string, args: string[]): Promise<CliRun> {
  const { API_KEY: _key, SIGNING_SECRET: _secret, ...inherited } = process.env;
  return runCommand('npm', ['run', '--silent', 'backup', '--', ...args], {
    cwd: ROOT,
    env: { ...inherited, DATA_DIR: dataDir },
  });
}

/** The summary the command printed with --json (its only line on stdout). */
function summaryOf(run: CliRun): BackupSummary & { notes: string[] } {
  const line = run.stdout.split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new Error(`no JSON summary; exit ${run.code}\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(line);
}

/**
 * Keeps a client uploading (and now and then deleting one of its own images) until stopped:
 * the writes, renames and deletes a backup must be safe beside.
 */
function startLoad(api: ApiClient) {
  const photo = fixture('chelsea.jpg');
  const uploaded: string[] = [];
  const errors: string[] = [];
  let stopped = false;
  const finished = (async () => {
    for (let i = 0; !stopped; i++) {
      try {
        uploaded.push(await api.upload(photo));
        if (i % 3 === 2) {
          const victim = uploaded.splice(-2, 1)[0] as string;
          const res = await api.request('DELETE', `/images/${victim}`);
          if (res.status !== 200) errors.push(`DELETE ${victim}: ${res.status}`);
        }
      } catch (error) {
        errors.push(String(error));
      }
    }
  })();
  return {
    uploaded,
    errors,
    stop: async () => {
      stopped = true;
      await finished;
    },
  };
}

/** The files an image record promises: the original once uploaded, and every listed variant. */
function promisedKeys(row: { tenant: string; image_id: string; status: string; variants: string }): string[] {
  const variants = new Set(JSON.parse(row.variants) as Variant[]);
  if (row.status !== 'pending') variants.add('original');
  return [...variants].map((variant) => storageKey(row.tenant, row.image_id, variant));
}

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path, base);
    return entry.isFile() ? [relative(base, path)] : [];
  });
}

/** GET /images/{id} with each signed URL reduced to its path: host, port, expiry and signature may differ. */
function withoutSignatures(image: any) {
  const path = (url: string | null) => (url === null ? null : new URL(url).pathname);
  return {
    ...image,
    downloadUrl: path(image.downloadUrl),
    webpUrl: path(image.webpUrl),
    thumbnails: {
      small: path(image.thumbnails.small),
      medium: path(image.thumbnails.medium),
      large: path(image.thumbnails.large),
    },
  };
}

function downloadUrls(image: any): string[] {
  return [
    image.downloadUrl,
    image.webpUrl,
    image.thumbnails.small,
    image.thumbnails.medium,
    image.thumbnails.large,
  ];
}

async function bytesAt(url: string): Promise<Buffer> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

describe('npm run backup', () => {
  let root: string;
  let dataDir: string;
  let live: ServerProcess;
  const started: ServerProcess[] = [];
  /** Completed before any backup: what a backup must carry over. */
  let completed: string[];
  let tenantKey: string;
  let tenantImage: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'imgapi-backup-'));
    dataDir = join(root, 'data');
    live = await spawnServer({ DATA_DIR: dataDir, WORKERS: '1', ANALYSIS: 'none', ...LIMITS });
    started.push(live);
    const photos = ['astronaut.jpg', 'chelsea.jpg', 'coffee.jpg', 'rocket.jpg'] as const;
    completed = [];
    for (const name of photos) completed.push(await live.api.upload(fixture(name), 'image/jpeg', name));
    completed.push(await live.api.upload(fixture('page.png'), 'image/png', 'page.png'));
    const key = await live.api.request('POST', '/keys', { name: 'another tenant' });
    expect(key.status).toBe(201);
    tenantKey = key.body.apiKey;
    tenantImage = await live.api.withKey(tenantKey).upload(fixture('coffee.jpg'));
    for (const id of completed) expect((await live.api.waitFor(id)).status).toBe('completed');
    expect((await live.api.withKey(tenantKey).waitFor(tenantImage)).status).toBe('completed');
  }, SPAWNED_TIMEOUT_MS);

  afterAll(async () => {
    for (const server of started) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    rmSync(root, { recursive: true, force: true });
  });

  it(
    'makes a copy, under upload load, that a server started on it serves like the original',
    async () => {
      const deletedBefore = completed.pop() as string;
      expect((await live.api.request('DELETE', `/images/${deletedBefore}`)).status).toBe(200);
      const before = new Map<string, any>();
      for (const id of completed) before.set(id, (await live.api.get(`/images/${id}`)).body);

      const load = startLoad(live.api);
      await vi.waitFor(() => expect(load.uploaded.length).toBeGreaterThanOrEqual(2), { timeout: 20_000 });
      const dest = join(root, 'under-load');
      const run = await runBackupCommand(dataDir, ['--json', dest]);
      await load.stop();
      expect(load.errors).toEqual([]);
      expect(run.code, run.stderr).toBe(0);
      const summary = summaryOf(run);
      expect(summary).toMatchObject({ dest, filesCopied: 0, stateFiles: ['signing-secret'], notes: [] });
      expect(summary.images).toBeGreaterThanOrEqual(completed.length + 1);
      expect(summary.filesLinked).toBeGreaterThanOrEqual((completed.length + 1) * 5);

      // The copy as the command left it, before a server opens it.
      expect(readdirSync(dest).sort()).toEqual(['db.sqlite', 'files', 'signing-secret']);
      expect(statSync(join(dest, 'signing-secret')).mode & 0o777).toBe(0o600);
      expect(readFileSync(join(dest, 'signing-secret'))).toEqual(
        readFileSync(join(dataDir, 'signing-secret')),
      );
      const files = filesUnder(join(dest, 'files'));
      expect(files.filter((file) => file.split(sep).includes('.tmp'))).toEqual([]);
      const copy = new Database(join(dest, 'db.sqlite'), { readonly: true, fileMustExist: true });
      try {
        expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
        expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
        const rows = copy.prepare('SELECT tenant, image_id, status, variants FROM images').all() as any[];
        const present = new Set(files.map((file) => file.split(sep).join('/')));
        for (const row of rows)
          for (const key of promisedKeys(row))
            expect(present.has(key), `${row.status} image lacks ${key}`).toBe(true);
        const ids = rows.map((row) => row.image_id);
        expect(ids).toEqual(expect.arrayContaining([...completed, tenantImage]));
        expect(ids).not.toContain(deletedBefore);
      } finally {
        copy.close();
      }
      // Hard links: the copy's original is the live file itself, not a second copy of it.
      const original = storageKey('admin', completed[0] as string, 'original');
      expect(statSync(join(dest, 'files', original)).ino).toBe(
        statSync(join(dataDir, 'files', original)).ino,
      );

      // Restoring is starting a server on the copy; the original keeps running beside it.
      const restored = await spawnNpmStart({ DATA_DIR: dest, API_KEY: ADMIN_KEY, WORKERS: '1', ...LIMITS });
      started.push(restored);
      for (const id of completed) {
        const [fromLive, fromCopy] = [
          (await live.api.get(`/images/${id}`)).body,
          (await restored.api.get(`/images/${id}`)).body,
        ];
        expect(withoutSignatures(fromCopy)).toEqual(withoutSignatures(before.get(id)));
        expect(withoutSignatures(fromCopy)).toEqual(withoutSignatures(fromLive));
        const copyUrls = downloadUrls(fromCopy);
        for (const [i, liveUrl] of downloadUrls(fromLive).entries()) {
          const bytes = await bytesAt(liveUrl);
          expect((await bytesAt(copyUrls[i] as string)).equals(bytes)).toBe(true);
          // Same signing secret: a URL the live server signed works on the copy's server.
          const signed = new URL(liveUrl);
          const onCopy = `${restored.api.baseUrl}${signed.pathname}${signed.search}`;
          expect((await bytesAt(onCopy)).equals(bytes)).toBe(true);
        }
      }
      expect((await restored.api.get(`/images/${deletedBefore}`)).status).toBe(404);
      // Keys are stored as hashes only, yet the same keys work on the copy.
      const asTenant = await restored.api.withKey(tenantKey).get(`/images/${tenantImage}`);
      expect(asTenant.status).toBe(200);
      expect(asTenant.body.status).toBe('completed');
    },
    SPAWNED_TIMEOUT_MS,
  );

  it(
    'drops an image deleted between the database snapshot and the file copy',
    async () => {
      const victim = completed[0] as string;
      const dest = join(root, 'delete-midway');
      const summary = await backupDataDir({
        dataDir,
        dest,
        onStage: async (stage) => {
          if (stage === 'database')
            expect((await live.api.request('DELETE', `/images/${victim}`)).status).toBe(200);
        },
      });
      expect(summary.imagesDropped).toBe(1);
      expect(existsSync(join(dest, 'files', 'admin', victim))).toBe(false);
      const copy = new Database(join(dest, 'db.sqlite'), { readonly: true });
      try {
        expect(copy.prepare('SELECT count(*) FROM images WHERE image_id = ?').pluck().get(victim)).toBe(0);
        expect(copy.prepare('SELECT count(*) FROM images WHERE image_id = ?').pluck().get(completed[1])).toBe(
          1,
        );
        expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
      } finally {
        copy.close();
      }
      completed.shift();
    },
    SPAWNED_TIMEOUT_MS,
  );

  it.skipIf(!SHM_IS_ANOTHER_FILESYSTEM)(
    'copies instead of linking when DEST is on another filesystem, keeping modification times',
    async () => {
      const dest = mkdtempSync('/dev/shm/imgapi-backup-');
      try {
        const summary = await backupDataDir({ dataDir, dest });
        expect(summary.filesLinked).toBe(0);
        expect(summary.filesCopied).toBeGreaterThanOrEqual(completed.length * 5);
        expect(summary.bytesCopied).toBe(summary.bytes);
        const original = storageKey('admin', completed[0] as string, 'original');
        const [copied, source] = [
          statSync(join(dest, 'files', original)),
          statSync(join(dataDir, 'files', original)),
        ];
        expect(
          readFileSync(join(dest, 'files', original)).equals(readFileSync(join(dataDir, 'files', original))),
        ).toBe(true);
        // The server's ETag is size and whole milliseconds of mtime.
        expect(Math.floor(copied.mtimeMs)).toBe(Math.floor(source.mtimeMs));
      } finally {
        rmSync(dest, { recursive: true, force: true });
      }
    },
  );

  it(
    'refuses a DEST that is not empty, or inside DATA_DIR, with a clear message',
    async () => {
      const notEmpty = join(root, 'not-empty');
      mkdirSync(notEmpty);
      writeFileSync(join(notEmpty, 'keep.txt'), 'mine');
      const inside = join(dataDir, 'backup');
      const [refusedNotEmpty, refusedInside, itself, noDest] = await Promise.all([
        runBackupCommand(dataDir, [notEmpty]),
        runBackupCommand(dataDir, [inside]),
        runBackupCommand(dataDir, [dataDir]),
        runBackupCommand(dataDir, []),
      ]);
      expect(refusedNotEmpty.code).toBe(2);
      expect(refusedNotEmpty.stderr).toContain(`Backup refused: DEST ${notEmpty} is not empty`);
      expect(readdirSync(notEmpty)).toEqual(['keep.txt']);
      expect(refusedInside.code).toBe(2);
      expect(refusedInside.stderr).toContain(`Backup refused: DEST ${inside} is inside DATA_DIR`);
      expect(existsSync(inside)).toBe(false);
      expect(itself.code).toBe(2);
      expect(itself.stderr).toContain(`Backup refused: DEST ${dataDir} is DATA_DIR itself`);
      expect(noDest.code).toBe(2);
      expect(noDest.stderr).toContain('Usage: npm run backup -- [--json] DEST');
    },
    SPAWNED_TIMEOUT_MS,
  );
});

describe('reconcileCopy', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'imgapi-reconcile-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('drops records the live server deleted meanwhile, and keeps those it still has as they are', async () => {
    const db = openDatabase(join(dir, 'db.sqlite'));
    const files = join(dir, 'files');
    const insert = db.prepare(
      `INSERT INTO images (image_id, tenant, file_name, file_type, status, steps, variants, created_at, updated_at)
       VALUES (?, 't1', 'a.jpg', 'image/jpeg', ?, '{}', ?, 1, 1)`,
    );
    const all: Variant[] = ['thumb-small', 'thumb-medium', 'thumb-large', 'webp'];
    const put = (id: string, variants: Variant[]) => {
      for (const variant of variants) {
        const path = join(files, storageKey('t1', id, variant));
        mkdirSync(join(path, '..'), { recursive: true });
        writeFileSync(path, variant);
      }
    };
    insert.run('whole', 'completed', JSON.stringify(all));
    put('whole', ['original', ...all]);
    // Deleted on the live server while its files were being linked: only some made it.
    insert.run('deleted-midway', 'completed', JSON.stringify(all));
    put('deleted-midway', ['original', 'thumb-small']);
    db.prepare(
      `INSERT INTO jobs (id, queue, name, body, image_id, visible_at, created_at)
       VALUES ('job-1', 'main', 'process-image', '{}', 'deleted-midway', 0, 1)`,
    ).run();
    db.prepare(
      `INSERT INTO image_terms (tenant, kind, term, created_at, image_id) VALUES ('t1', 'label', 'cat', 1, 'deleted-midway')`,
    ).run();
    // A refused upload: failed, its bytes removed, on the live server as here.
    insert.run('refused', 'failed', '[]');
    // Deleted before its upload, so it never had files: nothing is missing.
    insert.run('pending', 'pending', '[]');

    const stillLive = new Set(['whole', 'refused']);
    const result = await reconcileCopy(db, files, (id) => stillLive.has(id));

    expect(result).toEqual({ dropped: ['deleted-midway'], incomplete: ['refused'] });
    const ids = db.prepare('SELECT image_id FROM images ORDER BY image_id').pluck().all();
    expect(ids).toEqual(['pending', 'refused', 'whole']);
    expect(db.prepare(`SELECT count(*) FROM jobs WHERE image_id = 'deleted-midway'`).pluck().get()).toBe(0);
    expect(
      db.prepare(`SELECT count(*) FROM image_terms WHERE image_id = 'deleted-midway'`).pluck().get(),
    ).toBe(0);
    expect(existsSync(join(files, 't1', 'deleted-midway'))).toBe(false);
    expect(readdirSync(join(files, 't1', 'whole'))).toHaveLength(5);
    db.close();
  });
});
