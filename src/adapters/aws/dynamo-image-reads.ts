import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { ImageStatus, ImageSummary } from '../../core/image.ts';
import type { ListQuery } from '../../ports/image-repository.ts';
import { BATCH_GET, batchGet } from './dynamo-batches.ts';
import { dynamoCall } from './dynamo-errors.ts';
import { Expression } from './dynamo-expression.ts';
import {
  hasTerms,
  IMAGE_SK,
  isExpired,
  LIST_ITEM_ATTRIBUTES,
  listSortKey,
  queryTerms,
  SWEEP_SHARDS,
  statusPartition,
  sweepShard,
  tenantPartition,
  termPartition,
  toSummary,
} from './dynamo-image-items.ts';
import { IMAGE_INDEXES } from './dynamo-table.ts';

/**
 * The reads that go through the indexes: list pages and searches, and the sweeper's query.
 * All are eventually consistent (GSIs offer nothing else).
 */
export interface ImageTable {
  client: DynamoDBDocumentClient;
  table: string;
}

type Item = Record<string, unknown>;

/** Where a list page is read from, and what each item read there must also satisfy. */
interface ListPlan {
  index: string;
  partitionKey: string;
  partition: string;
  /** A search: the candidates' image items are fetched and must carry all of these terms. */
  terms: string[];
  status?: ImageStatus | undefined;
}

/** The page source: the first term's partition for a search, else the status's, else the tenant's. */
function planList(query: ListQuery, terms: string[]): ListPlan {
  const { tenant, status } = query;
  const [first] = terms;
  if (first !== undefined) {
    return {
      index: IMAGE_INDEXES.list,
      partitionKey: 'listPk',
      partition: termPartition(tenant, first),
      terms,
      status,
    };
  }
  if (status !== undefined) {
    return {
      index: IMAGE_INDEXES.status,
      partitionKey: 'statusPk',
      partition: statusPartition(tenant, status),
      terms,
    };
  }
  return { index: IMAGE_INDEXES.list, partitionKey: 'listPk', partition: tenantPartition(tenant), terms };
}

/**
 * Newest first from the plan's partition, a page the size still needed at a time, skipping
 * expired images and (for a search) candidates that fail a filter, until `limit` or the end.
 */
export async function listImages(db: ImageTable, query: ListQuery, now: number): Promise<ImageSummary[]> {
  const terms = queryTerms(query);
  if (terms === null || query.limit <= 0) return [];
  const plan = planList(query, terms);
  const after = query.after ? listSortKey(query.after.createdAt, query.after.imageId) : undefined;
  const found: ImageSummary[] = [];
  let start: Item | undefined;
  // Ask for what the page still needs until a candidate is skipped; from then on read full
  // batches, or a sparse match would cost a Query (and a BatchGet) per item. Reading past
  // the page is harmless: the cursor is the last image returned.
  let skipped = false;
  do {
    const size = skipped ? BATCH_GET : Math.min(BATCH_GET, query.limit - found.length);
    const page = await queryPage(db, plan, after, size, start);
    const items = plan.terms.length > 0 ? await imagesOf(db, page.items) : page.items;
    for (const item of items) {
      const wanted =
        item &&
        !isExpired(item, now) &&
        item.tenant === query.tenant &&
        (plan.status === undefined || item.status === plan.status) &&
        hasTerms(item, plan.terms);
      if (!wanted) {
        skipped = true;
        continue;
      }
      found.push(toSummary(item));
      if (found.length === query.limit) return found;
    }
    start = page.next;
  } while (start);
  return found;
}

async function queryPage(
  db: ImageTable,
  plan: ListPlan,
  after: string | undefined,
  limit: number,
  start?: Item,
) {
  const x = new Expression();
  let condition = `${x.name(plan.partitionKey)} = ${x.value(plan.partition)}`;
  if (after !== undefined) condition += ` AND ${x.name('listSk')} < ${x.value(after)}`;
  const query = new QueryCommand({
    TableName: db.table,
    IndexName: plan.index,
    KeyConditionExpression: condition,
    ScanIndexForward: false,
    Limit: limit,
    ExclusiveStartKey: start,
    ...x.attributes(),
  });
  const page = await dynamoCall('Query', () => db.client.send(query));
  return { items: page.Items ?? [], next: page.LastEvaluatedKey };
}

/** The image items of these search entries, in their order (undefined where an image is gone). */
async function imagesOf(db: ImageTable, entries: Item[]): Promise<Array<Item | undefined>> {
  const keys = [...new Set(entries.map((entry) => entry.pk))].map((pk) => ({ pk, sk: IMAGE_SK }));
  const byPk = await batchGet(db.client, db.table, keys, LIST_ITEM_ATTRIBUTES);
  return entries.map((entry) => byPk.get(entry.pk));
}

/** The sparse sweeper indexes: retention run out (expiresAt ≤ now), uploads never completed. */
const SWEEPS = [
  { index: IMAGE_INDEXES.expiry, shardKey: 'expiryShard', shard: 'EXPIRY', sortKey: 'expiresAt', op: '<=' },
  { index: IMAGE_INDEXES.pending, shardKey: 'pendingShard', shard: 'PENDING', sortKey: 'createdAt', op: '<' },
] as const;

/** Images past their retention, then pending ones created before the bound: Queries per shard, no Scan. */
export async function findExpiredImages(
  db: ImageTable,
  now: number,
  pendingCreatedBefore: number,
  limit: number,
): Promise<Array<{ tenant: string; imageId: string }>> {
  const found: Array<{ tenant: string; imageId: string }> = [];
  for (const sweep of SWEEPS) {
    const bound = sweep.sortKey === 'expiresAt' ? now : pendingCreatedBefore;
    for (let shard = 0; shard < SWEEP_SHARDS; shard++) {
      let start: Item | undefined;
      do {
        if (found.length >= limit) return found;
        const x = new Expression();
        const query = new QueryCommand({
          TableName: db.table,
          IndexName: sweep.index,
          KeyConditionExpression: `${x.name(sweep.shardKey)} = ${x.value(sweepShard(sweep.shard, shard))} AND ${x.name(sweep.sortKey)} ${sweep.op} ${x.value(bound)}`,
          Limit: limit - found.length,
          ExclusiveStartKey: start,
          ...x.attributes(),
        });
        const page = await dynamoCall('Query', () => db.client.send(query));
        for (const item of page.Items ?? []) found.push({ tenant: item.tenant, imageId: item.imageId });
        start = page.LastEvaluatedKey;
      } while (start);
    }
  }
  return found;
}
