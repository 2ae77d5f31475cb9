import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { int, readEnv, SharedConfigSchema } from '../core/config.ts';

/** What only the embedded home reads: where it listens, its files, its own queue and limits. */
const LocalConfigSchema = SharedConfigSchema.extend({
  PORT: int(0, 65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  SIGNING_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  WORKERS: int(1, 64).default(Math.max(1, availableParallelism())),
  PROCESSING_NICE: int(0, 19).default(10),
  READ_CACHE_MB: int(0, 4096).default(32),
  JOB_VISIBILITY_TIMEOUT: int(1, 43_200).default(60),
  SWEEP_INTERVAL_SECONDS: int(1).default(300),
  SHUTDOWN_GRACE_SECONDS: int(0).default(25),
  // On SIGTERM, how long /ready answers 503 while the server still serves everything, before
  // it stops listening: the time a load balancer needs to see it and route elsewhere.
  DRAIN_DELAY_SECONDS: int(0, 300).default(0),
  // Below this much free space on DATA_DIR's filesystem, uploads are refused (507).
  MIN_FREE_DISK_MB: int(0, 1_048_576).default(100),
  // /metrics without the admin key: for a scraper on a private network that cannot send one.
  METRICS_PUBLIC: z
    .enum(['true', 'false'], { message: 'expected true or false' })
    .default('false')
    .transform((value) => value === 'true'),
  // OpenTelemetry's own variable: set, requests and jobs are traced and sent there over
  // OTLP/HTTP. Only its presence and form are ours; the exporter reads it (and the other
  // OTEL_* variables) from the environment itself.
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
});

/** PUBLIC_URL stays undefined when unset: the server then uses the address it listens on. */
export type Config = z.infer<typeof LocalConfigSchema>;

const SECRETS = new Set(['API_KEY', 'SIGNING_SECRET']);

/** The embedded home's configuration: shared settings plus its own, validated once at start. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const config = readEnv(LocalConfigSchema, env, SECRETS);
  return config.PUBLIC_URL ? { ...config, PUBLIC_URL: config.PUBLIC_URL.replace(/\/+$/, '') } : config;
}

/** How clients reach a server listening on host:port (a wildcard bind is reached via loopback). */
export function urlFor(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}
