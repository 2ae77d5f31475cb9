import type { SearchTerms } from '../../core/analyze-image.ts';
import {
  IMAGE_STATUSES,
  type ImageErrorInfo,
  type ImageRecord,
  type ImageStatus,
  type ImageSummary,
  type ImageType,
  type Steps,
  VARIANTS,
  type Variant,
  withAllSteps,
} from '../../core/image.ts';
import type { ListQuery, NewImage } from '../../ports/image-repository.ts';
import { SUMMARY_ATTRIBUTES } from './dynamo-table.ts';
import { timeOrderedKey } from './dynamo-time-key.ts';

/**
 * How images and their search entries are laid out as DynamoDB items: keys, the item a new
 * image starts as, and the way back to ImageRecord. The why is in dynamo-image-repository.ts.
 */

/** The sort key of an image item; its search entries sort under `TERM#…` in the same partition. */
export const IMAGE_SK = 'IMAGE';
export const STATS_KEY = { pk: 'STATS', sk: 'PROCESSING' } as const;

/**
 * The most search entries one image has. Replacing them is one transaction of the image
 * update, a delete per old entry and a put per new one: 1 + 49 + 49 ≤ DynamoDB's 100 items.
 * Labels and objects come first; the words of the text fill what is left, in reading order.
 */
export const MAX_SEARCH_TERMS = 49;
/** A "word" longer than this is not one anyone types (and keys have a size limit). */
const MAX_TERM_LENGTH = 100;
/** Sweeper index partitions per kind, so no single partition takes every upload's write. */
export const SWEEP_SHARDS = 4;
/** Slots of the processing-time sample (the stats item holds one duration per slot). */
export const STATS_SLOTS = 50;

/** `#` separates key parts, so it (and `%`, its escape) never appears inside one. */
const part = (text: string) => text.replaceAll('%', '%25').replaceAll('#', '%23');

export const imageKey = (imageId: string) => ({ pk: `IMAGE#${part(imageId)}`, sk: IMAGE_SK });
export const tenantPartition = (tenant: string) => `TENANT#${part(tenant)}`;
export const statusPartition = (tenant: string, status: ImageStatus) => `STATUS#${part(tenant)}#${status}`;
/** A stored term is `kind#term` (kind: label, object or word); kinds hold no `#`, so it splits at the first. */
export const termPartition = (tenant: string, term: string) => {
  const [kind, ...rest] = term.split('#');
  return `TERM#${part(tenant)}#${kind}#${part(rest.join('#'))}`;
};
export const termSortKey = (term: string) => `TERM#${part(term)}`;

/**
 * Newest first is descending order of this string (see timeOrderedKey), so images of one
 * millisecond order by id like SQLite's (created_at DESC, image_id DESC) and a keyset
 * cursor is a plain `<`.
 */
export const listSortKey = (createdAt: number, imageId: string) => timeOrderedKey(createdAt, imageId);

/** A stable small hash of the id: which sweeper shard and which stats slot an image uses. */
export function slotOf(imageId: string, slots: number): number {
  let hash = 0;
  for (let i = 0; i < imageId.length; i++) hash = (hash * 31 + imageId.charCodeAt(i)) >>> 0;
  return hash % slots;
}
/** A partition of a sweeper index: `PENDING#n` or `EXPIRY#n`, n below SWEEP_SHARDS. */
export const sweepShard = (kind: 'PENDING' | 'EXPIRY', shard: number) => `${kind}#${shard}`;
export const pendingShard = (imageId: string) => sweepShard('PENDING', slotOf(imageId, SWEEP_SHARDS));
export const expiryShard = (imageId: string) => sweepShard('EXPIRY', slotOf(imageId, SWEEP_SHARDS));
/**
 * When DynamoDB may delete the item: a day after its expiresAt. Readers treat it as gone at
 * expiresAt already; the day lets the sweeper (which finds it by expiresAt) delete its S3
 * objects first, so TTL never strands an image's files.
 */
export const TTL_GRACE_SECONDS = 24 * 3600;
export const ttlSecondsOf = (expiresAt: number) => Math.ceil(expiresAt / 1000) + TTL_GRACE_SECONDS;

/** Lower-cased runs of letters and digits: what a text search matches on DynamoDB. */
export function wordsOf(text: string): string[] {
  return [...new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])];
}

/** The image's search entries as stored (`kind#term`), capped at MAX_SEARCH_TERMS. */
export function storedTerms(terms: SearchTerms): string[] {
  const all = [
    ...terms.labels.map((label) => `label#${label.toLowerCase()}`),
    ...terms.objects.map((object) => `object#${object.toLowerCase()}`),
    ...wordsOf(terms.text).map((word) => `word#${word}`),
  ];
  return [...new Set(all)].filter((term) => term.length <= MAX_TERM_LENGTH).slice(0, MAX_SEARCH_TERMS);
}

