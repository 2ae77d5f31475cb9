import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createImageTable } from '../../src/adapters/aws/dynamo-table.ts';

/** SDK clients for moto_server: a fixed region and dummy credentials, never the environment's. */
export function motoDynamo(endpoint: string): { base: DynamoDBClient; client: DynamoDBDocumentClient } {
  const base = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return { base, client: DynamoDBDocumentClient.from(base) };
}

/** A new, empty image table with a name no other test uses (moto is shared by every suite). */
export async function freshImageTable(base: DynamoDBClient): Promise<string> {
  const tableName = `images-${randomUUID()}`;
  await createImageTable(base, tableName);
  return tableName;
}
