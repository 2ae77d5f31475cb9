/**
 * Per-key token buckets in memory. Hand-written because the limits differ per key (set at
 * key creation, as API Gateway usage plans do), which the common limiter libraries model
 * as one limiter per configuration.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; updatedAt: number }>();

  /** Takes one token; returns 0 if allowed, else the seconds until a token is available. */
  take(key: string, ratePerSecond: number, burst: number, nowMs: number): number {
    const bucket = this.buckets.get(key) ?? { tokens: burst, updatedAt: nowMs };
    // Callers stamp a request when it arrives and take after an await, so a take can come
    // with a time older than the last one: that is no time passed, not time given back.
    const updatedAt = Math.max(nowMs, bucket.updatedAt);
    const refilled = Math.min(burst, bucket.tokens + ((updatedAt - bucket.updatedAt) / 1000) * ratePerSecond);
    if (refilled >= 1) {
      this.buckets.set(key, { tokens: refilled - 1, updatedAt });
      return 0;
    }
    this.buckets.set(key, { tokens: refilled, updatedAt });
    return Math.max(1, Math.ceil((1 - refilled) / ratePerSecond));
  }
}
