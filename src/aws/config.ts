import { z } from 'zod';
import { readEnv, SharedConfigSchema } from '../core/config.ts';

/**
 * What only the AWS home reads, on top of the shared settings. SAM's template sets the
 * resource names; AWS_ENDPOINT_URL points every client at an emulator (moto) in tests.
 */
const AwsConfigSchema = SharedConfigSchema.extend({
  AWS_REGION: z.string().min(1),
  BUCKET_NAME: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name'),
  TABLE_NAME: z.string().min(3).max(255),
  QUEUE_URL: z.url(),
  DEAD_LETTER_QUEUE_URL: z.url(),
  AWS_ENDPOINT_URL: z.url().optional(),
});
export type AwsConfig = z.infer<typeof AwsConfigSchema>;

/** The AWS home's configuration, validated when a function's container starts. */
export function loadAwsConfig(env: Record<string, string | undefined>): AwsConfig {
  return readEnv(AwsConfigSchema, env);
}
