import { z } from 'zod';
import { ANALYSIS_PROVIDERS } from '../aws/config.ts';
import { int, readEnv, SharedConfigSchema } from '../core/config.ts';

/**
 * `npm run start:aws-local`: the same environment contract as `npm start` where it applies
 * (PORT, HOST, API_KEY, PUBLIC_URL, WORKERS and every shared setting), plus where the AWS
 * services are. Rekognition cannot be reached without an account, so analysis defaults to
 * our offline models inside the process function (the template's AnalysisProvider=local).
 */
const AwsLocalConfigSchema = SharedConfigSchema.extend({
  PORT: int(0, 65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Process function invocations at once (the event source's MaximumConcurrency). */
  WORKERS: int(1, 16).default(2),
  /** An emulator already running (moto_server); when unset one is started and stopped with us. */
  AWS_ENDPOINT_URL: z.url().optional(),
  ANALYSIS_PROVIDER: z.enum(ANALYSIS_PROVIDERS).default('local'),
  /** Resource names start with it, as a deployed stack's do. */
  STACK_NAME: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{1,40}$/, 'lower-case letters, digits and dashes')
    .default('imgapi-local'),
});
export type AwsLocalConfig = z.infer<typeof AwsLocalConfigSchema>;

export function loadAwsLocalConfig(env: Record<string, string | undefined>): AwsLocalConfig {
  const config = readEnv(AwsLocalConfigSchema, env, new Set(['API_KEY']));
  return config.PUBLIC_URL ? { ...config, PUBLIC_URL: config.PUBLIC_URL.replace(/\/+$/, '') } : config;
}
