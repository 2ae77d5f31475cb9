import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe } from 'vitest';
import { openDatabase, type SqliteDatabase } from '../../src/adapters/local/sqlite-database.ts';
import { SqliteImageRepository } from '../../src/adapters/local/sqlite-image-repository.ts';
import { imageRepositoryContract } from './image-repository.contract.ts';

describe('ImageRepository contract › SqliteImageRepository', () => {
  const dir = mkdtempSync(join(tmpdir(), 'imgapi-repo-contract-'));
  const open: SqliteDatabase[] = [];
  afterAll(() => {
    for (const db of open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  imageRepositoryContract({
    textSearch: 'substring',
    async create() {
      const db = openDatabase(join(dir, `${open.length}.sqlite`));
      open.push(db);
      return new SqliteImageRepository(db);
    },
  });
});
