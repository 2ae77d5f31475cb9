import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { DynamoWebhookStore } from '../../src/adapters/aws/dynamo-webhook-store.ts';
import { openDatabase, type SqliteDatabase } from '../../src/adapters/local/sqlite-database.ts';
import { SqliteWebhookStore } from '../../src/adapters/local/sqlite-webhook-store.ts';
import { freshImageTable, motoDynamo } from '../helpers/dynamo.ts';
import { MOTO_INSTALL_HINT } from '../helpers/moto.ts';
import { webhookStoreContract } from './webhook-store.contract.ts';

describe('WebhookStore contract › SqliteWebhookStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'imgapi-webhook-contract-'));
  const open: SqliteDatabase[] = [];
  afterAll(() => {
    for (const db of open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  webhookStoreContract({
    async create() {
      const db = openDatabase(join(dir, `${open.length}.sqlite`));
      open.push(db);
      return new SqliteWebhookStore(db);
    },
  });
});

const endpoint = inject('motoEndpoint');
if (!endpoint) console.warn(MOTO_INSTALL_HINT);

describe.skipIf(!endpoint)('WebhookStore contract › DynamoWebhookStore', () => {
  let dynamo: ReturnType<typeof motoDynamo>;
  beforeAll(() => {
    dynamo = motoDynamo(endpoint as string);
  });
  afterAll(() => dynamo?.base.destroy());
  webhookStoreContract({
    // The image table itself: webhooks live beside the images under their own key prefixes.
    async create() {
      return new DynamoWebhookStore({ client: dynamo.client, tableName: await freshImageTable(dynamo.base) });
    },
  });
});
