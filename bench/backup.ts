import { randomUUID } from 'node:crypto';
import { linkSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/adapters/local/sqlite-database.ts';
import { initialSteps, storageKey, VARIANTS } from '../src/core/image.ts';
import { backupDataDir } from '../src/local/backup.ts';
import { fixture } from '../test/helpers/images.ts';
import { machine } from './lib.ts';

/**
 * `npm run backup` at scale, server stopped: BENCH_IMAGES completed images (default 10,000;
 * five files each, hard links to a few copies of one photo, so the seed takes little disk
 * space) seeded straight into a DATA_DIR, then one backup, timed stage by stage.
 * BENCH_DEST_PARENT puts DEST elsewhere, e.g. /dev/shm to time the copy made when hard
 * links are impossible.
 * Not part of `npm run bench`: `npx tsx bench/backup.ts`.
 */
const IMAGES = Number(process.env.BENCH_IMAGES ?? 10_000);
const root = mkdtempSync(join(tmpdir(), 'imgapi-bench-backup-'));
const destParent = process.env.BENCH_DEST_PARENT
  ? mkdtempSync(join(process.env.BENCH_DEST_PARENT, 'imgapi-bench-backup-'))
  : root;
const dataDir = join(root, 'data');

try {
  const db = openDatabase(join(dataDir, 'db.sqlite'));
  const photo = fixture('coffee.jpg');
  // A new inode every 2,000 images (10,000 links): with the backup's own links that stays
  // under ext4's 65,000 links per inode.
  const sourceFor = (i: number) => {
    const file = join(root, `photo-${Math.floor(i / 2000)}.jpg`);
    if (i % 2000 === 0) writeFileSync(file, photo);
    return file;
  };
  writeFileSync(join(dataDir, 'signing-secret'), 'x'.repeat(43), { mode: 0o600 });
  const insert = db.prepare(
    `INSERT INTO images (image_id, tenant, file_name, file_type, size, status, steps, variants, created_at, updated_at, uploaded_at, processed_at)
     VALUES (?, 'tenant', 'photo.jpg', 'image/jpeg', 56373, 'completed', ?, ?, ?, ?, ?, ?)`,
  );
  const steps = JSON.stringify(initialSteps([]));
  const variants = JSON.stringify(VARIANTS.filter((variant) => variant !== 'original'));
  const seedStarted = performance.now();
  db.transaction(() => {
    for (let i = 0; i < IMAGES; i++) {
      const id = randomUUID();
      insert.run(id, steps, variants, i, i, i, i);
      mkdirSync(join(dataDir, 'files', 'tenant', id), { recursive: true });
      const source = sourceFor(i);
      for (const variant of VARIANTS)
        linkSync(source, join(dataDir, 'files', storageKey('tenant', id, variant)));
    }
  })();
  db.close();
  const seedSeconds = (performance.now() - seedStarted) / 1000;

  const summary = await backupDataDir({ dataDir, dest: join(destParent, 'backup') });
  console.log(
    JSON.stringify(
      { machine: machine(), images: IMAGES, seedSeconds: Number(seedSeconds.toFixed(1)), summary },
      null,
      2,
    ),
  );
} finally {
  rmSync(root, { recursive: true, force: true });
  rmSync(destParent, { recursive: true, force: true });
}
