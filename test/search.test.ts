import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type SqliteDatabase } from '../src/adapters/local/sqlite-database.ts';
import { SqliteImageRepository } from '../src/adapters/local/sqlite-image-repository.ts';
import type { Analysis } from '../src/core/analysis.ts';
import { searchTermsOf } from '../src/core/analyze-image.ts';
import { initialSteps } from '../src/core/image.ts';
import { TRANSITIONS } from '../src/core/image-state.ts';

/** The search index behind GET /images?label=&object=&text=, on a real SQLite file. */
describe('Search index (SQLite)', () => {
  let dir: string;
  let db: SqliteDatabase;
  let repo: SqliteImageRepository;

  const analysis = (labels: string[], objects: string[], text: string[]): Analysis => ({
    labels,
    labelDetails: labels.map((name) => ({ name, confidence: 90, parents: [] })),
    objects: objects.map((name) => ({
      name,
      confidence: 90,
      boundingBox: { left: 0, top: 0, width: 1, height: 1 },
    })),
    confidence: labels.length ? 90 : null,
    faces: 0,
    faceDetails: [],
    moderationLabels: [],
    text: text.map((t) => ({
      text: t,
      confidence: 90,
      boundingBox: { left: 0, top: 0, width: 1, height: 1 },
    })),
    celebrities: [],
    models: {},
    errors: [],
  });

  async function seed(imageId: string, tenant: string, createdAt: number, a: Analysis) {
    await repo.create({
      imageId,
      tenant,
      fileName: 'x.jpg',
      fileType: 'image/jpeg',
      steps: initialSteps(['objects']),
      createdAt,
    });
    await repo.transition(imageId, TRANSITIONS.markUploaded(1, createdAt, createdAt + 1e9));
    await repo.transition(imageId, TRANSITIONS.startProcessing(1, createdAt));
    await repo.updateStep(
      imageId,
      { step: 'analysis', state: 'completed', analysis: a, terms: searchTermsOf(a) },
      createdAt,
    );
    await repo.transition(imageId, TRANSITIONS.complete(createdAt));
  }
  const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const ids = (rows: Array<{ imageId: string }>) => rows.map((r) => r.imageId);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'imgapi-search-'));
    db = openDatabase(join(dir, 'db.sqlite'));
    repo = new SqliteImageRepository(db);
    await seed(id(1), 't', 1000, analysis(['Cat', 'Animal'], ['Cat'], ['Fresh milk 2%']));
    await seed(id(2), 't', 2000, analysis(['Dog', 'Animal'], ['Dog'], []));
    await seed(id(3), 't', 3000, analysis(['Cat', 'Animal', 'Text'], ['Cat'], ['CAT_FOOD sale']));
    await seed(id(4), 'other', 4000, analysis(['Cat', 'Animal'], ['Cat'], ['milk']));
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pages a label newest first with the same keyset cursor as the list', async () => {
    const first = await repo.list({ tenant: 't', label: 'animal', limit: 2 });
    expect(ids(first)).toEqual([id(3), id(2)]);
    const last = first[1] as (typeof first)[number];
    const second = await repo.list({
      tenant: 't',
      label: 'animal',
      limit: 2,
      after: { createdAt: last.createdAt, imageId: last.imageId },
    });
    expect(ids(second)).toEqual([id(1)]);
  });

  it('matches objects exactly and text as a case-insensitive substring, LIKE wildcards taken literally', async () => {
    expect(ids(await repo.list({ tenant: 't', object: 'CAT', limit: 10 }))).toEqual([id(3), id(1)]);
    expect(ids(await repo.list({ tenant: 't', object: 'Ca', limit: 10 }))).toEqual([]);
    expect(ids(await repo.list({ tenant: 't', text: 'MILK', limit: 10 }))).toEqual([id(1)]);
    expect(ids(await repo.list({ tenant: 't', text: '2%', limit: 10 }))).toEqual([id(1)]);
    expect(ids(await repo.list({ tenant: 't', text: 't_f', limit: 10 }))).toEqual([id(3)]);
    expect(ids(await repo.list({ tenant: 't', text: 'k 2', limit: 10 }))).toEqual([id(1)]);
    expect(ids(await repo.list({ tenant: 't', text: 'm%k', limit: 10 }))).toEqual([]);
  });

  it('combines filters with each other and with status, and never crosses tenants', async () => {
    expect(ids(await repo.list({ tenant: 't', label: 'cat', text: 'sale', limit: 10 }))).toEqual([id(3)]);
    expect(ids(await repo.list({ tenant: 't', label: 'cat', status: 'failed', limit: 10 }))).toEqual([]);
    expect(ids(await repo.list({ tenant: 'other', label: 'cat', limit: 10 }))).toEqual([id(4)]);
  });

  it('forgets a deleted image: no terms, no text left behind', async () => {
    await repo.delete('t', id(1));
    expect(ids(await repo.list({ tenant: 't', text: 'milk', limit: 10 }))).toEqual([]);
    const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    expect(count(`SELECT COUNT(*) AS n FROM image_terms WHERE image_id = '${id(1)}'`)).toBe(0);
    expect(count(`SELECT COUNT(*) AS n FROM image_text`)).toBe(2);
  });

  it('reads records written before the analysis steps existed as skipped for those steps', async () => {
    db.prepare(`UPDATE images SET steps = ? WHERE image_id = ?`).run(
      JSON.stringify({
        thumbnail: 'completed',
        webp: 'completed',
        metadata: 'completed',
        analysis: 'skipped',
      }),
      id(2),
    );
    expect((await repo.getById(id(2)))?.steps).toEqual({
      thumbnail: 'completed',
      webp: 'completed',
      metadata: 'completed',
      analysis: 'skipped',
      objects: 'skipped',
      faces: 'skipped',
      moderation: 'skipped',
      text: 'skipped',
    });
  });
});
