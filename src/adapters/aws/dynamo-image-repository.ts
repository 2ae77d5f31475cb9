/**
 * ImageRepository on one on-demand DynamoDB table. Schema: dynamo-table.ts; keys and items:
 * dynamo-image-items.ts; update expressions: dynamo-image-updates.ts; index reads (list,
 * search, sweep): dynamo-image-reads.ts.
 *
 * Items
 * - Image: pk `IMAGE#<id>`, sk `IMAGE`. `steps` is a map (a transition's steps are nested
 *   `SET steps.#s = :v`), `variants` a string set (ADD is the union; read back in VARIANTS
 *   order), metadata/placeholder/analysis JSON strings (never queried; no undefined-vs-null or
 *   number-format traps). `expiresAt` (ms) is copied to `ttlSeconds`, as TTL needs seconds.
 * - Search entry per stored term (`label#…`, `object#…`, `word#…` for each lower-cased word of
 *   the text): pk `IMAGE#<id>`, sk `TERM#…`. Written with the analysis step in one
 *   TransactWriteItems beside the image update (≤ 100 items: so at most MAX_SEARCH_TERMS = 49
 *   per image, labels, objects, then words in reading order; the rest of a long text is not
 *   searchable). The image's `searchTerms` attribute lists them and is the truth: every search
 *   hit is checked against it. Deleting an image deletes its whole partition.
 * - Stats (pk `STATS`): one processing duration per slot (image id hash mod 50), written after
 *   `complete`; recentProcessingMillis averages this sample of recent completions with one
 *   small read (there is no AVG; SQLite averages exactly the last 50).
 *
 * Indexes (sort key `listSk` = createdAt zero-padded `#` imageId, so newest first is
 * descending, ties order by id descending like SQLite, and a cursor is `listSk < …`)
 * - byList: partition `TENANT#<tenant>` for image items, `TERM#<tenant>#<kind>#<term>` for
 *   search entries.
 * - byStatus: partition `STATUS#<tenant>#<status>`. An update cannot concatenate strings, so the
 *   item keeps each status's partition (`statusPks`) and a transition copies the one it moves
 *   to: the status index changes in the transition's single conditional write.
 * - byPendingSince (createdAt) / byExpiry (expiresAt): sparse, 4 shards each, so findExpired is
 *   8 small Queries instead of a Scan. Any transition out of pending removes the pending shard;
 *   the expiry shard is set with expiresAt.
 *
 * Differences from SQLite
 * - get/getById/list treat an image whose expiresAt ≤ now as gone: TTL deletes it only
 *   eventually (within days; no emulator does). findExpired and delete still see it, so the
 *   sweeper removes it and its files. TTL can delete an item before the sweeper gets to it,
 *   orphaning its files: the bucket needs a lifecycle rule with the same retention as backstop.
 * - Text search matches whole words (every word of the query), not substrings.
 * - Lists and searches read GSIs, which are eventually consistent: a new image or a new status
 *   may show a moment later. get/getById are strongly consistent reads.
 *
 * Costs
 * - transition: one conditional UpdateItem (complete adds a small write to the stats item).
 * - updateStep: one UpdateItem; with search terms a GetItem and a transaction of ≤ 99 items.
 * - list: Query pages no larger than what is still needed. A search reads one term partition,
 *   guessed to be the most selective (no counts exist: the longest word, else the object, else
 *   the label), and BatchGets the candidates' image items to check the other filters (status,
 *   other terms) and expiry; BatchGet bills whole items, analysis included. It goes on page
 *   after page until `limit` matches or the partition ends, so a rare combination of common
 *   terms reads many items.
 * - delete: DeleteItem, a Query of the image's partition, BatchWriteItem of its entries.
 * - findExpired: 8 Queries of sparse indexes holding only pending and retained images' keys.
 */