/**
 * The stored terms an image must have to match the query, the one to read the index by first:
 * the longest word of the text (long words are rare), else the object, else the label (labels
 * include broad parents such as Animal). Null when the text has no word, so nothing matches.
 */
export function queryTerms(query: ListQuery): string[] | null {
  const words = query.text === undefined ? [] : wordsOf(query.text);
  if (query.text !== undefined && words.length === 0) return null;
  return [
    ...words.sort((a, b) => b.length - a.length).map((word) => `word#${word}`),
    ...(query.object === undefined ? [] : [`object#${query.object.toLowerCase()}`]),
    ...(query.label === undefined ? [] : [`label#${query.label.toLowerCase()}`]),
  ];
}

/**
 * A new image's item: pending, in its tenant's list, its status partition and the pending
 * sweep. It carries every status's partition for transitions to copy (a status added to
 * IMAGE_STATUSES later needs its partition backfilled into existing items).
 */
export function newImageItem(image: NewImage): Record<string, unknown> {
  const statusPks = Object.fromEntries(IMAGE_STATUSES.map((s) => [s, statusPartition(image.tenant, s)]));
  return {
    ...imageKey(image.imageId),
    imageId: image.imageId,
    tenant: image.tenant,
    fileName: image.fileName,
    fileType: image.fileType,
    status: 'pending',
    steps: image.steps,
    attempts: 0,
    message: 'Waiting for upload',
    createdAt: image.createdAt,
    updatedAt: image.createdAt,
    searchTerms: [],
    listPk: tenantPartition(image.tenant),
    listSk: listSortKey(image.createdAt, image.imageId),
    statusPk: statusPks.pending,
    statusPks,
    pendingShard: pendingShard(image.imageId),
  };
}

/** The attributes of an image item that this module reads back. */
interface ImageItem {
  imageId: string;
  tenant: string;
  fileName: string;
  fileType: ImageType;
  size?: number | null;
  status: ImageStatus;
  steps?: Partial<Steps>;
  attempts?: number;
  message?: string;
  error?: ImageErrorInfo | null;
  metadata?: string | null;
  placeholder?: string | null;
  analysis?: string | null;
  variants?: Set<string>;
  createdAt: number;
  uploadedAt?: number | null;
  startedAt?: number | null;
  processedAt?: number | null;
  updatedAt: number;
  expiresAt?: number;
  searchTerms?: string[];
}

/** The summary attributes plus what list checks need, for a projection on image items. */
export const LIST_ITEM_ATTRIBUTES = [...SUMMARY_ATTRIBUTES, 'searchTerms'];

const json = <T>(text: string | null | undefined): T | null =>
  text === null || text === undefined ? null : (JSON.parse(text) as T);
/** A string set comes back unordered: list variants in their canonical order. */
const variantsOf = (stored: Set<string> | undefined): Variant[] =>
  VARIANTS.filter((variant) => stored?.has(variant));

/** Gone for readers: its retention ran out, whether or not DynamoDB's TTL has deleted it yet. */
export const isExpired = (item: Record<string, unknown>, now: number) =>
  typeof item.expiresAt === 'number' && item.expiresAt <= now;

export function toRecord(stored: Record<string, unknown>): ImageRecord {
  const item = stored as unknown as ImageItem;
  return {
    ...toSummary(stored),
    steps: withAllSteps(item.steps ?? {}),
    attempts: item.attempts ?? 0,
    message: item.message ?? '',
    error: item.error ?? null,
    metadata: json(item.metadata),
    placeholder: json(item.placeholder),
    analysis: json(item.analysis),
    startedAt: item.startedAt ?? null,
    processedAt: item.processedAt ?? null,
    updatedAt: item.updatedAt,
    expiresAt: item.expiresAt ?? null,
  };
}

export function toSummary(stored: Record<string, unknown>): ImageSummary {
  const item = stored as unknown as ImageItem;
  return {
    imageId: item.imageId,
    tenant: item.tenant,
    fileName: item.fileName,
    fileType: item.fileType,
    size: item.size ?? null,
    status: item.status,
    variants: variantsOf(item.variants),
    createdAt: item.createdAt,
    uploadedAt: item.uploadedAt ?? null,
  };
}

/** Whether an image item carries every one of these stored terms. */
export const hasTerms = (item: Record<string, unknown>, terms: readonly string[]) => {
  const own = new Set((item as unknown as ImageItem).searchTerms ?? []);
  return terms.every((term) => own.has(term));
};
