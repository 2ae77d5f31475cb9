import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/adapters/local/sqlite-database.ts';
import { SqliteImageRepository } from '../src/adapters/local/sqlite-image-repository.ts';
import { IMAGE_STATUSES, initialSteps } from '../src/core/image.ts';
import { machine, percentile, round } from './lib.ts';

/**
 * Scale: RECORDS image records in one tenant's SQLite store (seeded directly, in batched
 * transactions), then the list queries the API makes: first page, a deep page (cursor near
 * the end), by status, each timed over many calls. Also single-row insert rate through the
 * repository (autocommit, as the API does it) and the database size.
 */
const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const CALLS = Number(process.env.BENCH_CALLS ?? 1000);
const dir = mkdtempSync(join(tmpdir(), 'imgapi-scale-'));
const file = join(dir, 'db.sqlite');
const db = openDatabase(file);
const repo = new SqliteImageRepository(db);

const insert = db.prepare(
  `INSERT INTO images (image_id, tenant, file_name, file_type, size, status, steps, created_at, updated_at, uploaded_at)
   VALUES (?, 'tenant', ?, 'image/jpeg', 123456, ?, ?, ?, ?, ?)`,
);
const steps = JSON.stringify(initialSteps([]));
const base = Date.UTC(2026, 0, 1);
const seedStarted = performance.now();
const BATCH = 10_000;
let deepCursor = { createdAt: 0, imageId: '' };
for (let start = 0; start < RECORDS; start += BATCH) {
  db.transaction(() => {
    for (let i = start; i < Math.min(RECORDS, start + BATCH); i++) {
      const id = randomUUID();
      const created = base + i * 1000;
      insert.run(
        id,
        `photo-${i}.jpg`,
        IMAGE_STATUSES[i % IMAGE_STATUSES.length],
        steps,
        created,
        created,
        created,
      );
      if (i === Math.floor(RECORDS / 20)) deepCursor = { createdAt: created, imageId: id };
    }
  })();
}
const seedSeconds = (performance.now() - seedStarted) / 1000;

function time(label: string, query: () => Promise<unknown>) {
  return async () => {
    const samples: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      const t = performance.now();
      await query();
      samples.push(performance.now() - t);
    }
    return {
      query: label,
      p50Ms: round(percentile(samples, 50), 3),
      p99Ms: round(percentile(samples, 99), 3),
    };
  };
}

const queries = [
  time('first page, limit 10', () => repo.list({ tenant: 'tenant', limit: 11 })),
  time('first page, limit 100', () => repo.list({ tenant: 'tenant', limit: 101 })),
  time('deep page (95% down), limit 100', () =>
    repo.list({ tenant: 'tenant', limit: 101, after: deepCursor }),
  ),
  time('by status=completed, first page, limit 100', () =>
    repo.list({ tenant: 'tenant', limit: 101, status: 'completed' }),
  ),
  time('by status=failed, deep page, limit 100', () =>
    repo.list({ tenant: 'tenant', limit: 101, status: 'failed', after: deepCursor }),
  ),
  time('get by id', () => repo.get('tenant', deepCursor.imageId)),
];
const results = [];
for (const q of queries) results.push(await q());

const singleInserts = 10_000;
const t = performance.now();
for (let i = 0; i < singleInserts; i++) {
  await repo.create({
    imageId: randomUUID(),
    tenant: 'other',
    fileName: 'a.jpg',
    fileType: 'image/jpeg',
    steps: initialSteps([]),
    createdAt: Date.now(),
  });
}
const singleRate = singleInserts / ((performance.now() - t) / 1000);
db.pragma('wal_checkpoint(TRUNCATE)');
const sizeMb = statSync(file).size / 2 ** 20;
db.close();
rmSync(dir, { recursive: true, force: true });

console.log(
  JSON.stringify(
    {
      benchmark: 'scale',
      machine: machine(),
      records: RECORDS,
      seed: { seconds: round(seedSeconds), rowsPerSecond: Math.round(RECORDS / seedSeconds), batch: BATCH },
      singleRowInsertsPerSecond: Math.round(singleRate),
      dbSizeMb: round(sizeMb),
      bytesPerRecord: Math.round((sizeMb * 2 ** 20) / (RECORDS + singleInserts)),
      callsPerQuery: CALLS,
      queries: results,
    },
    null,
    2,
  ),
);
