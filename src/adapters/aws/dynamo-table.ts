import {
  CreateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';

/**
 * The image table, in one place: DynamoImageRepository reads these names, tests create the
 * table from IMAGE_TABLE, and the SAM template mirrors it attribute for attribute.
 * See dynamo-image-repository.ts for what each item and index holds.
 */
export const IMAGE_INDEXES = {
  /** A tenant's images, and each search term's images, newest first (listPk / listSk). */
  list: 'byList',
  /** A tenant's images in one status, newest first (statusPk / listSk). */
  status: 'byStatus',
  /** Sparse: pending images by creation time, for the sweeper (pendingShard / createdAt). */
  pending: 'byPendingSince',
  /** Sparse: images with a retention date, by that date, for the sweeper (expiryShard / expiresAt). */
  expiry: 'byExpiry',
} as const;

/** DynamoDB's TTL needs epoch seconds; `expiresAt` itself stays in milliseconds like every time we store. */
export const TTL_ATTRIBUTE = 'ttlSeconds';

/** What a list page shows (ImageSummary) plus what a read checks: projected into the list indexes. */
export const SUMMARY_ATTRIBUTES = [
  'imageId',
  'tenant',
  'fileName',
  'fileType',
  'size',
  'status',
  'variants',
  'createdAt',
  'uploadedAt',
  'expiresAt',
];

const S = 'S' as const;
const N = 'N' as const;
const key = (hash: string, range: string) => [
  { AttributeName: hash, KeyType: 'HASH' as const },
  { AttributeName: range, KeyType: 'RANGE' as const },
];

/** The table as CreateTable input (without its name): on-demand, one table for every item kind. */
export const IMAGE_TABLE = {
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: S },
    { AttributeName: 'sk', AttributeType: S },
    { AttributeName: 'listPk', AttributeType: S },
    { AttributeName: 'listSk', AttributeType: S },
    { AttributeName: 'statusPk', AttributeType: S },
    { AttributeName: 'pendingShard', AttributeType: S },
    { AttributeName: 'createdAt', AttributeType: N },
    { AttributeName: 'expiryShard', AttributeType: S },
    { AttributeName: 'expiresAt', AttributeType: N },
  ],
  KeySchema: key('pk', 'sk'),
  GlobalSecondaryIndexes: [
    {
      IndexName: IMAGE_INDEXES.list,
      KeySchema: key('listPk', 'listSk'),
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: SUMMARY_ATTRIBUTES },
    },
    {
      IndexName: IMAGE_INDEXES.status,
      KeySchema: key('statusPk', 'listSk'),
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: SUMMARY_ATTRIBUTES },
    },
    {
      IndexName: IMAGE_INDEXES.pending,
      KeySchema: key('pendingShard', 'createdAt'),
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['imageId', 'tenant'] },
    },
    {
      IndexName: IMAGE_INDEXES.expiry,
      KeySchema: key('expiryShard', 'expiresAt'),
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['imageId', 'tenant'] },
    },
  ],
} satisfies Omit<CreateTableCommandInput, 'TableName'>;

/** Creates the image table, waits until it is active and turns TTL on (tests; the SAM template in production). */
export async function createImageTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new CreateTableCommand({ ...IMAGE_TABLE, TableName: tableName }));
  await waitUntilTableExists({ client, maxWaitTime: 120, minDelay: 1 }, { TableName: tableName });
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    }),
  );
}