import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../../core/errors.ts';
import type { ImageRecord, ImageSummary } from '../../core/image.ts';
import type { StateChange } from '../../core/image-state.ts';
import type { ImageRepository, ListQuery, NewImage, StepUpdate } from '../../ports/image-repository.ts';
import { deletePartition } from './dynamo-batches.ts';
import { conditionalCall, dynamoCall } from './dynamo-errors.ts';
import { Expression } from './dynamo-expression.ts';
import {
  imageKey,
  isExpired,
  newImageItem,
  STATS_KEY,
  STATS_SLOTS,
  slotOf,
  storedTerms,
  termPartition,
  termSortKey,
  toRecord,
} from './dynamo-image-items.ts';
import { findExpiredImages, type ImageTable, listImages } from './dynamo-image-reads.ts';
import { stepUpdate, transitionUpdate } from './dynamo-image-updates.ts';
import { TTL_ATTRIBUTE } from './dynamo-table.ts';

export interface DynamoImageRepositoryOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Epoch milliseconds; reads compare expiresAt with it. */
  clock?: () => number;
}

type Item = Record<string, unknown>;
/** An upload claim older than this belongs to a transfer that died without releasing it. */
const STALE_CLAIM_MS = 15 * 60_000;

/** Image records in one DynamoDB table; see the top of this file for the layout and its costs. */
export class DynamoImageRepository implements ImageRepository {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly db: ImageTable;
  private readonly clock: () => number;

  constructor(options: DynamoImageRepositoryOptions) {
    this.client = options.client;
    this.table = options.tableName;
    this.db = { client: options.client, table: options.tableName };
    this.clock = options.clock ?? Date.now;
  }

  async create(image: NewImage): Promise<void> {
    const x = new Expression();
    const put = new PutCommand({
      TableName: this.table,
      Item: newImageItem(image),
      ConditionExpression: `attribute_not_exists(${x.name('pk')})`,
      ...x.attributes(),
    });
    if (!(await conditionalCall('PutItem', () => this.client.send(put)))) {
      throw new ConflictError(`Image ${image.imageId} already exists`, 'IMAGE_EXISTS');
    }
  }

  async get(tenant: string, imageId: string): Promise<ImageRecord | null> {
    const record = await this.getById(imageId);
    return record?.tenant === tenant ? record : null;
  }

  async getById(imageId: string): Promise<ImageRecord | null> {
    const item = await this.read(imageId);
    return item && !isExpired(item, this.clock()) ? toRecord(item) : null;
  }

  /** The image item, strongly consistent: a read after a write sees it, as with SQLite. */
  private async read(imageId: string): Promise<Item | undefined> {
    const get = new GetCommand({ TableName: this.table, Key: imageKey(imageId), ConsistentRead: true });
    return (await dynamoCall('GetItem', () => this.client.send(get))).Item;
  }

  async list(query: ListQuery): Promise<ImageSummary[]> {
    return listImages(this.db, query, this.clock());
  }

  /** Deletes an expired image too (the sweeper's call): only reads treat it as gone. */
  async delete(tenant: string, imageId: string): Promise<boolean> {
    const x = new Expression();
    const remove = new DeleteCommand({
      TableName: this.table,
      Key: imageKey(imageId),
      ConditionExpression: `${x.name('tenant')} = ${x.value(tenant)}`,
      ...x.attributes(),
    });
    if (!(await conditionalCall('DeleteItem', () => this.client.send(remove)))) return false;
    // The image item went first: from now on no step can write entries under its partition.
    // Best effort: the image is deleted either way, and a failure here must not stop the
    // caller deleting its files. A leftover entry is harmless (every search hit is checked
    // against its image item) and expires with the image's TTL.
    await deletePartition(this.client, this.table, imageKey(imageId).pk).catch(() => undefined);
    return true;
  }

  async claimUpload(imageId: string, now: number): Promise<boolean> {
    const x = new Expression();
    const claimed = x.name('uploadClaimedAt');
    const unclaimed = `(attribute_not_exists(${claimed}) OR ${claimed} < ${x.value(now - STALE_CLAIM_MS)})`;
    const claim = new UpdateCommand({
      TableName: this.table,
      Key: imageKey(imageId),
      UpdateExpression: `SET ${claimed} = ${x.value(now)}`,
      ConditionExpression: `${x.name('status')} = ${x.value('pending')} AND ${unclaimed}`,
      ...x.attributes(),
    });
    return (await conditionalCall('UpdateItem', () => this.client.send(claim))) !== null;
  }

