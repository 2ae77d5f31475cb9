import { describe, expect, it } from 'vitest';
import { TokenBuckets } from './token-bucket.ts';

describe('Class: TokenBuckets', () => {
  it('allows a burst, then refills at the sustained rate', () => {
    const buckets = new TokenBuckets();
    const results = Array.from({ length: 4 }, () => buckets.take('k', 2, 3, 0));
    expect(results).toEqual([0, 0, 0, 1]);
    expect(buckets.take('k', 2, 3, 499)).toBe(1);
    expect(buckets.take('k', 2, 3, 500)).toBe(0);
  });

  it('keeps each key separate', () => {
    const buckets = new TokenBuckets();
    expect(buckets.take('a', 1, 1, 0)).toBe(0);
    expect(buckets.take('a', 1, 1, 0)).toBeGreaterThan(0);
    expect(buckets.take('b', 1, 1, 0)).toBe(0);
  });

  it('counts a take stamped before the last one as no time passed', () => {
    const buckets = new TokenBuckets();
    expect(buckets.take('k', 1, 2, 1000)).toBe(0);
    // Stamped earlier, taken later: one token left, not one minus a refill run backwards.
    expect(buckets.take('k', 1, 2, 0)).toBe(0);
    expect(buckets.take('k', 1, 2, 1000)).toBeGreaterThan(0);
    expect(buckets.take('k', 1, 2, 2000)).toBe(0);
  });
});
