import { DescribeTimeToLiveCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { DynamoStoreError } from '../src/adapters/aws/dynamo-errors.ts';
import { MAX_SEARCH_TERMS, termSortKey } from '../src/adapters/aws/dynamo-image-items.ts';
import { DynamoImageRepository } from '../src/adapters/aws/dynamo-image-repository.ts';
import { TTL_ATTRIBUTE } from '../src/adapters/aws/dynamo-table.ts';
import { searchTermsOf } from '../src/core/analyze-image.ts';
import { ConflictError } from '../src/core/errors.ts';
import { initialSteps } from '../src/core/image.ts';
import { TRANSITIONS } from '../src/core/image-state.ts';
import { analysisOf } from './contracts/image-repository.contract.ts';
import { freshImageTable, motoDynamo } from './helpers/dynamo.ts';
import { MOTO_INSTALL_HINT } from './helpers/moto.ts';

const endpoint = inject('motoEndpoint');
if (!endpoint) console.warn(MOTO_INSTALL_HINT);

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const ids = (rows: Array<{ imageId: string }>) => rows.map((row) => row.imageId);

/** What only the DynamoDB store has: TTL, capped search entries, a stats sample, translated errors. */
describe.skipIf(!endpoint)('Class: DynamoImageRepository', () => {
  let base: DynamoDBClient;
  let client: DynamoDBDocumentClient;
  beforeAll(() => {
    ({ base, client } = motoDynamo(endpoint as string));
  });
  afterAll(() => base?.destroy());
  let tableName: string;
  let now: number;
  let repo: DynamoImageRepository;

  beforeEach(async () => {
    tableName = await freshImageTable(base);
    now = 1_000_000;
    repo = new DynamoImageRepository({ client, tableName, clock: () => now });
  });

  const create = (n: number, createdAt = now) =>
    repo.create({
      imageId: id(n),
      tenant: 't1',
      fileName: `photo-${n}.jpg`,
      fileType: 'image/jpeg',
      steps: initialSteps(['objects', 'text']),
      createdAt,
    });

  /** Uploaded (retained until expiresAt) and processing: ready for steps. */
  async function processing(n: number, expiresAt = now + 3_600_000) {
    await create(n);
    await repo.transition(id(n), TRANSITIONS.markUploaded(10, now, expiresAt));
    await repo.transition(id(n), TRANSITIONS.startProcessing(1, now));
  }

  const readItem = async (n: number) =>
    (await client.send(new GetCommand({ TableName: tableName, Key: { pk: `IMAGE#${id(n)}`, sk: 'IMAGE' } })))
      .Item;

  describe('Method: transition (retention)', () => {
    it('stores expiresAt also as the TTL attribute, in epoch seconds a day later, and TTL is on', async () => {
      await create(1);
      await repo.transition(id(1), TRANSITIONS.markUploaded(10, now, 1_700_000_000_123));
      const item = await readItem(1);
      // A day's grace: the sweeper, which finds the image by expiresAt, deletes its S3 objects first.
      expect(item).toMatchObject({ expiresAt: 1_700_000_000_123, [TTL_ATTRIBUTE]: 1_700_000_001 + 86_400 });
      const ttl = await base.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
      expect(ttl.TimeToLiveDescription).toMatchObject({
        AttributeName: TTL_ATTRIBUTE,
        TimeToLiveStatus: 'ENABLED',
      });
    });
  });

  describe('Method: list (reads of a sparse search)', () => {
    it('reads full batches once candidates start failing a filter, not one Query per item', async () => {
      const cat = searchTermsOf(analysisOf(['Cat'], [], []));
      for (let n = 1; n <= 30; n++) {
        await processing(n);
        await repo.updateStep(id(n), { step: 'analysis', state: 'completed', terms: cat }, now);
        if (n > 2) await repo.transition(id(n), TRANSITIONS.complete(now));
      }
      const send = vi.spyOn(client, 'send');
      const page = await repo.list({ tenant: 't1', limit: 2, label: 'cat', status: 'processing' });
      expect(ids(page).sort()).toEqual([id(1), id(2)]);
      const queries = send.mock.calls.filter(([command]) => command instanceof QueryCommand);
      expect(queries.length).toBeLessThanOrEqual(2);
      send.mockRestore();
    });
  });

  describe('Method: updateStep (retention of search entries)', () => {
    it('gives each search entry the image TTL, so none outlives its image', async () => {
      await processing(1, 1_700_000_000_123);
      const terms = searchTermsOf(analysisOf(['Cat'], [], []));
      await repo.updateStep(id(1), { step: 'analysis', state: 'completed', terms }, now);
      const key = { pk: `IMAGE#${id(1)}`, sk: termSortKey('label#cat') };
      const entry = (await client.send(new GetCommand({ TableName: tableName, Key: key }))).Item;
      expect(entry?.[TTL_ATTRIBUTE]).toBe((await readItem(1))?.[TTL_ATTRIBUTE]);
      expect(entry?.[TTL_ATTRIBUTE]).toBeGreaterThan(0);
    });
  });

  describe('Method: get, getById, list (expiry)', () => {
    it('hides an image past its expiresAt, which findExpired still returns', async () => {
      await processing(1, now + 500);
      await repo.updateStep(
        id(1),
        { step: 'analysis', state: 'completed', terms: searchTermsOf(analysisOf(['Cat'], [], ['milk'])) },
        now,
      );
      await repo.transition(id(1), TRANSITIONS.complete(now));
      await create(2);
      expect(ids(await repo.list({ tenant: 't1', limit: 10 }))).toEqual([id(2), id(1)]);

      now += 500;
      expect(await repo.get('t1', id(1))).toBeNull();
      expect(await repo.getById(id(1))).toBeNull();
      expect(ids(await repo.list({ tenant: 't1', limit: 10 }))).toEqual([id(2)]);
      expect(await repo.list({ tenant: 't1', limit: 10, status: 'completed' })).toEqual([]);
      expect(await repo.list({ tenant: 't1', limit: 10, label: 'cat' })).toEqual([]);
      expect(await repo.list({ tenant: 't1', limit: 10, text: 'milk' })).toEqual([]);
      expect(await repo.findExpired(now, 0, 10)).toEqual([{ tenant: 't1', imageId: id(1) }]);
      // The sweeper still deletes it, and everything under it.
      expect(await repo.delete('t1', id(1))).toBe(true);
      expect(await repo.findExpired(now, 0, 10)).toEqual([]);
    });

    it('fills a page past expired images', async () => {
      for (let n = 1; n <= 5; n++) await create(n, now + n);
      for (const n of [5, 4, 3]) await repo.transition(id(n), TRANSITIONS.markUploaded(1, now, now + 10));
      now += 10;
      expect(ids(await repo.list({ tenant: 't1', limit: 2 }))).toEqual([id(2), id(1)]);
    });
  });

  describe('Method: updateStep (search entries)', () => {
    const words = (prefix: string) => Array.from({ length: 80 }, (_, i) => `${prefix}${i}`);

    it(`keeps at most ${MAX_SEARCH_TERMS} entries per image and replaces all of them in one write`, async () => {
      await processing(1);
      const first = analysisOf(['Cat'], ['Cat'], [words('alpha').join(' ')]);
      expect(
        await repo.updateStep(
          id(1),
          { step: 'analysis', state: 'completed', terms: searchTermsOf(first) },
          now,
        ),
      ).toBe(true);
      expect((await readItem(1))?.searchTerms).toHaveLength(MAX_SEARCH_TERMS);
      expect(ids(await repo.list({ tenant: 't1', limit: 5, text: 'alpha0' }))).toEqual([id(1)]);
      // Labels and objects come first, so the text's last words are the ones left out.
      expect(await repo.list({ tenant: 't1', limit: 5, text: 'alpha79' })).toEqual([]);

      const second = analysisOf(['Dog'], ['Dog'], [words('beta').join(' ')]);
      expect(
        await repo.updateStep(
          id(1),
          { step: 'analysis', state: 'completed', terms: searchTermsOf(second) },
          now,
        ),
      ).toBe(true);
      expect(await repo.list({ tenant: 't1', limit: 5, text: 'alpha0' })).toEqual([]);
      expect(await repo.list({ tenant: 't1', limit: 5, label: 'cat' })).toEqual([]);
      expect(ids(await repo.list({ tenant: 't1', limit: 5, text: 'beta0 beta1' }))).toEqual([id(1)]);
    });

    it('matches whole words only, every word of the query', async () => {
      await processing(1);
      const terms = searchTermsOf(analysisOf([], [], ['Fresh milk, today!']));
      await repo.updateStep(id(1), { step: 'analysis', state: 'completed', terms }, now);
      expect(ids(await repo.list({ tenant: 't1', limit: 5, text: 'TODAY fresh' }))).toEqual([id(1)]);
      expect(await repo.list({ tenant: 't1', limit: 5, text: 'fresh bread' })).toEqual([]);
      expect(await repo.list({ tenant: 't1', limit: 5, text: 'ilk' })).toEqual([]);
      expect(await repo.list({ tenant: 't1', limit: 5, text: '!!!' })).toEqual([]);
    });

    it('ignores a search entry its image does not list (left by a concurrent redelivery)', async () => {
      await processing(1);
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: `IMAGE#${id(1)}`,
            sk: 'TERM#label%23stray',
            listPk: 'TERM#t1#label#stray',
            listSk: `${String(now).padStart(16, '0')}#${id(1)}`,
          },
        }),
      );
      expect(await repo.list({ tenant: 't1', limit: 5, label: 'stray' })).toEqual([]);
    });
  });

  describe('Method: recentProcessingMillis', () => {
    it('averages the processing times of completed images', async () => {
      for (const [n, took] of [
        [1, 100],
        [2, 300],
      ] as const) {
        await processing(n);
        await repo.transition(id(n), TRANSITIONS.complete(now + took));
      }
      expect(await repo.recentProcessingMillis()).toBe(200);
    });
  });

  describe('Errors', () => {
    it('refuses to create an image twice with a ConflictError', async () => {
      await create(1);
      await expect(create(1)).rejects.toBeInstanceOf(ConflictError);
    });

    it('translates any other SDK failure into a DynamoStoreError naming the operation', async () => {
      const missing = new DynamoImageRepository({ client, tableName: 'no-such-table' });
      const failure = await missing.getById(id(1)).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(DynamoStoreError);
      expect((failure as Error).message).toMatch(/^DynamoDB GetItem failed: ResourceNotFoundException/);
    });
  });
});
