import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { DynamoImageRepository } from '../../src/adapters/aws/dynamo-image-repository.ts';
import { openDatabase, type SqliteDatabase } from '../../src/adapters/local/sqlite-database.ts';
import { SqliteImageRepository } from '../../src/adapters/local/sqlite-image-repository.ts';
import { freshImageTable, motoDynamo } from '../helpers/dynamo.ts';
import { MOTO_INSTALL_HINT } from '../helpers/moto.ts';
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

const endpoint = inject('motoEndpoint');
if (!endpoint) console.warn(MOTO_INSTALL_HINT);

describe.skipIf(!endpoint)('ImageRepository contract › DynamoImageRepository', () => {
  let dynamo: ReturnType<typeof motoDynamo>;
  beforeAll(() => {
    dynamo = motoDynamo(endpoint as string);
  });
  afterAll(() => dynamo?.base.destroy());
  imageRepositoryContract({
    textSearch: 'words',
    async create() {
      const tableName = await freshImageTable(dynamo.base);
      // The contract's times are small numbers (1 000 to 50 000 ms); the repository's clock stands
      // at the start of that timeline, so the retention dates it writes have not run out.
      return new DynamoImageRepository({ client: dynamo.client, tableName, clock: () => 1000 });
    },
  });
});
