import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createImageTable } from '../../src/adapters/aws/dynamo-table.ts';
import { motoClientConfig } from './moto.ts';

/** SDK clients for moto_server: a fixed region and dummy credentials, never the environment's. */
export function motoDynamo(endpoint: string): { base: DynamoDBClient; client: DynamoDBDocumentClient } {
  const base = new DynamoDBClient(motoClientConfig(endpoint));
  return { base, client: DynamoDBDocumentClient.from(base) };
}

/** A new, empty image table with a name no other test uses (moto is shared by every suite). */
export async function freshImageTable(base: DynamoDBClient): Promise<string> {
  const tableName = `images-${randomUUID()}`;
  await createImageTable(base, tableName);
  return tableName;
}
