import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { ANALYSES, type AnalysisName } from './analysis.ts';

const MiB = 1024 * 1024;

/** `all`, `none`, or a comma-separated list such as `objects,faces`. */
const analysisList = () =>
  z.string().transform((value, ctx): AnalysisName[] => {
    const names = value
      .split(',')
      .map((v) => v.trim().toLowerCase())
      .filter(Boolean);
    if (names.length === 1 && names[0] === 'all') return [...ANALYSES];
    if (names.length === 1 && names[0] === 'none') return [];
    const unknown = names.filter((n) => !(ANALYSES as readonly string[]).includes(n));
    if (names.length === 0 || unknown.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `expected all, none or a comma-separated list of ${ANALYSES.join(', ')}${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}`,
      });
      return z.NEVER;
    }
    return ANALYSES.filter((n) => names.includes(n));
  });

/**
 * `*` (any origin: keys travel in a header, never a cookie, so a page on another origin
 * cannot borrow a user's credentials), `none`, or a comma-separated list of origins.
 */
const corsOrigins = () =>
  z.string().transform((value, ctx): '*' | string[] => {
    const entries = value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
    if (entries.length === 1 && entries[0] === '*') return '*';
    if (entries.length === 1 && entries[0]?.toLowerCase() === 'none') return [];
    const bad = entries.filter((origin) => !/^https?:\/\/[^/\s]+\/?$/i.test(origin));
    if (entries.length === 0 || bad.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `expected *, none or a comma-separated list of origins such as https://app.example.com${bad.length ? ` (not an origin: ${bad.join(', ')})` : ''}`,
      });
      return z.NEVER;
    }
    return entries.map((origin) => origin.replace(/\/+$/, ''));
  });

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);

/** Every setting, its type, range and default: the one place the environment is read. */
const ConfigSchema = z.object({
  PORT: int(0, 65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  SIGNING_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  MAX_UPLOAD_BYTES: int(1).default(25 * MiB),
  MAX_PIXELS: int(1).default(100_000_000),
  WORKERS: int(1, 64).default(Math.max(1, availableParallelism())),
  PROCESSING_NICE: int(0, 19).default(10),
  RETENTION_DAYS: int(1, 36_500).default(30),
  UPLOAD_URL_TTL: int(1, 7 * 24 * 3600).default(3600),
  DOWNLOAD_URL_TTL: int(1, 7 * 24 * 3600).default(3600),
  READ_CACHE_MB: int(0, 4096).default(32),
  CORS_ORIGINS: corsOrigins().default('*'),
  ANALYSIS: analysisList().default([...ANALYSES]),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  RATE_LIMIT_RPS: int(1).default(100),
  RATE_LIMIT_BURST: int(1).default(200),
  DAILY_QUOTA: int(0).default(0),
  JOB_VISIBILITY_TIMEOUT: int(1, 43_200).default(60),
  JOB_MAX_ATTEMPTS: int(1, 100).default(3),
  RETRY_BASE_DELAY_MS: int(0).default(2000),
  SWEEP_INTERVAL_SECONDS: int(1).default(300),
  SHUTDOWN_GRACE_SECONDS: int(0).default(25),
});

/** Secrets: a bad value is reported by its length, never echoed to a terminal or a log. */
const SECRET_VARIABLES = new Set(['API_KEY', 'SIGNING_SECRET']);

/** PUBLIC_URL stays undefined when unset: the server then uses the address it listens on. */
export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates configuration. Empty strings count as unset so that `PORT= npm start`
 * means "default", as shells make it easy to export empty variables by accident.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const defined = Object.fromEntries(
    Object.keys(ConfigSchema.shape)
      .map((key) => [key, env[key]] as const)
      .filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = ConfigSchema.safeParse(defined);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0]);
      const value = env[key] ?? '';
      const got = SECRET_VARIABLES.has(key) ? `a value of ${value.length} characters` : JSON.stringify(value);
      return `Environment variable ${key} is invalid (got ${got}): ${issue.message}`;
    });
    throw new ConfigError(lines.join('\n'));
  }
  const config = parsed.data;
  return config.PUBLIC_URL ? { ...config, PUBLIC_URL: config.PUBLIC_URL.replace(/\/+$/, '') } : config;
}

/** How clients reach a server listening on host:port (a wildcard bind is reached via loopback). */
export function urlFor(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}