  async releaseUpload(imageId: string): Promise<void> {
    const x = new Expression();
    const release = new UpdateCommand({
      TableName: this.table,
      Key: imageKey(imageId),
      UpdateExpression: `REMOVE ${x.name('uploadClaimedAt')}`,
      ConditionExpression: `${x.name('status')} = ${x.value('pending')}`,
      ...x.attributes(),
    });
    await conditionalCall('UpdateItem', () => this.client.send(release));
  }

  async transition(imageId: string, change: StateChange): Promise<ImageRecord | null> {
    const update = new UpdateCommand({
      TableName: this.table,
      Key: imageKey(imageId),
      ...transitionUpdate(imageId, change),
      ReturnValues: 'ALL_NEW',
    });
    const result = await conditionalCall('UpdateItem', () => this.client.send(update));
    if (!result?.Attributes) return null;
    const record = toRecord(result.Attributes);
    if (change.to === 'completed') await this.recordDuration(record);
    return record;
  }

  /**
   * Puts a completed image's processing time in its slot of the stats item. Best effort: the
   * transition has happened, and failing it now over an estimate would only retry a finished job.
   */
  private async recordDuration(record: ImageRecord): Promise<void> {
    if (record.processedAt === null || record.startedAt === null) return;
    const x = new Expression();
    const slot = x.name(`d${slotOf(record.imageId, STATS_SLOTS)}`);
    const update = new UpdateCommand({
      TableName: this.table,
      Key: STATS_KEY,
      UpdateExpression: `SET ${slot} = ${x.value(record.processedAt - record.startedAt)}`,
      ...x.attributes(),
    });
    await this.client.send(update).catch(() => undefined);
  }

  async updateStep(imageId: string, update: StepUpdate, now: number): Promise<boolean> {
    if (update.terms) return this.updateStepAndIndex(imageId, update, now);
    const key = imageKey(imageId);
    const command = new UpdateCommand({ TableName: this.table, Key: key, ...stepUpdate(update, now) });
    return (await conditionalCall('UpdateItem', () => this.client.send(command))) !== null;
  }

  /**
   * The step and the image's search entries in one transaction: the entries' keys need the
   * tenant and createdAt, and the old entries must go, so the image is read first. Two
   * deliveries racing can leave an extra entry behind; searches check hits against the
   * image's own `searchTerms`, and the last writer's entries all exist.
   */
  private async updateStepAndIndex(imageId: string, update: StepUpdate, now: number): Promise<boolean> {
    const image = await this.read(imageId);
    if (image?.status !== 'processing' || !update.terms) return false;
    const terms = storedTerms(update.terms);
    const stale = ((image.searchTerms as string[] | undefined) ?? []).filter((term) => !terms.includes(term));
    const key = imageKey(imageId);
    const entry = (term: string) => ({
      pk: key.pk,
      sk: termSortKey(term),
      imageId,
      listPk: termPartition(String(image.tenant), term),
      listSk: image.listSk,
      // Expire with the image: should TTL remove it before the sweeper, no entry outlives it.
      ...(image[TTL_ATTRIBUTE] === undefined ? {} : { [TTL_ATTRIBUTE]: image[TTL_ATTRIBUTE] }),
    });
    const write = new TransactWriteCommand({
      TransactItems: [
        { Update: { TableName: this.table, Key: key, ...stepUpdate(update, now, terms) } },
        ...stale.map((term) => ({
          Delete: { TableName: this.table, Key: { pk: key.pk, sk: termSortKey(term) } },
        })),
        ...terms.map((term) => ({ Put: { TableName: this.table, Item: entry(term) } })),
      ],
    });
    return (await conditionalCall('TransactWriteItems', () => this.client.send(write))) !== null;
  }

  async findExpired(now: number, pendingCreatedBefore: number, limit: number) {
    return findExpiredImages(this.db, now, pendingCreatedBefore, limit);
  }

  async recentProcessingMillis(): Promise<number | null> {
    const get = new GetCommand({ TableName: this.table, Key: STATS_KEY });
    const { Item } = await dynamoCall('GetItem', () => this.client.send(get));
    const durations = Object.entries(Item ?? {})
      .filter(([name, value]) => /^d\d+$/.test(name) && typeof value === 'number')
      .map(([, value]) => value as number);
    return durations.length === 0 ? null : durations.reduce((a, b) => a + b, 0) / durations.length;
  }
}
