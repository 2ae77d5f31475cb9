import { z } from 'zod';
import { ANALYSES, type AnalysisName } from './analysis.ts';
import { DEFAULT_RETRY_BASE_MS } from './webhooks.ts';

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

export const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);

/**
 * What both homes read, with the same names, ranges and defaults: the API's behaviour. Each
 * home adds its own schema (src/local/config.ts, src/aws/config.ts) for where it runs.
 */
export const SharedConfigSchema = z.object({
  MAX_UPLOAD_BYTES: int(1).default(25 * MiB),
  MAX_PIXELS: int(1).default(100_000_000),
  RETENTION_DAYS: int(1, 36_500).default(30),
  UPLOAD_URL_TTL: int(1, 7 * 24 * 3600).default(3600),
  DOWNLOAD_URL_TTL: int(1, 7 * 24 * 3600).default(3600),
  ANALYSIS: analysisList().default([...ANALYSES]),
  CORS_ORIGINS: corsOrigins().default('*'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  JOB_MAX_ATTEMPTS: int(1, 100).default(3),
  RETRY_BASE_DELAY_MS: int(0).default(2000),
  // A new key's limits unless POST /keys asks for others: the token bucket locally, the
  // default usage plan's throttle and quota on AWS.
  RATE_LIMIT_RPS: int(1).default(100),
  RATE_LIMIT_BURST: int(1).default(200),
  DAILY_QUOTA: int(0).default(0),
  // Webhooks to private, loopback, link-local and unique-local addresses: for receivers on
  // your own network (and tests). Off, such targets are refused at creation and at connect.
  WEBHOOK_ALLOW_PRIVATE: z
    .enum(['true', 'false'], { message: 'expected true or false' })
    .default('false')
    .transform((value) => value === 'true'),
  // The webhook retry schedule's unit (5 s: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h; given up
  // 24 h after the event). Tests shrink it; there is no reason to change it otherwise.
  WEBHOOK_RETRY_BASE_MS: int(1).default(DEFAULT_RETRY_BASE_MS),
});
export type SharedConfig = z.infer<typeof SharedConfigSchema>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates the variables a schema names, and no others. Empty strings count as
 * unset so that `PORT= npm start` means "default", as shells make it easy to export empty
 * variables by accident. Secrets are reported by their length, never echoed to a terminal
 * or a log.
 */
export function readEnv<S extends z.ZodObject>(
  schema: S,
  env: Record<string, string | undefined>,
  secrets: ReadonlySet<string> = new Set(),
): z.infer<S> {
  const defined = Object.fromEntries(
    Object.keys(schema.shape)
      .map((key) => [key, env[key]] as const)
      .filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = schema.safeParse(defined);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0]);
      const value = env[key] ?? '';
      const got = secrets.has(key) ? `a value of ${value.length} characters` : JSON.stringify(value);
      return `Environment variable ${key} is invalid (got ${got}): ${issue.message}`;
    });
    throw new ConfigError(lines.join('\n'));
  }
  return parsed.data;
}

/** The settings the core's use cases take, from either home's configuration. */
export function coreSettingsFrom(config: SharedConfig) {
  return {
    maxUploadBytes: config.MAX_UPLOAD_BYTES,
    uploadUrlTtlSeconds: config.UPLOAD_URL_TTL,
    downloadUrlTtlSeconds: config.DOWNLOAD_URL_TTL,
    retentionDays: config.RETENTION_DAYS,
    analyses: config.ANALYSIS,
  };
}
