import { describe, expect, it } from 'vitest';
import { startEventSource } from '../src/aws-local/event-source.ts';

describe('SQS event source stand-in', () => {
  it('reports a poller whose init fails, starts another, and still stops promptly', async () => {
    const logged: string[] = [];
    // The process function validates its environment at init: an invalid bucket name fails it.
    const saved = process.env.BUCKET_NAME;
    process.env.BUCKET_NAME = 'Not_A_Bucket';
    const source = startEventSource(
      {
        fn: 'process',
        region: 'us-east-1',
        endpoint: 'http://127.0.0.1:9',
        queueUrl: 'http://127.0.0.1:9/123456789012/none',
        queueArn: 'arn:aws:sqs:us-east-1:123456789012:none',
        batchSize: 5,
        timeoutMs: 1000,
        memoryMb: 128,
      },
      1,
      (line) => logged.push(line),
    );
    if (saved === undefined) delete process.env.BUCKET_NAME;
    else process.env.BUCKET_NAME = saved;
    await expect
      .poll(() => logged.filter((line) => line.includes('exited unexpectedly')).length, { timeout: 30_000 })
      .toBeGreaterThanOrEqual(2);
    expect(logged.some((line) => line.includes('BUCKET_NAME'))).toBe(true);
    const started = Date.now();
    await source.stop(5000);
    expect(Date.now() - started).toBeLessThan(5000);
  }, 60_000);
});
