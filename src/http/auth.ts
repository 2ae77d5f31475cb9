import type { MiddlewareHandler } from 'hono';
import { hashApiKey } from '../core/api-keys.ts';
import { ForbiddenError, RateLimitedError, UnauthorizedError } from '../core/errors.ts';
import type { TokenBuckets } from '../core/token-bucket.ts';
import type { Clock } from '../ports/clock.ts';
import type { ApiKeyRecord, KeyAuthenticator } from '../ports/key-store.ts';

export type AuthVariables = { apiKey: ApiKeyRecord };

/**
 * Resolves `x-api-key` to a key record, then applies the key's token bucket and daily
 * quota (API Gateway usage plans, locally). 401 without a key, 403 for an unknown or
 * revoked one, 429 with Retry-After when over a limit.
 */
export function requireApiKey(
  keys: KeyAuthenticator,
  buckets: TokenBuckets,
  clock: Clock,
): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    const presented = c.req.header('x-api-key');
    if (!presented) throw new UnauthorizedError();
    const key = presented.length <= 256 ? await keys.findByHash(hashApiKey(presented)) : null;
    if (!key || key.revokedAt !== null)
      throw new ForbiddenError('x-api-key: the API key is not valid', 'INVALID_API_KEY');

    const now = clock.now();
    const wait = buckets.take(key.keyId, key.rateLimitRps, key.rateLimitBurst, now);
    if (wait > 0) throw new RateLimitedError(`Rate limit of ${key.rateLimitRps} requests/s exceeded`, wait);
    if (key.dailyQuota > 0) {
      const day = new Date(now).toISOString().slice(0, 10);
      if ((await keys.countRequest(key.keyId, day)) > key.dailyQuota) {
        const midnight = Date.parse(`${day}T00:00:00Z`) + 86_400_000;
        throw new RateLimitedError(
          `Daily quota of ${key.dailyQuota} requests used up`,
          Math.ceil((midnight - now) / 1000),
          'QUOTA_EXCEEDED',
        );
      }
    }
    c.set('apiKey', key);
    await next();
  };
}

/** 403 ADMIN_REQUIRED unless the key is the admin key; `what` says what the route does. */
export function requireAdmin(what: string): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    if (!c.get('apiKey').admin) throw new ForbiddenError(`Only an admin key may ${what}`, 'ADMIN_REQUIRED');
    await next();
  };
}
