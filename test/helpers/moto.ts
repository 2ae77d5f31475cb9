import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/adapters/aws/s3-client.ts';
import { MOTO_INSTALL_HINT as INSTALL } from '../../src/aws-local/moto.ts';

export { type MotoServer, motoInstalled, startMoto } from '../../src/aws-local/moto.ts';

/**
 * What every SDK client pointed at moto_server needs: the endpoint, a real region and
 * dummy credentials, never the environment's (a developer's real AWS profile must not leak in).
 */
export function motoClientConfig(endpoint: string) {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
}

/** The command the AWS contract runs need; installing it is what a skip line tells people to do. */
export const MOTO_INSTALL_HINT = `${INSTALL}; the AWS adapter contract runs are skipped without it.`;

/** An S3 client for moto_server, built the way the app builds one (path-style addressing). */
export function motoS3Client(endpoint: string): S3Client {
  return createS3Client({ ...motoClientConfig(endpoint), forcePathStyle: true });
}
