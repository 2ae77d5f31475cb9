import { describe, expect, it } from 'vitest';
import { loadAwsConfig } from '../src/aws/config.ts';
import { ConfigError } from '../src/core/config.ts';
import { loadConfig } from '../src/local/config.ts';
import { spawnServer } from './helpers/process.ts';

describe('Function: loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3000,
      HOST: '127.0.0.1',
      DATA_DIR: './data',
      MAX_UPLOAD_BYTES: 25 * 1024 * 1024,
      MAX_PIXELS: 100_000_000,
      RETENTION_DAYS: 30,
      UPLOAD_URL_TTL: 3600,
      ANALYSIS: ['objects', 'faces', 'moderation', 'text'],
      LOG_LEVEL: 'info',
      PROCESSING_NICE: 10,
      READ_CACHE_MB: 32,
    });
    expect(config.PUBLIC_URL).toBeUndefined();
    expect(config.WORKERS).toBeGreaterThanOrEqual(1);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '' }).PORT).toBe(3000);
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['MAX_UPLOAD_BYTES', '-1'],
    ['WORKERS', '0'],
    ['PROCESSING_NICE', '20'],
    ['PROCESSING_NICE', '-5'],
    ['READ_CACHE_MB', '-1'],
    ['PUBLIC_URL', 'ftp://example.com'],
    ['API_KEY', 'short'],
    ['SIGNING_SECRET', 'too-short'],
    ['LOG_LEVEL', 'loud'],
    ['ANALYSIS', 'everything'],
  ])('rejects %s=%s, naming the variable', (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [key]: value })).toThrow(`Environment variable ${key}`);
  });

  it('never echoes a secret: a bad API_KEY or SIGNING_SECRET is described by its length', () => {
    for (const [key, value] of [
      ['API_KEY', 'hunter2-secret'],
      ['SIGNING_SECRET', 'my-signing-secret'],
    ] as const) {
      const message = (() => {
        try {
          loadConfig({ [key]: value });
        } catch (error) {
          return (error as Error).message;
        }
        return '';
      })();
      expect(message).toContain(
        `Environment variable ${key} is invalid (got a value of ${value.length} characters)`,
      );
      expect(message).not.toContain(value);
    }
  });

  it('reads CORS_ORIGINS as *, none or a list of origins', () => {
    expect(loadConfig({}).CORS_ORIGINS).toBe('*');
    expect(loadConfig({ CORS_ORIGINS: 'none' }).CORS_ORIGINS).toEqual([]);
    expect(
      loadConfig({ CORS_ORIGINS: 'https://a.example.com, http://localhost:5173/' }).CORS_ORIGINS,
    ).toEqual(['https://a.example.com', 'http://localhost:5173']);
    expect(() => loadConfig({ CORS_ORIGINS: 'a.example.com' })).toThrow(
      /CORS_ORIGINS is invalid.*not an origin: a\.example\.com/,
    );
  });

  it('reads ANALYSIS as all, none or a list, in a fixed order', () => {
    expect(loadConfig({ ANALYSIS: 'all' }).ANALYSIS).toEqual(['objects', 'faces', 'moderation', 'text']);
    expect(loadConfig({ ANALYSIS: 'none' }).ANALYSIS).toEqual([]);
    expect(loadConfig({ ANALYSIS: ' Text, objects ' }).ANALYSIS).toEqual(['objects', 'text']);
    expect(() => loadConfig({ ANALYSIS: 'objects,ocr' })).toThrow(/ANALYSIS is invalid.*unknown: ocr/);
    expect(() => loadConfig({ ANALYSIS: 'all,faces' })).toThrow(/ANALYSIS is invalid/);
  });

  it('strips a trailing slash from PUBLIC_URL', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://img.example.com/' }).PUBLIC_URL).toBe('https://img.example.com');
  });

  it('stops the server at start with a message naming the bad variable', async () => {
    await expect(spawnServer({ MAX_PIXELS: 'lots' })).rejects.toThrow(
      /Environment variable MAX_PIXELS is invalid/,
    );
  });
});

describe('Function: loadAwsConfig', () => {
  const env = {
    AWS_REGION: 'eu-west-1',
    BUCKET_NAME: 'my-images-bucket',
    TABLE_NAME: 'images',
    QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/process',
    DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/process-dlq',
  };

  it('reads the shared settings with the same defaults as the local home, plus its resources', () => {
    const config = loadAwsConfig({ ...env, MAX_UPLOAD_BYTES: '1000' });
    expect(config).toMatchObject({
      ...env,
      MAX_UPLOAD_BYTES: 1000,
      RETENTION_DAYS: 30,
      UPLOAD_URL_TTL: 3600,
    });
    expect(config.ANALYSIS).toEqual(loadConfig({}).ANALYSIS);
    expect(config).not.toHaveProperty('PORT');
  });

  it('names every missing or bad resource variable', () => {
    expect(() => loadAwsConfig({})).toThrow(/AWS_REGION[\s\S]*BUCKET_NAME[\s\S]*TABLE_NAME[\s\S]*QUEUE_URL/);
    expect(() => loadAwsConfig({ ...env, BUCKET_NAME: 'Not_A_Bucket' })).toThrow(
      /Environment variable BUCKET_NAME is invalid .*expected an S3 bucket name/,
    );
  });
});
