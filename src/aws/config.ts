import { z } from 'zod';
import { readEnv, SharedConfigSchema } from '../core/config.ts';

/** Who analyses images on AWS: Rekognition, our offline models inside the process function, or nobody. */
export const ANALYSIS_PROVIDERS = ['rekognition', 'local', 'none'] as const;
export type AnalysisProvider = (typeof ANALYSIS_PROVIDERS)[number];

/**
 * What only the AWS home reads, on top of the shared settings. SAM's template sets the
 * resource names; AWS_ENDPOINT_URL points every client at an emulator (moto) in tests and
 * in `npm run start:aws-local`.
 */
const AwsConfigSchema = SharedConfigSchema.extend({
  AWS_REGION: z.string().min(1),
  BUCKET_NAME: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name'),
  TABLE_NAME: z.string().min(3).max(255),
  QUEUE_URL: z.url(),
  DEAD_LETTER_QUEUE_URL: z.url(),
  /** Webhook deliveries' timer (the process and webhook functions send to it). */
  WEBHOOK_QUEUE_URL: z.url().optional(),
  ANALYSIS_PROVIDER: z.enum(ANALYSIS_PROVIDERS).default('rekognition'),
  /** The key the stack made for its owner: the only admin (tenant = key id, as for every key). */
  ADMIN_API_KEY_ID: z.string().min(1).optional(),
  /** The usage plan new keys join when they keep the default limits (the admin function only). */
  USAGE_PLAN_ID: z.string().min(1).optional(),
  AWS_ENDPOINT_URL: z.url().optional(),
});
export type AwsConfig = z.infer<typeof AwsConfigSchema>;

/** The AWS home's configuration, validated when a function's container starts. */
export function loadAwsConfig(env: Record<string, string | undefined>): AwsConfig {
  const config = readEnv(AwsConfigSchema, env);
  // No analyzer means nothing to analyse with: images complete with `analysis: null`.
  return config.ANALYSIS_PROVIDER === 'none' ? { ...config, ANALYSIS: [] } : config;
}
